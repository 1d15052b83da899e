"""Fixtures every test module can use.

- `smtp_sink`: the real SMTP server (aiosmtpd) all test email goes through.
- `frozen`, `clock_running`: the clock on Thursday 5 March 2026, 10:00 Stockholm time.
- `privacy_officer`, `support_agent`, `manager`, `auditor`: staff users in their role groups.
- `celery_worker`: a real Celery worker thread consuming the Redis test broker.
- `page` (pytest-playwright) in Debian's Chromium; `staff_page` is a page logged into the admin;
  `screenshot` saves named step screenshots. A failing browser test keeps its screenshot in
  var/test-results/.
"""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from accounts.roles import Role
from tests.factories import TEST_PASSWORD, UserFactory
from tests.smtp import SmtpSink

RESULTS_DIR = Path(django_settings.BASE_DIR) / "var" / "test-results"
CHROMIUM = "/usr/bin/chromium"


# --- Email ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _smtp_server():
    sink = SmtpSink()
    sink.start()
    # Worker subprocesses started by tests read their settings from the environment.
    os.environ["EMAIL_HOST"] = sink.host
    os.environ["EMAIL_PORT"] = str(sink.port)
    yield sink
    sink.stop()


@pytest.fixture(autouse=True)
def smtp_sink(_smtp_server, settings):
    """Every test sends mail through the real SMTP server; this returns what it received."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = _smtp_server.host
    settings.EMAIL_PORT = _smtp_server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    _smtp_server.clear()
    yield _smtp_server
    _smtp_server.clear()


@pytest.fixture(autouse=True)
def _english_by_default():
    """Each test starts in the default language: a request in Swedish leaves its language
    active on the thread, which would otherwise leak into the next test."""
    from django.utils import translation

    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: the database rolls back after a test, the cache
    (the public pages' register, rate limits) would otherwise keep what the test left."""
    from django.core.cache import cache

    from core import public_cache

    cache.clear()
    public_cache.forget()
    yield


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """Each run has a test database of its own (test_<name>_<pid>): two runs on one server (two
    checkouts, or a second run started while one goes on) never drop each other's. What a
    killed run left behind is dropped here, once its process is gone."""
    from django.db import connections

    settings_dict = connections["default"].settings_dict
    base = settings_dict["TEST"].get("NAME") or f"test_{settings_dict['NAME']}"
    _drop_abandoned_test_databases(settings_dict, base)
    settings_dict["TEST"]["NAME"] = f"{base}_{os.getpid()}"


def _drop_abandoned_test_databases(settings_dict: dict, base: str) -> None:
    import psycopg

    from core.db import database_drop, database_url

    pattern = re.compile(rf"{re.escape(base)}_(\d+)(_.*)?")
    with psycopg.connect(database_url(settings_dict, "postgres"), autocommit=True) as admin:
        names = [row[0] for row in admin.execute("SELECT datname FROM pg_database")]
    for name in names:
        match = pattern.fullmatch(name)
        if match and not _process_alive(int(match.group(1))):
            database_drop(settings_dict, name)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@pytest.fixture(autouse=True, scope="session")
def _demo_platform_dropped(django_db_setup, django_db_blocker):
    """`seed_demo` fills a platform database next to the test database, outside any test's
    transaction: none is left from an earlier run, and none is left behind."""
    from django.db import connections

    from core.db import database_drop

    settings_dict = connections["default"].settings_dict
    name = f"{settings_dict['NAME']}_demo_platform"
    database_drop(settings_dict, name)
    yield
    database_drop(settings_dict, name)


# --- The clock ------------------------------------------------------------------------------

# Thursday 5 March 2026, 10:00 in Stockholm: the day the deadline tests count from (received
# that day, a request is due on Tuesday 7 April).
THURSDAY = "2026-03-05T10:00:00+01:00"


@pytest.fixture
def frozen(time_machine):
    """The clock stopped on THURSDAY."""
    time_machine.move_to(THURSDAY, tick=False)
    return time_machine


@pytest.fixture
def clock_running(time_machine):
    """The clock running from THURSDAY (for what orders rows by the moment they were written)."""
    time_machine.move_to(THURSDAY, tick=True)
    return time_machine


# --- Staff roles ----------------------------------------------------------------------------


def _staff(role: Role, username: str):
    return UserFactory(username=username, roles=[role])


@pytest.fixture
def privacy_officer(db):
    return _staff(Role.PRIVACY_OFFICER, "officer")


@pytest.fixture
def support_agent(db):
    return _staff(Role.SUPPORT_AGENT, "agent")


@pytest.fixture
def manager(db):
    return _staff(Role.MANAGER, "manager")


@pytest.fixture
def auditor(db):
    return _staff(Role.AUDITOR, "auditor")


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture(autouse=True, scope="session")
def _force_login_is_verified():
    """In tests, `client.force_login(user)` signs in the way staff do: with a second factor.
    `force_login_without_second_factor` (tests.helpers) gives a password-only session."""
    from django.test import Client

    from tests.helpers import verify_second_factor

    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        if getattr(user, "is_staff", False):
            verify_second_factor(self, user)

    Client.force_login = force_login
    Client.force_login_unverified = original
    yield
    Client.force_login = original
    del Client.force_login_unverified


# --- Celery ---------------------------------------------------------------------------------


@pytest.fixture
def celery_worker(transactional_db):
    """A real worker thread on the Redis test broker; tests using it see committed data only."""
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as worker:
        yield worker
    app.control.purge()


# --- Browser --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # Playwright's sync API keeps an event loop on the test thread; Django then refuses ORM
    # calls from it unless told that this thread is not serving async code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


def _safe_name(text: str) -> str:
    return re.sub(r"[^\w.-]+", "_", text)


@pytest.fixture
def screenshot(request, page):
    """`screenshot("step name")` saves var/test-results/screenshots/<test>/<nn>-<step>.png."""
    folder = RESULTS_DIR / "screenshots" / _safe_name(request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 1000))

    def save(step: str) -> Path:
        path = folder / f"{next(counter):02d}-{_safe_name(step)}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save


@pytest.fixture
def staff_page(page, live_server, superuser):
    """A Chromium page signed into the admin as a superuser: password, then app code."""
    from tests.helpers import authenticator_code, authenticator_for

    device = authenticator_for(superuser)
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill(superuser.username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_label("Code").fill(authenticator_code(device))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"{live_server.url}/admin/")
    return page
