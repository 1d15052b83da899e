"""What `make run` starts, run as it runs: SQLite, the filesystem broker, web + worker + beat.

The Procfile is started by honcho exactly as the Makefile does, in a private VAR_DIR, and driven
over HTTP: the admin login page and /healthz answer, a staff member's button queues a task that
the worker completes, beat fires on its own, and one interrupt stops everything.
"""

import http.cookiejar
import os
import re
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.processes import BASE_DIR, BIN_DIR, manage, project_env

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            result = predicate()
            if result:
                return result
        except (OSError, urllib.error.URLError, sqlite3.Error) as error:
            last_error = error
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what} (last error: {last_error})")


def _checks(db_path, origin):
    with sqlite3.connect(db_path) as db:
        return db.execute(
            "SELECT count(*) FROM privacy_workercheck"
            " WHERE origin = ? AND completed_at IS NOT NULL",
            (origin,),
        ).fetchone()[0]


@pytest.fixture
def embedded_env(tmp_path):
    env = project_env(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        VAR_DIR=str(tmp_path / "var"),
        WORKER_HEARTBEAT_SECONDS="2",
        EMAIL_URL="consolemail://",
        PORTAL_PORT=str(_free_port()),
    )
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY", "DEBUG"):
        env.pop(name, None)
    return env


def test_make_run_serves_pages_and_runs_queued_and_scheduled_tasks(embedded_env, tmp_path):
    migrate = manage("migrate", "--noinput", env=embedded_env)
    assert migrate.returncode == 0, migrate.stderr
    seed = manage("seed_demo", env=embedded_env)
    assert seed.returncode == 0, seed.stderr
    password = (tmp_path / "var" / "demo-staff-password").read_text().strip()

    base = f"http://127.0.0.1:{embedded_env['PORTAL_PORT']}"
    log = open(tmp_path / "honcho.log", "wb")  # noqa: SIM115
    honcho = subprocess.Popen(
        [str(BIN_DIR / "honcho"), "--no-colour", "-f", "Procfile.dev", "start"],
        cwd=BASE_DIR,
        env=embedded_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        login_page = _wait_for(
            lambda: urllib.request.urlopen(f"{base}/admin/login/", timeout=5).read().decode(),
            timeout=90,
            what="the admin login page",
        )
        assert "Privacy operations portal" in login_page

        health = urllib.request.urlopen(f"{base}/healthz", timeout=10)
        assert health.status == 200
        assert b'"broker": "ok"' in health.read()

        key = (tmp_path / "var" / "demo-staff-totp-key").read_text().strip()
        opener = _log_in(base, "demo", password, key)
        status_page = opener.open(f"{base}/admin/privacy/workercheck/").read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', status_page).group(1)
        opener.open(
            urllib.request.Request(
                f"{base}/admin/privacy/workercheck/send/",
                data=urllib.parse.urlencode({"csrfmiddlewaretoken": token}).encode(),
                headers={"Referer": f"{base}/admin/privacy/workercheck/"},
            )
        )

        db_path = tmp_path / "var" / "db.sqlite3"
        _wait_for(lambda: _checks(db_path, "web") == 1, 60, "the worker to run the web's task")
        _wait_for(lambda: _checks(db_path, "beat") >= 1, 60, "beat to fire the heartbeat")
    finally:
        os.killpg(honcho.pid, signal.SIGINT)
        try:
            honcho.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(honcho.pid, signal.SIGKILL)
            raise
        log.close()
    output = (tmp_path / "honcho.log").read_text()
    # Ctrl-C stops all of it: nothing is left listening.
    with (
        pytest.raises(OSError),
        socket.create_connection(("127.0.0.1", int(embedded_env["PORTAL_PORT"])), timeout=2),
    ):
        pass
    assert "web" in output and "worker" in output


def _log_in(base: str, username: str, password: str, totp_key: str):
    """Sign in as staff do: password, then the authenticator app's code."""
    from django_otp.oath import totp

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/admin/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = opener.open(
        urllib.request.Request(
            f"{base}/admin/login/?next=/admin/",
            data=urllib.parse.urlencode(
                {"csrfmiddlewaretoken": token, "username": username, "password": password}
            ).encode(),
            headers={"Referer": f"{base}/admin/login/"},
        )
    )
    assert "/admin/two-factor/" in response.geturl(), "password step failed"
    page = response.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    code = f"{totp(bytes.fromhex(totp_key)):06d}"
    response = opener.open(
        urllib.request.Request(
            f"{base}/admin/two-factor/",
            data=urllib.parse.urlencode(
                {"csrfmiddlewaretoken": token, "code": code, "next": "/admin/"}
            ).encode(),
            headers={"Referer": response.geturl()},
        )
    )
    assert response.geturl().endswith("/admin/"), "second step failed"
    return opener
