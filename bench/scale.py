"""The admin's lists, subject search, the reminder sweep and the digest at 10k, 100k and 1M data
subjects (cases: a fifth of the subjects, so 200,000 at a million).

    DJANGO_SETTINGS_MODULE=config.settings.test python -m bench.scale [--sizes 10000 100000
        1000000] [--seed 1] [--keep] [--repeat 7]

Data: one scratch PostgreSQL database per size next to DATABASE_URL's, named by size and seed
(`bench_scale_<subjects>_s<seed>`), migrated and filled by `seed_scale`; a database left by an
earlier run with --keep is reused when its comment says seeding finished. Dropped at the end
unless --keep. Each size is measured in its own process (DEBUG off, the test settings) with
Django's test Client, signed in as a superuser whose session is verified by a second factor.

Measured per size, medians of --repeat runs after one warm-up, and query counts:
- changelists of data subjects, requests and the access log: first page, a filtered page and
  the 1,000th page, against the admin index page;
- subject search by exact email and by a fragment of a name, against the unfiltered list, and
  EXPLAIN of both searches (an index must answer them, no sequential scan of the big tables);
- the reminder sweep's select-and-claim step (cases_needing_reminders and reminders_claim,
  rolled back so each run claims the same) against one hand-written SQL query selecting the
  same due cases, and the digest's figures (digest_figures) against one selecting the open
  cases overdue or due soon, each in turns with its query (2 x --repeat + 1 rounds), so that
  load coming and going weighs on both; the whole sweep with its outbox writes, for information.
Targets: each list has the same query count at the smallest and largest size and its median
at the largest within 2x of the smallest; the 1,000th page within 2x of the first; exact search
within 2x and fragment search within 5x of the unfiltered list; sweep and digest within 3x of
the single query; the digest under 30 queries.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.common import database_create, database_drop, database_url, print_table, row

SIZES = (10_000, 100_000, 1_000_000)
CASE_SHARE = 5  # one case per five subjects
SEED = 1
REPEAT = 7
BASE_DIR = Path(__file__).resolve().parent.parent
DEEP_PAGE = 1000
LIST_RATIO = 2
DEEP_RATIO = 2
EXACT_RATIO = 2
FRAGMENT_RATIO = 5
SWEEP_RATIO = 3
DIGEST_QUERIES = 30
TARGET_CASES = 200_000
READY = "seed_scale complete"

# label: (model, filtered page's parameters, deep page's parameters)
LISTS = {
    "data subjects": ("privacy.datasubject", {"category": "newsletter_subscriber"}, {}),
    "requests": ("dsr.dsrcase", {"status": "all", "right": "erasure"}, {"status": "all"}),
    "access log": ("core.accesslogentry", {"action": "search"}, {}),
}


# --- Databases ------------------------------------------------------------------------------


def database_name(size: int, seed: int) -> str:
    return f"bench_scale_{size}_s{seed}"


def _ready(admin: str, name: str) -> bool:
    import psycopg

    with psycopg.connect(admin, autocommit=True) as connection:
        row = connection.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [name],
        ).fetchone()
    return bool(row and row[0] and row[0].startswith(READY))


def ensure_database(size: int, seed: int, env: dict) -> tuple[str, float | None]:
    """The scratch database for `size`, seeded (or reused); returns its DSN and the seconds
    seeding took (None when reused)."""
    import psycopg

    admin = database_url("postgres")
    name = database_name(size, seed)
    manage = [sys.executable, str(BASE_DIR / "manage.py")]
    if _ready(admin, name):
        # Kept from an earlier run: brought up to the code's migrations (indexes) first.
        migrate_env = {**env, "DATABASE_URL": database_url(name)}
        subprocess.run([*manage, "migrate", "-v0"], env=migrate_env, check=True, cwd=BASE_DIR)  # noqa: S603
        return database_url(name), None
    database_create(name)
    child_env = {**env, "DATABASE_URL": database_url(name)}
    subprocess.run([*manage, "migrate", "-v0"], env=child_env, check=True, cwd=BASE_DIR)  # noqa: S603
    started = time.monotonic()
    subprocess.run(  # noqa: S603 - our own manage.py
        [
            *manage,
            "seed_scale",
            f"--subjects={size}",
            f"--cases={size // CASE_SHARE}",
            f"--seed={seed}",
        ],
        env=child_env,
        check=True,
        cwd=BASE_DIR,
    )
    seconds = time.monotonic() - started
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"COMMENT ON DATABASE \"{name}\" IS '{READY} in {seconds:.0f} s'")
    return database_url(name), seconds


def drop_database(size: int, seed: int) -> None:
    database_drop(database_name(size, seed))


# --- Measuring (in the child process) -------------------------------------------------------


def _timed(action, repeat: int) -> float:
    """Median milliseconds of `repeat` runs after one warm-up."""
    action()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _timed_against(action, baseline, repeat: int) -> tuple[float, float]:
    """Median milliseconds of `action` and of `baseline`, run in turns (`repeat` rounds after
    one warm-up of each): whatever else the machine does meanwhile (autovacuum after the
    seeding, a neighbour's load) weighs on both sides of their ratio, not on one."""
    action()
    baseline()
    times: dict = {action: [], baseline: []}
    for _ in range(repeat):
        for run in (baseline, action):
            started = time.perf_counter()
            run()
            times[run].append((time.perf_counter() - started) * 1000)
    return statistics.median(times[action]), statistics.median(times[baseline])


def _queries(action) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    connection.queries_log.clear()  # a full log (9,000 entries) would count nothing
    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured.captured_queries)


def _client():
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import User

    user, _ = User.objects.get_or_create(
        username="bench.scale",
        defaults={"email": "bench.scale@opper.example", "is_staff": True, "is_superuser": True},
    )
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    device = device or TOTPDevice.objects.create(user=user, name="Bench", confirmed=True)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def _page(client, url: str, params: dict):
    def get():
        response = client.get(url, params)
        if response.status_code != 200:
            raise RuntimeError(f"{url} {params}: {response.status_code}")
        return response

    return get


def _explain_uses_index(queryset) -> tuple[bool, str]:
    """Whether PostgreSQL answers `queryset` through indexes, without reading a big table
    from end to end."""
    plan = queryset.explain()
    big = ("privacy_datasubject", "privacy_subjectemail")
    scans = [
        line for line in plan.splitlines() if "Seq Scan" in line and any(t in line for t in big)
    ]
    index = "Index" in plan
    return index and not scans, plan


def _single_queries(today) -> tuple[callable, callable]:
    """The baselines, each one hand-written SQL query: the open cases with a reminder due today
    and not yet claimed (what the sweep's select-and-claim step works on), and the open cases
    overdue or due within the digest's 7 days (what the digest lists and counts)."""
    from datetime import timedelta

    from django.conf import settings
    from django.db import connection

    from dsr.choices import FINAL_STATUSES
    from dsr.selectors import reminders as reminder_selectors

    final = sorted(FINAL_STATUSES)
    leads = sorted({*settings.DSR_REMINDER_LEAD_DAYS, 0})
    urgent = " ".join(
        f"WHEN c.target_date <= %s THEN '{reminder_selectors.lead_kind(lead)}'" for lead in leads
    )
    unclaimed = (
        "NOT EXISTS (SELECT 1 FROM core_sentnotice n WHERE n.key = 'case:' || c.id || ':' || {})"
    )
    due_sql = (
        "SELECT c.id FROM dsr_dsrcase c WHERE NOT (c.status = ANY(%s)) AND ("  # noqa: S608
        f"(c.target_date <= %s AND {unclaimed.format(f'CASE {urgent} END')}) "
        "OR ((c.extended_due_date < %s OR (c.extended_due_date IS NULL AND c.due_date < %s)) "
        f"AND {unclaimed.format(repr(reminder_selectors.ESCALATION))}) "
        "OR (c.extended_due_date IS NULL AND c.due_date BETWEEN %s AND %s "
        f"AND {unclaimed.format(repr(reminder_selectors.EXTENSION_WINDOW))})) ORDER BY c.id"
    )
    due_params = [
        final,
        today + timedelta(days=leads[-1]),
        *(today + timedelta(days=lead) for lead in leads),
        today,
        today,
        today,
        today + timedelta(days=settings.DSR_EXTENSION_REMINDER_DAYS),
    ]
    listed_sql = (
        'SELECT id, reference, "right", status, due_date, extended_due_date, target_date '
        "FROM dsr_dsrcase WHERE NOT (status = ANY(%s)) "
        "AND COALESCE(extended_due_date, due_date) <= %s ORDER BY id"
    )
    listed_params = [final, today + timedelta(days=settings.DSR_DUE_SOON_DAYS)]

    def query(sql, params):
        def run():
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return [row[0] for row in cursor.fetchall()]

        return run

    return query(due_sql, due_params), query(listed_sql, listed_params)


def measure(repeat: int) -> dict:
    """Every figure of one size, against the database DATABASE_URL names."""
    from datetime import timedelta

    from django.apps import apps
    from django.contrib import admin
    from django.db import transaction
    from django.urls import reverse
    from django.utils import timezone

    from dsr import deadlines, tasks
    from dsr.selectors import digests as digest_selectors
    from dsr.selectors import reminders as reminder_selectors
    from dsr.services import reminders
    from privacy.models import DataSubject, SubjectEmail
    from privacy.selectors import subjects_matching

    client = _client()
    figures: dict = {}
    index = _page(client, reverse("admin:index"), {})
    figures["index"] = {"ms": _timed(index, repeat), "queries": _queries(index)}
    for label, (model_label, filtered, deep) in LISTS.items():
        model = apps.get_model(model_label)
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        # The 1,000th page, or the last one of a smaller list.
        rows = model._default_manager.count()
        model_admin = admin.site._registry[model]
        page = max(1, min(DEEP_PAGE, -(-rows // model_admin.list_per_page)))
        for view, params in (
            ("first page", {}),
            ("filtered", filtered),
            ("deep page", {**deep, "p": page}),
        ):
            get = _page(client, url, params)
            figures[f"{label}: {view}"] = {
                "ms": _timed(get, repeat),
                "queries": _queries(get),
                "page": params.get("p", 1),
            }
    # Search: a subject in the middle of the register, by address and by part of the name.
    middle = DataSubject.objects.exclude(name="").order_by("pk")[DataSubject.objects.count() // 2]
    email = SubjectEmail.objects.get(subject=middle, is_primary=True).email
    fragment = middle.name.split()[-1][:5] if " " in middle.name else middle.name[:2]
    url = reverse("admin:privacy_datasubject_changelist")
    for label, term in (("exact email", email), ("name fragment", fragment)):
        get = _page(client, url, {"q": term})
        uses_index, plan = _explain_uses_index(
            DataSubject.objects.filter(pk__in=subjects_matching(term).values("pk")).order_by("-pk")[
                :100
            ]
        )
        figures[f"search: {label}"] = {
            "ms": _timed(get, repeat),
            "queries": _queries(get),
            "term": term,
            "index": uses_index,
            "plan": plan,
        }
    # The reminder sweep's select-and-claim step, rolled back so every run does the same work.
    today = deadlines.today()

    def select_and_claim():
        with transaction.atomic():
            ids = reminder_selectors.cases_needing_reminders(today)
            for start in range(0, len(ids), reminders.CHUNK):
                chunk = ids[start : start + reminders.CHUNK]
                reminders.reminders_claim(case_ids=chunk, today=today)
            transaction.set_rollback(True)

    def sweep():
        with transaction.atomic():
            tasks.sweep_case_reminders(inline=True)
            transaction.set_rollback(True)

    due_query, listed_query = _single_queries(today)
    due = due_query()
    if due != reminder_selectors.cases_needing_reminders(today):
        raise RuntimeError("the baseline query and the sweep disagree on the due cases")
    figures["due cases"] = len(due)
    claim_ms, due_ms = _timed_against(select_and_claim, due_query, 2 * repeat + 1)
    figures["single query"] = {"ms": due_ms}
    figures["digest cases"] = len(listed_query())
    figures["select and claim"] = {"ms": claim_ms, "queries": _queries(select_and_claim)}
    figures["sweep"] = {"ms": _timed(sweep, repeat), "queries": _queries(sweep)}
    now = timezone.now()
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)

    def digest():
        return digest_selectors.digest_figures(
            start=start - timedelta(days=7),
            end=start,
            previous_start=start - timedelta(days=14),
            today=today,
        )

    digest_ms, listed_ms = _timed_against(digest, listed_query, 2 * repeat + 1)
    figures["digest single query"] = {"ms": listed_ms}
    figures["digest"] = {"ms": digest_ms, "queries": _queries(digest)}
    return figures


# --- The rows -------------------------------------------------------------------------------


def _size_label(size: int) -> str:
    return f"{size // 1_000_000}M" if size >= 1_000_000 else f"{size // 1000}k"


def rows(figures: dict[int, dict], seeded: dict[int, float | None]) -> list[dict]:
    sizes = sorted(figures)
    small, large = sizes[0], sizes[-1]
    results = []
    for size in sizes:
        if seeded.get(size) is not None:
            results.append(
                row(
                    f"seed_scale {size:,} subjects, {size // CASE_SHARE:,} cases",
                    seeded[size],
                    "s",
                    target=600 if size >= 1_000_000 else None,
                )
            )
    for size in sizes:
        f = figures[size]
        tag = _size_label(size)
        results.append(row(f"admin index at {tag}", f["index"]["ms"], "ms"))
        for label in LISTS:
            for view in ("first page", "filtered", "deep page"):
                key = f"{label}: {view}"
                results.append(row(f"{key} at {tag}: median", f[key]["ms"], "ms", f["index"]["ms"]))
                results.append(row(f"{key} at {tag}: queries", f[key]["queries"], "queries"))
            deep = f[f"{label}: deep page"]
            results.append(
                row(
                    f"{label}: page {deep['page']:,} against the first page at {tag}",
                    deep["ms"],
                    "ms",
                    f[f"{label}: first page"]["ms"],
                    DEEP_RATIO,
                    ratio_target=True,
                )
            )
        unfiltered = f["data subjects: first page"]["ms"]
        for label, ratio in (("exact email", EXACT_RATIO), ("name fragment", FRAGMENT_RATIO)):
            search = f[f"search: {label}"]
            results.append(
                row(
                    f"search by {label} ({search['term']!r}) at {tag}, against the unfiltered list",
                    search["ms"],
                    "ms",
                    unfiltered,
                    ratio,
                    ratio_target=True,
                )
            )
            results.append(
                row(
                    f"search by {label} at {tag}: EXPLAIN uses an index",
                    1 if search["index"] else 0,
                    "yes=1",
                    target=1,
                    minimum=True,
                )
            )
        cases = size // CASE_SHARE
        # The targets are for 200,000 cases; smaller sizes show how the cost grows.
        judged = cases >= TARGET_CASES
        results.append(
            row(
                f"reminder sweep select-and-claim, {cases:,} cases ({f['due cases']:,} with a "
                f"reminder due) at {tag}, against one query selecting them",
                f["select and claim"]["ms"],
                "ms",
                f["single query"]["ms"],
                SWEEP_RATIO if judged else None,
                ratio_target=True,
            )
        )
        results.append(
            row(
                f"reminder sweep select-and-claim at {tag}: queries",
                f["select and claim"]["queries"],
                "queries",
            )
        )
        results.append(
            row(
                f"reminder sweep with the outbox writes at {tag}",
                f["sweep"]["ms"],
                "ms",
                f["single query"]["ms"],
            )
        )
        results.append(
            row(
                f"digest figures, {cases:,} cases ({f['digest cases']:,} overdue or due "
                f"soon) at {tag}, against one query selecting those",
                f["digest"]["ms"],
                "ms",
                f["digest single query"]["ms"],
                SWEEP_RATIO if judged else None,
                ratio_target=True,
            )
        )
        results.append(
            row(
                f"digest figures at {tag}: queries",
                f["digest"]["queries"],
                "queries",
                target=DIGEST_QUERIES - 1,  # under DIGEST_QUERIES
            )
        )
    if small != large:
        first, last = figures[small], figures[large]
        for label in LISTS:
            for view in ("first page", "filtered"):
                key = f"{label}: {view}"
                results.append(
                    row(
                        f"{key}: median at {_size_label(large)} against {_size_label(small)}",
                        last[key]["ms"],
                        "ms",
                        first[key]["ms"],
                        LIST_RATIO,
                        ratio_target=True,
                    )
                )
                same = row(
                    f"{key}: queries at {_size_label(large)} against {_size_label(small)}",
                    last[key]["queries"],
                    "queries",
                    first[key]["queries"],
                    target=first[key]["queries"],
                )
                # The same count, not merely no more: a list that loses a query has changed.
                results.append({**same, "ok": last[key]["queries"] == first[key]["queries"]})
    return results


# --- Running --------------------------------------------------------------------------------


def run(sizes=SIZES, *, seed: int = SEED, keep: bool = False, repeat: int = REPEAT) -> list[dict]:
    """Seed (or reuse), measure and return one dict per figure (see the module docstring)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.test"),
        "PYTHONPATH": str(BASE_DIR),
    }
    figures, seeded = {}, {}
    try:
        for size in sorted(sizes):
            dsn, seconds = ensure_database(size, seed, env)
            seeded[size] = seconds
            print(
                f"   {size:,} subjects: "
                + ("reused" if seconds is None else f"seeded in {seconds:.0f} s"),
                flush=True,
            )
            result = subprocess.run(  # noqa: S603 - this module, as a child
                [sys.executable, "-m", "bench.scale", "--child", f"--repeat={repeat}"],
                env={**env, "DATABASE_URL": dsn},
                capture_output=True,
                text=True,
                cwd=BASE_DIR,
                check=False,
            )
            if result.returncode != 0:
                raise RuntimeError(f"bench.scale child failed:\n{result.stderr[-4000:]}")
            figures[size] = json.loads(result.stdout.strip().splitlines()[-1])
    finally:
        if not keep:
            for size in sizes:
                drop_database(size, seed)
    return rows(figures, seeded)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__)
    parser.add_argument("--sizes", nargs="*", type=int, default=list(SIZES))
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--repeat", type=int, default=REPEAT)
    parser.add_argument("--keep", action="store_true", help="keep the scratch databases")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.child:
        import django

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
        django.setup()
        figures = measure(options.repeat)
        print(json.dumps(figures, default=str))
        return 0

    results = run(options.sizes, seed=options.seed, keep=options.keep, repeat=options.repeat)
    print_table(results)
    return 0 if all(r["ok"] is not False for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
