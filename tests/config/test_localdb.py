"""The embedded PostgreSQL of `make run`, and of `make test` where none answers on 5432."""

import os
import subprocess
import sys

import psycopg
import pytest

from config import localdb
from tests.processes import BASE_DIR, project_env

pytestmark = pytest.mark.slow

NOBODY = "postgres://postgres@127.0.0.1:1/postgres"  # nothing listens on port 1


def _run(var_dir, *command, unless_reachable=NOBODY, **env):
    environment = project_env(VAR_DIR=str(var_dir), **env)
    environment.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "config/localdb.py", "run", "--unless-reachable", unless_reachable,
         "--", *command],
        cwd=BASE_DIR, env=environment, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_run_starts_the_server_for_the_command_and_stops_it_after(tmp_path):
    result = _run(
        tmp_path,
        sys.executable,
        "-c",
        "import os, psycopg; url = os.environ['DATABASE_URL'];"
        "print(url); print(psycopg.connect(url.replace('postgres://', 'postgresql://'))"
        '.execute("SELECT default_version FROM pg_available_extensions'
        " WHERE name = 'pg_trgm'\").fetchone()[0])",
    )
    assert result.returncode == 0, result.stderr
    url, trigram = result.stdout.split()
    assert url == f"postgres://postgres@/privacy_portal?host={tmp_path.resolve() / 'pg'}"
    assert trigram  # contrib is there: the admin's search indexes need pg_trgm
    assert "PostgreSQL (embedded) started" in result.stderr
    assert "PostgreSQL (embedded) stopped" in result.stderr
    assert not localdb.is_running(tmp_path)
    # Its data stays for the next run.
    assert (tmp_path / "pg" / "PG_VERSION").is_file()


def test_a_server_that_answers_is_used_as_it_is(tmp_path):
    reachable = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    if not localdb.reachable(reachable):
        pytest.skip("no PostgreSQL answers on 127.0.0.1:5432 here")
    result = _run(
        tmp_path,
        sys.executable,
        "-c",
        "import os; print(os.environ.get('DATABASE_URL', 'unset'))",
        unless_reachable=reachable,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "unset"
    assert not (tmp_path / "pg").exists()


def test_the_suite_runs_on_the_embedded_server_when_nothing_answers_on_5432(tmp_path):
    """What `make test` does on a machine without PostgreSQL: a part of the suite, as proof."""
    result = _run(
        tmp_path,
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "tests/core/test_access_log.py",
        "tests/privacy/test_register_rules.py",
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert " passed" in result.stdout
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(localdb.url(tmp_path).replace("postgres://", "postgresql://"))
