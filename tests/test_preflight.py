"""`make test` names what the machine lacks before it runs anything, with the fix."""

import subprocess
import time

import pytest

from tests import preflight
from tests.processes import BASE_DIR, project_env, python


def test_a_machine_with_everything_passes():
    assert preflight.missing() == []


def test_missing_programs_are_named_with_the_package_that_installs_them(monkeypatch):
    monkeypatch.setattr(preflight, "CHROMIUM", "/nonexistent/chromium")
    [missing] = preflight.missing()
    assert "Chromium" in missing.what and missing.fix == "apt-get install chromium"


@pytest.mark.slow
def test_without_redis_make_test_stops_at_once_with_one_message():
    env = project_env(CELERY_BROKER_URL="redis://127.0.0.1:1/15")
    for name in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS"):
        env.pop(name, None)
    started = time.monotonic()
    result = subprocess.run(
        ["make", "test"], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert time.monotonic() - started < 60
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert output.count("make test cannot run") == 1
    assert "Redis on 127.0.0.1:1" in output and "redis-server --daemonize yes" in output
    # Nothing else ran: no linter, no checks, no tests.
    assert "ruff" not in output and "passed" not in output


def test_the_module_exits_non_zero_and_says_why():
    result = python(
        "import sys; from tests import preflight; sys.exit(preflight.main())",
        env=project_env(CELERY_BROKER_URL="redis://127.0.0.1:1/15"),
    )
    assert result.returncode == 1
    assert "fix: apt-get install redis-server" in result.stderr
