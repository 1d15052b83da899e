"""Fixtures for fulfilment tests.

- `platform_postgresql`: a scratch PostgreSQL database for the reference platform's tables
  (demo.platform), created once per session under a unique name next to the test database,
  emptied for each test and dropped at the end.
- `register`: the register entries a platform request needs (rules with the Bokföringslagen
  hold, categories, the three SQL systems of the demo with their statements, a processing
  activity, AWS and Stripe as recipients) pointing at a filled platform database.
- `receive(*rights, ...)`: a request registered as staff enter it (a case per right).
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

from core.db import database_drop, database_ensure
from demo import connectors as demo_connectors
from demo import names
from demo.platform import PlatformPerson, ensure
from dsr.connectors.postgresql import transaction
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


# --- Requests ---------------------------------------------------------------------------------


CORRECTION = "Name: Anna Berg"


def receive(*rights, email="anna.berg@example.org", name="Anna Berg", channel="email", **fields):
    """Register a request for `rights` (a rectification says what to correct), as staff do;
    the submission, whose cases are one per right."""
    from dsr.services import intake
    from dsr.services.intake import ReceiptInput, RequestedRight

    return intake.submission_receive(
        data=ReceiptInput(
            channel=channel,
            rights=[
                RequestedRight(
                    right,
                    rectification_content="Name: Anna Berg" if right == "rectification" else "",
                )
                for right in rights
            ],
            requester_email=email,
            requester_name=name,
            **fields,
        )
    )


# --- Platform databases ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def _platform_database(django_db_setup, django_db_blocker):
    """A scratch PostgreSQL database next to the test database, unique to this session."""
    from django.db import connections

    settings_dict = connections["default"].settings_dict
    name = f"{settings_dict['NAME']}_platform_{uuid.uuid4().hex[:8]}"
    yield database_ensure(settings_dict, name)
    database_drop(settings_dict, name)


@pytest.fixture
def platform_postgresql(_platform_database) -> str:
    """The scratch platform database, empty (no tables) at the start of the test."""
    with psycopg.connect(_platform_database, autocommit=True) as connection:
        connection.execute("DROP SCHEMA public CASCADE")
        connection.execute("CREATE SCHEMA public")
    return _platform_database


def platform_rows(url: str, sql: str, **params) -> list[dict]:
    """Read (or change) the platform database directly, as its own team would."""
    with transaction(url) as session:
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


# --- The register ---------------------------------------------------------------------------


@pytest.fixture
def register(db, platform_postgresql):
    """The demo's platform systems, reaching a filled platform database, and who receives
    their data; Anna Berg (two addresses) is in the register and on the platform."""
    url = platform_postgresql
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
        demo_connectors.sql_connector_ensure(system, url, categories)
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
    from core.tasks import send_outbox_email
    from dsr.tasks import run_case_task

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
