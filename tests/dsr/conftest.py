"""Fixtures for fulfilment tests.

- `platform_postgresql`: a scratch PostgreSQL database for the reference platform's tables
  (dsr.demo_platform), created once per session under a unique name, emptied for each test and
  dropped at the end; `platform_sqlite` is a SQLite file; `platform_url` runs a test on both.
- `register`: the register entries a platform request needs (rules with the Bokföringslagen
  hold, categories, the three SQL systems of the demo with their statements, a processing
  activity, AWS and Stripe as recipients) pointing at a filled platform database
  (`register_platform_url`: PostgreSQL, or both engines where a module overrides it).
- `queued`: records what services queue for Celery instead of sending it to the broker.
- `webhook_receiver`: a real HTTP server in a thread, answering with `status`.
"""

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from unittest import mock

import psycopg
import pytest

from dsr import demo as dsr_demo
from dsr.connectors.postgresql import is_sqlite, transaction
from dsr.demo_platform import PlatformPerson, ensure
from privacy import demo as names
from privacy.choices import SubjectCategory
from tests.factories import (
    AccountingRetentionRuleFactory,
    ControllerProfileFactory,
    DataCategoryFactory,
    DataSubjectFactory,
    OrganisationFactory,
    ProcessingActivityFactory,
    ProcessorFactory,
    ProcessorWithAgreementFactory,
    RetentionRuleFactory,
    SystemFactory,
)

ANNA = "anna.berg@example.org"
ANNA_PRIVATE = "anna.b@post.example"
BO = "bo.ek@example.org"
CECILIA = "cecilia.holm@kustlinje.example"
AWS_CONTACT = "aws-privacy@aws.example"


# --- Platform databases ---------------------------------------------------------------------


def _admin_dsn(settings_dict: dict, database: str) -> str:
    user = settings_dict.get("USER") or "postgres"
    password = settings_dict.get("PASSWORD") or ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    credentials = f"{user}:{password}" if password else user
    return f"postgresql://{credentials}@{host}:{port}/{database}"


@pytest.fixture(scope="session")
def _platform_database(django_db_setup, django_db_blocker):
    """A scratch PostgreSQL database next to the test database, unique to this session."""
    from django.db import connections

    settings_dict = connections["default"].settings_dict
    name = f"{settings_dict['NAME']}_platform_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_admin_dsn(settings_dict, "postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield _admin_dsn(settings_dict, name)
    with psycopg.connect(_admin_dsn(settings_dict, "postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def platform_postgresql(_platform_database) -> str:
    """The scratch platform database, empty (no tables) at the start of the test."""
    with psycopg.connect(_platform_database, autocommit=True) as connection:
        connection.execute("DROP SCHEMA public CASCADE")
        connection.execute("CREATE SCHEMA public")
    return _platform_database


@pytest.fixture
def platform_sqlite(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'platform.sqlite3'}"


@pytest.fixture(params=["postgresql", "sqlite"])
def platform_url(request) -> str:
    return request.getfixturevalue(f"platform_{request.param}")


def platform_rows(url: str, sql: str, **params) -> list[dict]:
    """Read (or change) the platform database directly, as its own team would."""
    with transaction(url, write=True) as session:
        rows, _count = session.execute(sql, params)
    return rows or []


def platform_count(url: str, table: str, where: str = "1 = 1", **params) -> int:
    sql = f"SELECT count(*) AS n FROM {table} WHERE {where}"  # noqa: S608 - test constants
    return platform_rows(url, sql, **params)[0]["n"]


PEOPLE = [
    PlatformPerson(ANNA, "Anna Berg", "Nordvind Analys AB", "SE", is_admin=True),
    PlatformPerson(BO, "Bo Ek", "Nordvind Analys AB", "SE", is_admin=False),
    PlatformPerson(CECILIA, "Cecilia Holm", "Kustlinje Försäkring AB", "SE", is_admin=True),
]


@pytest.fixture
def register_platform_url(platform_postgresql) -> str:
    """The platform database `register` fills: PostgreSQL unless a module overrides this."""
    return platform_postgresql


# --- The register ---------------------------------------------------------------------------


@pytest.fixture
def register(db, register_platform_url):
    """The demo's platform systems, reaching a filled platform database, and who receives
    their data; Anna Berg (two addresses) is in the register and on the platform."""
    url = register_platform_url
    ensure(url, PEOPLE)
    ControllerProfileFactory()
    accounting = AccountingRetentionRuleFactory()
    usage_rule = RetentionRuleFactory(name="Usage events", action="anonymise", period=13)
    account_rule = RetentionRuleFactory(name="Platform account data", period=3)
    categories = {
        names.CAT_ACCOUNT: DataCategoryFactory(name=names.CAT_ACCOUNT, retention_rule=account_rule),
        names.CAT_CONTENT: DataCategoryFactory(name=names.CAT_CONTENT, retention_rule=account_rule),
        names.CAT_USAGE: DataCategoryFactory(name=names.CAT_USAGE, retention_rule=usage_rule),
        names.CAT_INVOICES: DataCategoryFactory(name=names.CAT_INVOICES, retention_rule=accounting),
    }
    systems = {
        names.SYS_DATABASE: SystemFactory(
            name=names.SYS_DATABASE,
            data_categories=[categories[names.CAT_ACCOUNT], categories[names.CAT_CONTENT]],
        ),
        names.SYS_EVENTS: SystemFactory(
            name=names.SYS_EVENTS, data_categories=[categories[names.CAT_USAGE]]
        ),
        names.SYS_BILLING: SystemFactory(
            name=names.SYS_BILLING, data_categories=[categories[names.CAT_INVOICES]]
        ),
    }
    for system in systems.values():
        dsr_demo.sql_connector_ensure(system, url, is_sqlite(url), categories)
    ProcessingActivityFactory(
        subject_categories=[SubjectCategory.PLATFORM_USER, SubjectCategory.ORGANISATION_ADMIN],
        data_categories=list(categories.values()),
    )
    aws = ProcessorWithAgreementFactory(name="Amazon Web Services", privacy_contact=AWS_CONTACT)
    aws.data_categories.set(
        [categories[names.CAT_ACCOUNT], categories[names.CAT_CONTENT], categories[names.CAT_USAGE]]
    )
    stripe = ProcessorFactory(
        name="Stripe", privacy_contact="https://support.stripe.com/contact/privacy"
    )
    stripe.data_categories.set([categories[names.CAT_INVOICES]])
    anna = DataSubjectFactory(
        name="Anna Berg",
        email=ANNA,
        category=SubjectCategory.ORGANISATION_ADMIN,
        organisation=OrganisationFactory(name="Nordvind Analys AB"),
    )
    anna.emails.create(email=ANNA_PRIVATE)
    return SimpleNamespace(
        url=url,
        categories=categories,
        systems=systems,
        accounting=accounting,
        aws=aws,
        stripe=stripe,
        anna=anna,
    )


# --- Files, Celery and the outside world ----------------------------------------------------


@pytest.fixture
def media_in_tmp(settings, tmp_path):
    """Result files and evidence go to the test's own folder, not the project's var/."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def queued():
    """Task ids services queue (after commit) for run_case_task; outbox sends are dropped."""
    from dsr.tasks import run_case_task
    from privacy.tasks import send_outbox_email

    ids: list[int] = []
    with (
        mock.patch.object(run_case_task, "delay", side_effect=ids.append),
        mock.patch.object(send_outbox_email, "delay"),
    ):
        yield ids


class WebhookReceiver:
    """A system's webhook endpoint: records each request and answers with `status`."""

    def __init__(self):
        self.status = 202
        self.headers: dict[str, str] = {}
        self.requests: list[tuple[dict, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.requests.append((dict(self.headers), body))
                self.send_response(receiver.status)
                for name, value in receiver.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/dsr-hook"

    def json(self, index: int = -1) -> dict:
        return json.loads(self.requests[index][1])


@pytest.fixture
def webhook_receiver():
    receiver = WebhookReceiver()
    receiver.thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()
