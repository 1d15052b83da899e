"""`make run` as a newcomer runs it: no environment set, a private VAR_DIR, another port.

The Makefile starts the embedded PostgreSQL, migrates, seeds the demo and serves web, worker
and beat; the test drives it over HTTP and in Chromium: the admin and /healthz answer within
two minutes, the queue shows the demo's overdue request in red, the confirmation email links
to the port served, a staff member's button queues a task the worker completes, beat fires on
its own, and one interrupt stops everything, the database server included.
"""

import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import psycopg
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from config import localdb
from tests.processes import BASE_DIR, project_env

pytestmark = [pytest.mark.slow, pytest.mark.browser]

# What a fresh clone's shell has none of; and the outer `make test`'s own variables.
UNSET = (
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "CACHE_URL",
    "SECRET_KEY",
    "DEBUG",
    "SITE_URL",
    "DJANGO_SETTINGS_MODULE",
    "MAKEFLAGS",
    "MAKELEVEL",
    "MFLAGS",
    "EMAIL_HOST",
    "EMAIL_PORT",
)


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
        except (OSError, urllib.error.URLError, psycopg.Error) as error:
            last_error = error
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what} (last error: {last_error})")


def _rows(var_dir, sql: str, params=()) -> list[tuple]:
    with psycopg.connect(localdb.url(var_dir).replace("postgres://", "postgresql://")) as db:
        return db.execute(sql, params).fetchall()


def _make_run(env: dict, port: int, log_path):
    log = open(log_path, "ab")  # noqa: SIM115 - the process writes it until it ends
    process = subprocess.Popen(
        ["make", "run", f"PORT={port}"],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    process.log = log
    return process


def _interrupt(process, var_dir) -> None:
    """Ctrl-C, as the terminal sends it: SIGINT to the whole process group."""
    try:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                localdb.stop(var_dir)
                raise
    finally:
        process.log.close()


@pytest.fixture
def stack(tmp_path, smtp_sink):
    """`make run PORT=<free port>` on a fresh VAR_DIR, stopped with one interrupt afterwards."""
    port = _free_port()
    var_dir = tmp_path / "var"
    env = project_env(
        VAR_DIR=str(var_dir),
        WORKER_HEARTBEAT_SECONDS="2",
        # Mail goes to the test's SMTP server instead of the console.
        EMAIL_URL=f"smtp://{smtp_sink.host}:{smtp_sink.port}",
    )
    for name in UNSET:
        env.pop(name, None)
    log_path = tmp_path / "make-run.log"
    started = time.monotonic()
    process = _make_run(env, port, log_path)
    stack = {
        "base": f"http://127.0.0.1:{port}",
        "port": port,
        "var": var_dir,
        "env": env,
        "started": started,
        "log": log_path,
        "process": process,
    }
    yield stack
    _interrupt(stack["process"], var_dir)


def _log_in(page, base: str, var_dir) -> None:
    from django_otp.oath import totp

    password = (var_dir / "demo-staff-password").read_text().strip()
    key = (var_dir / "demo-staff-totp-key").read_text().strip()
    page.goto(f"{base}/admin/login/")
    page.get_by_label("Username").fill("demo")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.get_by_label("Code").fill(f"{totp(bytes.fromhex(key)):06d}")
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"{base}/admin/")


def test_make_run_serves_the_demo_on_postgresql_and_stops_with_one_interrupt(
    stack, page, smtp_sink, screenshot
):
    base, var_dir = stack["base"], stack["var"]
    login = _wait_for(
        lambda: urllib.request.urlopen(f"{base}/admin/login/", timeout=5).read().decode(),
        timeout=120 - (time.monotonic() - stack["started"]),
        what="the admin login page",
    )
    assert "Privacy operations portal" in login
    health = urllib.request.urlopen(f"{base}/healthz", timeout=10).read().decode()
    assert '"database": "ok"' in health and '"broker": "ok"' in health
    # The portal's data is in the embedded PostgreSQL under VAR_DIR, the demo platform's in a
    # second database of the same server.
    assert (var_dir / "pg" / "PG_VERSION").read_text().strip() == "18"
    [(server,)] = _rows(var_dir, "SHOW server_version")
    assert server.startswith("18.")
    databases = {name for (name,) in _rows(var_dir, "SELECT datname FROM pg_database")}
    assert {"privacy_portal", "privacy_portal_demo_platform"} <= databases

    # The queue: the demo request past its legal due date is overdue, in red.
    today = timezone.localdate()
    [(reference, due)] = _rows(
        var_dir,
        "SELECT reference, COALESCE(extended_due_date, due_date) FROM dsr_dsrcase"
        " WHERE status NOT IN ('completed', 'partially_completed', 'refused', 'withdrawn')"
        " AND COALESCE(extended_due_date, due_date) < %s",
        [today],
    )
    page.set_default_timeout(20_000)
    _log_in(page, base, var_dir)
    page.goto(f"{base}/admin/dsr/dsrcase/?deadline=overdue")
    row = page.get_by_role("row").filter(has_text=reference)
    days = row.locator(".dsr-days")
    expect(days).to_have_text(re.compile(rf"^Overdue by {(today - due).days} days?$"))
    red, green, blue = map(int, re.findall(r"\d+", days.evaluate("e => getComputedStyle(e).color")))
    assert red > 150 and green < 80 and blue < 80, (red, green, blue)
    screenshot("overdue-in-red")

    # The first email of a request from the public form links to the port served.
    address = "new.requester@example.org"
    page.goto(f"{base}/privacy/request/")
    page.get_by_label("Get a copy of the personal data you hold about me").check()
    page.get_by_label("Your email address").fill(address)
    page.get_by_label("I am 16 or older").check()
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    [confirmation] = _wait_for(
        lambda: [m for m in smtp_sink.messages if address in m.rcpt_tos],
        timeout=60,
        what="the confirmation email",
    )
    links = re.findall(r"https?://[^\s\"<>]+", confirmation.text())
    assert any(link.startswith(f"{base}/privacy/verify/") for link in links), links
    assert all(link.startswith(base) for link in links if "127.0.0.1" in link), links

    # A staff member's button queues a task through the broker; the worker completes it; beat
    # records heartbeats on its own.
    page.goto(f"{base}/admin/core/workercheck/")
    page.get_by_role("button", name="Send a test task to the worker").click()
    expect(page.get_by_text("Test task #")).to_be_visible()

    def checks(origin: str) -> int:
        return _rows(
            var_dir,
            "SELECT count(*) FROM core_workercheck WHERE origin = %s AND completed_at IS NOT NULL",
            [origin],
        )[0][0]

    _wait_for(lambda: checks("web") == 1, 60, "the worker to run the web's task")
    _wait_for(lambda: checks("beat") >= 1, 60, "beat to fire the heartbeat")


def test_ctrl_c_stops_everything_and_a_second_run_reuses_the_data(stack):
    base, var_dir = stack["base"], stack["var"]
    _wait_for(
        lambda: urllib.request.urlopen(f"{base}/healthz", timeout=5).status == 200,
        timeout=120,
        what="/healthz",
    )
    assert localdb.is_running(var_dir)
    _interrupt(stack["process"], var_dir)
    assert not localdb.is_running(var_dir)
    with (
        pytest.raises(OSError),
        socket.create_connection(("127.0.0.1", stack["port"]), timeout=2),
    ):
        pass
    assert "PostgreSQL (embedded) stopped" in stack["log"].read_text()
    leftovers = subprocess.run(["pgrep", "-f", str(var_dir)], capture_output=True, text=True)
    assert not leftovers.stdout.strip(), leftovers.stdout

    # Again, on the same data: the server starts on it and the demo is not seeded twice.
    second_log = stack["log"].with_name("second-run.log")
    stack["process"] = _make_run(stack["env"], stack["port"], second_log)
    _wait_for(
        lambda: urllib.request.urlopen(f"{base}/healthz", timeout=5).status == 200,
        timeout=120,
        what="/healthz of the second run",
    )
    second = second_log.read_text()
    assert "data subjects (0 new)" in second and "Connectors: 4 (0 new)" in second
