"""How long an access export takes and how much memory it needs, against WeasyPrint alone.

    DJANGO_SETTINGS_MODULE=config.settings.test python -m bench.exports [--sizes 100 1000 10000]
        [--no-baseline] [--tracemalloc] [--keep]

Data: a scratch PostgreSQL database (a fresh `bench_exports_<random>` next to DATABASE_URL's,
migrated, dropped at the end) holding the demo register (demo.register, demo.recipients) and
one access request per size, for an organisation administrator with that many usage events.
The largest also has 200 organisations' worth of related rows: 200 memberships and
organisations, 600 functions, 1,200 evaluations, 200 indexes and 2,400 invoices. Each request's
system tasks are DONE with result files written by the fulfilment service's own code
(encrypted), so the export reads them as it does in production.

Measured: each export (report + package + web page, `dsr.exports.build`) runs in its own
subprocess, which reports its wall time and its peak resident memory (getrusage ru_maxrss:
the honest figure, whatever allocated it: Python, WeasyPrint, Pango, cairo), and how much of
that peak came during the build (over the process's RSS once Django was loaded). With
--tracemalloc a second run reports the Python heap's peak (slower; C allocations not seen).

Baseline: WeasyPrint alone rendering the same events as one plain HTML <table> (every row,
default styles), also in its own subprocess. It takes about a minute for 10,000 rows.

Targets for the 10,000-event export: at most 0.25 of the baseline's time, peak RSS at most 400 MB.
`run()` returns a list of {name, value, unit, baseline, ratio, target, ok} for a harness.
"""

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.common import (
    child,
    database_create,
    database_drop,
    print_table,
    row,
    scratch_database,
)

SIZES = (100, 1_000, 10_000)
# The largest subject also administers this many organisations' worth of related rows.
ORGANISATIONS = 200
TIME_TARGET_RATIO = 0.25
MEMORY_TARGET_MB = 400
ACCESS_LOG_ENTRIES = 50
BASE_DIR = Path(__file__).resolve().parent.parent


def _rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _current_rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _django():
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    django.setup()


# --- Data -----------------------------------------------------------------------------------


def _rows(size: int, organisations: int) -> dict[str, dict[str, dict[str, list[dict]]]]:
    """Result files by system name, as the demo platform's SQL connectors export them."""
    from demo import names

    email = f"bench.{size}@nordvind.example"
    orgs = [f"Organisation {n:03d} AB" for n in range(max(organisations, 1))]
    kinds = ("sign_in", "function.call", "function.call", "index.query", "api_key.use")
    events = [
        {
            "kind": kinds[n % len(kinds)],
            "ip_address": f"81.{n % 250}.{(n // 250) % 250}.{n % 200 + 1}",
            "user_agent": ("opper-python/1.4", "opper-node/2.0", "Mozilla/5.0")[n % 3],
            "occurred_at": f"2025-{n % 12 + 1:02d}-{n % 28 + 1:02d} {n % 24:02d}:{n % 60:02d}:00",
        }
        for n in range(size)
    ]
    users = [
        {
            "email": email,
            "name": "Åsa Öberg",
            "role": "admin",
            "organisation": org,
            "created_at": "2024-03-01 09:00:00",
            "last_login_at": "2025-09-30 17:12:00",
        }
        for org in orgs[: max(organisations, 1)]
    ]
    functions = [
        {"name": f"summarise_{n}", "model": "gpt-4o", "created_at": "2024-04-02 10:00:00"}
        for n in range(3 * organisations)
    ]
    evaluations = [
        {"score": 0.91, "comment": "Checked against the reference answers.", "created_at": "2024"}
        for _ in range(6 * organisations)
    ]
    indexes = [
        {"name": "support-articles", "documents": 120 + n, "created_at": "2024-05-01 08:00:00"}
        for n in range(organisations)
    ]
    invoices = [
        {
            "number": f"INV-{year}-{n:03d}-{quarter}",
            "customer_name": "Åsa Öberg",
            "billing_address": f"{orgs[n]}, Box 123",
            "amount_sek": "12500.00",
            "issued_on": f"{year}-{3 * quarter:02d}-28",
        }
        for n in range(organisations)
        for year in (2023, 2024, 2025)
        for quarter in (1, 2, 3, 4)
    ]
    return {
        names.SYS_DATABASE: {
            names.CAT_ACCOUNT: {"users": users},
            names.CAT_CONTENT: {
                "functions": functions,
                "evaluations": evaluations,
                "indexes": indexes,
            },
        },
        names.SYS_EVENTS: {names.CAT_USAGE: {"events": events}},
        names.SYS_BILLING: {names.CAT_INVOICES: {"invoices": invoices}},
    }


def seed(sizes) -> dict[int, str]:
    """Migrate the scratch database, load the demo register and one access request per size;
    returns the case reference per size."""
    from io import StringIO

    from django.core.management import call_command
    from django.utils import timezone

    from core.access_log import access_log_record
    from demo import recipients, register
    from dsr import deadlines
    from dsr.choices import Operation, TaskKind, TaskStatus
    from dsr.files import result_file_store
    from dsr.models import CaseTask, DsrCase, Submission
    from privacy.models import DataSubject, Organisation, SubjectEmail, System

    call_command("migrate", verbosity=0)
    out = StringIO()
    register.seed(out)
    recipients.seed(out)
    systems = {s.name: s for s in System.objects.all()}
    organisation = Organisation.objects.filter(is_customer=True).first()
    references = {}
    for number, size in enumerate(sizes, start=1):
        organisations = ORGANISATIONS if size == max(sizes) else 1
        subject = DataSubject.objects.create(
            name="Åsa Öberg", category="organisation_admin", organisation=organisation
        )
        email = f"bench.{size}@nordvind.example"
        SubjectEmail.objects.create(subject=subject, email=email, is_primary=True)
        now = timezone.now()
        submission = Submission.objects.create(
            channel="email", received_at=now, requester_name="Åsa Öberg", requester_email=email
        )
        case = DsrCase.objects.create(
            reference=f"DSR-2026-{990000 + number:06d}",
            submission=submission,
            right="access",
            status="in_progress",
            subject=subject,
            received_at=now,
            target_date=deadlines.target_date(now),
            due_date=deadlines.due_date(now),
        )
        for system_name, export in _rows(size, organisations).items():
            task = CaseTask.objects.create(
                case=case,
                kind=TaskKind.SYSTEM,
                system=systems[system_name],
                operation=Operation.EXPORT,
                connector_kind="postgresql",
                status=TaskStatus.DONE,
                completed_at=now,
            )
            data = json.dumps(export, ensure_ascii=False, indent=1, default=str).encode()
            result_file_store(task, "export.json", data)
            task.save()
        for entry in range(ACCESS_LOG_ENTRIES):
            access_log_record(
                actor=None,
                action="view",
                object_type="data subject",
                subject_id=subject.pk,
                purpose=f"Support ticket {entry + 1}",
            )
        references[size] = case.reference
    return references


# --- Measurements (each in its own process) -------------------------------------------------


def measure_export(reference: str, *, trace: bool) -> dict:
    _django()
    import tracemalloc

    from django.utils import translation

    from dsr import exports
    from dsr.models import DsrCase

    case = DsrCase.objects.get(reference=reference)
    # Import WeasyPrint and warm up the database connection before the clock starts.
    import weasyprint  # noqa: F401

    before = _current_rss_mb()
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    with translation.override(case.language):
        built = exports.build(case)
    seconds = time.perf_counter() - started
    heap_peak = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
    return {
        "seconds": seconds,
        "rss_peak_mb": _rss_mb(),
        "rss_before_mb": before,
        "heap_peak_mb": heap_peak,
        "pages": built.stats.get("report", {}).get("pages"),
        "rows": built.stats["rows_total"],
        "sizes": {f.kind: f.size for f in built.files},
        "stats": built.stats,
    }


def measure_baseline(size: int) -> dict:
    """WeasyPrint alone: the events as one plain table, every row, default styles. Django is
    loaded too, so that both processes start from the same memory."""
    _django()
    from html import escape

    import weasyprint

    rows = _events_only(size)
    head = "".join(f"<th>{escape(c)}</th>" for c in rows[0])
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in row.values()) + "</tr>"
        for row in rows
    )
    html = f"<!DOCTYPE html><html><body><table><tr>{head}</tr>{body}</table></body></html>"
    before = _current_rss_mb()
    started = time.perf_counter()
    document = weasyprint.HTML(string=html).render()
    pdf = document.write_pdf()
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "rss_peak_mb": _rss_mb(),
        "rss_before_mb": before,
        "pages": len(document.pages),
        "bytes": len(pdf),
    }


def _events_only(size: int) -> list[dict]:
    from demo import names

    return _rows(size, 0)[names.SYS_EVENTS][names.CAT_USAGE]["events"]


# --- The parent: scratch database, subprocesses, the table ----------------------------------


def run(
    sizes=SIZES, *, baseline: bool = True, trace: bool = False, keep: bool = False
) -> list[dict]:
    """Measure and return one dict per figure (see the module's docstring)."""

    sizes = tuple(sorted(sizes))
    scratch, name = scratch_database("exports")
    folder = Path(tempfile.mkdtemp(prefix="bench-exports-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.test"),
        "DATABASE_URL": scratch,
        "VAR_DIR": str(folder),
        "MEDIA_ROOT": str(folder / "media"),
        "PYTHONPATH": str(BASE_DIR),
    }
    database_create(name)
    results = []
    try:
        references = {
            int(k): v for k, v in child("bench.exports", ["seed", *map(str, sizes)], env).items()
        }
        for size in sizes:
            export = child("bench.exports", ["export", references[size]], env)
            plain = child("bench.exports", ["baseline", str(size)], env) if baseline else None
            target = size == max(sizes) and size >= 10_000
            label = f"export, {size:,} events" + (
                f" + {ORGANISATIONS} organisations" if size == max(sizes) else ""
            )
            results.append(
                row(
                    f"{label}: wall time",
                    export["seconds"],
                    "s",
                    plain["seconds"] if plain else None,
                    TIME_TARGET_RATIO if target else None,
                    ratio_target=True,
                )
            )
            results.append(
                row(
                    f"{label}: peak RSS",
                    export["rss_peak_mb"],
                    "MB",
                    plain["rss_peak_mb"] if plain else None,
                    MEMORY_TARGET_MB if target else None,
                )
            )
            results.append(
                row(
                    f"{label}: RSS growth during the build",
                    export["rss_peak_mb"] - export["rss_before_mb"],
                    "MB",
                    plain["rss_peak_mb"] - plain["rss_before_mb"] if plain else None,
                )
            )
            results.append(
                row(
                    f"{label}: report pages",
                    export["pages"] or 0,
                    "pages",
                    plain["pages"] if plain else None,
                )
            )
            results.append(row(f"{label}: rows exported", export["rows"], "rows"))
            for part, seconds in export["stats"]["seconds"].items():
                if part != "total":
                    results.append(row(f"{label}: {part} (part of the wall time)", seconds, "s"))
            for kind, size_bytes in export["sizes"].items():
                results.append(row(f"{label}: {kind} file", size_bytes / 2**20, "MB"))
            if trace:
                traced = child("bench.exports", ["export", references[size], "--tracemalloc"], env)
                results.append(row(f"{label}: Python heap peak", traced["heap_peak_mb"], "MB"))
    finally:
        if not keep:
            database_drop(name)
            shutil.rmtree(folder, ignore_errors=True)
        else:
            print(f"kept: {scratch} and {folder}", file=sys.stderr)
    return results


def _child_main(argv: list[str]) -> None:
    command, *rest = argv
    if command == "seed":
        _django()
        print(json.dumps(seed([int(s) for s in rest])))
    elif command == "export":
        print(json.dumps(measure_export(rest[0], trace="--tracemalloc" in rest), default=str))
    elif command == "baseline":
        print(json.dumps(measure_baseline(int(rest[0]))))
    else:
        raise SystemExit(f"unknown child command {command!r}")


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        _child_main(argv[1:])
        return 0
    parser = argparse.ArgumentParser(prog="python -m bench.exports", description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--no-baseline", action="store_true", help="skip WeasyPrint alone")
    parser.add_argument("--tracemalloc", action="store_true", help="also the Python heap peak")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    options = parser.parse_args(argv)
    results = run(
        options.sizes,
        baseline=not options.no_baseline,
        trace=options.tracemalloc,
        keep=options.keep,
    )
    if options.json:
        print(json.dumps(results, indent=1))
    else:
        print_table(results)
    failed = [r for r in results if r["ok"] is False]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
