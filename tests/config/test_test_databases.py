"""Each test run has its own database; a killed run's is dropped by the next one."""

import os
import subprocess
import sys

import psycopg
import pytest
from django.db import connection

from core.db import database_drop, database_ensure, database_url
from tests.conftest import _drop_abandoned_test_databases

pytestmark = pytest.mark.django_db


def _databases() -> set[str]:
    with psycopg.connect(database_url(connection.settings_dict, "postgres")) as admin:
        return {row[0] for row in admin.execute("SELECT datname FROM pg_database")}


def test_this_run_has_a_database_of_its_own():
    assert connection.settings_dict["NAME"].endswith(f"_{os.getpid()}")


def test_a_dead_runs_databases_are_dropped_and_a_living_runs_kept():
    settings_dict = connection.settings_dict
    base = "test_probe_portal"
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    dead_pid = int(dead.stdout)
    names = [f"{base}_{dead_pid}", f"{base}_{dead_pid}_demo_platform", f"{base}_{os.getpid()}"]
    for name in names:
        database_ensure(settings_dict, name)
    try:
        _drop_abandoned_test_databases(settings_dict, base)

        left = _databases()
        assert f"{base}_{dead_pid}" not in left
        assert f"{base}_{dead_pid}_demo_platform" not in left
        assert f"{base}_{os.getpid()}" in left
    finally:
        for name in names:
            database_drop(settings_dict, name)
