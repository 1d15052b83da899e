"""What the bench's sections share: their rows and the printed table, the PostgreSQL server of
DATABASE_URL for scratch databases, and running a section's own module as a child process."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def row(
    name, value, unit, baseline=None, target=None, *, ratio_target=False, minimum=False
) -> dict:
    """One figure. The target bounds the value (or, with ratio_target, the ratio to the
    baseline) from above, or from below when minimum is true (`target_is_minimum`)."""
    ratio = value / baseline if baseline else None
    return {
        "name": name,
        "value": round(value, 3),
        "unit": unit,
        "baseline": round(baseline, 3) if baseline is not None else None,
        "ratio": round(ratio, 3) if ratio is not None else None,
        "target": target,
        "target_is_minimum": minimum,
        "ok": target_met(ratio if ratio_target else value, target, minimum=minimum),
    }


def target_met(measured, target, *, minimum=False) -> bool | None:
    """Whether `measured` is within `target`: at most it, or at least it when minimum is true.
    None when there is no target, or nothing measured to compare."""
    if target is None or measured is None:
        return None
    return measured >= target if minimum else measured <= target


def print_table(results: list[dict]) -> None:
    def show(value):
        if value is None:
            return "-"
        if isinstance(value, bool):
            return "yes" if value else "NO"
        return f"{value:,.3f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)

    def target(row):
        # Which way the target goes: at most (the default) or at least (target_is_minimum).
        if row["target"] is None:
            return "-"
        return ("≥ " if row.get("target_is_minimum") else "≤ ") + show(row["target"])

    headers = ("figure", "value", "unit", "baseline", "ratio", "target", "ok")
    lines = [
        (
            r["name"],
            *(
                r[key] if key == "unit" else target(r) if key == "target" else show(r[key])
                for key in headers[1:]
            ),
        )
        for r in results
    ]
    widths = [max(len(str(x)) for x in column) for column in zip(headers, *lines, strict=True)]
    for line in (headers, tuple("-" * w for w in widths), *lines):
        print("  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)))


def _server() -> dict:
    """The PostgreSQL server DATABASE_URL names (config/settings/test.py's default when it is
    unset), as a DATABASES entry."""
    import environ

    return environ.Env.db_url_config(
        os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/privacy_portal")
    )


def database_url(name: str) -> str:
    """The URL of database `name` on that server: a TCP host or a socket folder."""
    from core.db import database_url as url_on_server

    return url_on_server(_server(), name)


def database_create(name: str) -> str:
    """A new, empty database `name` on that server (one left by an earlier run is dropped)."""
    from core.db import database_drop, database_ensure

    database_drop(_server(), name)
    return database_ensure(_server(), name)


def database_drop(name: str) -> None:
    from core.db import database_drop as drop_on_server

    drop_on_server(_server(), name)


def scratch_database(section: str) -> tuple[str, str]:
    """(URL, name) of a new database name for `section` on that server; the caller creates
    (database_create) and drops (database_drop) it."""
    name = f"bench_{section}_{uuid.uuid4().hex[:8]}"
    return database_url(name), name


def child(module: str, args: list[str], env: dict) -> dict:
    """Run `python -m module --child args` and return the JSON its last line printed."""
    result = subprocess.run(  # noqa: S603 - a bench module, with arguments it made
        [sys.executable, "-m", module, "--child", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"bench child {module} {args} failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])
