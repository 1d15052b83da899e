"""`seed_scale` at a small size: the right counts, every right and status, the same rows for the
same seed, ciphertext where the portal encrypts, addresses that search finds, an intact
access-log chain, the admin's lists rendering the result, and platform rows in a scratch
PostgreSQL database that the seeded SQL connectors reach."""

import hashlib
import uuid
from datetime import UTC, datetime

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench.seeding import platform, requests, scale
from core import crypto
from core.access_log import verify_chain
from core.db import database_drop, database_ensure
from core.models import AccessLogEntry, SentNotice
from demo import names
from dsr.choices import CaseStatus, ConnectorKind, Operation, Right
from dsr.connectors import connector_for_kind
from dsr.models import (
    CaseEvent,
    CasePause,
    CaseTask,
    DsrCase,
    ReferenceCounter,
    Submission,
    SystemConnector,
)
from dsr.selectors import cases as case_selectors
from dsr.selectors import fulfilment as fulfilment_selectors
from dsr.services import fulfilment
from privacy.models import ConsentRecord, DataSubject, Organisation, SubjectEmail
from privacy.selectors import subject_by_email, subjects_matching
from tests.dsr.conftest import platform_count, platform_rows

pytestmark = pytest.mark.django_db

SUBJECTS = 3_000
CASES = 600
# Thursday 5 November 2026, noon in Stockholm.
ANCHOR = datetime(2026, 11, 5, 11, 0, tzinfo=UTC)
SEEDED = [
    DataSubject,
    SubjectEmail,
    ConsentRecord,
    Organisation,
    Submission,
    DsrCase,
    CaseEvent,
    CasePause,
    CaseTask,
    SentNotice,
    AccessLogEntry,
]


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(ANCHOR, tick=False)
    return time_machine


def _empty() -> None:
    """Remove every seeded row and restart the tables' ids, as in a fresh database.

    TRUNCATE is not an UPDATE or DELETE: the append-only triggers neither fire nor change.
    """
    tables = [model._meta.db_table for model in (*SEEDED, ReferenceCounter)]
    with connection.cursor() as cursor:
        # Foreign keys are checked at commit; TRUNCATE wants no checks pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _seed(seed: int = 7):
    return scale.seed(subjects=SUBJECTS, cases=CASES, seed=seed, anchor=ANCHOR)


@pytest.fixture
def seeded(frozen):
    _empty()
    return _seed()


def _digest() -> str:
    """A fingerprint of every seeded row, read through the ORM (so encrypted values are
    compared decrypted: their ciphertext differs on every write)."""
    digest = hashlib.sha256()
    for model in SEEDED:
        names = [field.attname for field in model._meta.concrete_fields]
        for row in model.objects.order_by("pk").values_list(*names):
            digest.update(repr(row).encode())
    return digest.hexdigest()


def test_counts(seeded):
    assert seeded.subjects == DataSubject.objects.count() == SUBJECTS
    assert seeded.cases == DsrCase.objects.count() == CASES
    assert seeded.access_log == AccessLogEntry.objects.count() == SUBJECTS
    assert SubjectEmail.objects.filter(is_primary=True).count() == SUBJECTS
    assert SubjectEmail.objects.count() > SUBJECTS
    assert ConsentRecord.objects.count() > 0
    assert CaseEvent.objects.count() >= CASES
    assert CaseTask.objects.exists()
    assert Submission.objects.count() <= CASES


def test_every_right_and_status_and_dates_on_both_sides_of_today(seeded):
    assert set(DsrCase.objects.values_list("right", flat=True)) == set(Right.values)
    assert set(DsrCase.objects.values_list("status", flat=True)) == set(CaseStatus.values)
    today = ANCHOR.date()
    assert DsrCase.objects.filter(due_date__lt=today).exists()
    assert DsrCase.objects.filter(due_date__gt=today).exists()
    assert case_selectors.cases_overdue().exists()


def test_names_in_many_languages(seeded):
    text = " ".join(DataSubject.objects.values_list("name", flat=True))
    # Swedish, German, French, Polish, Spanish, Finnish, Greek, Chinese, Japanese, Arabic.
    for letter in ("Å", "ü", "é", "ł", "ñ", "ä", "Γ", "王", "佐", "م"):
        assert letter in text, letter


def test_same_seed_same_rows(frozen):
    _empty()
    _seed(seed=11)
    first = _digest()
    _empty()
    _seed(seed=11)
    assert _digest() == first
    _empty()
    _seed(seed=12)
    assert _digest() != first


def test_encrypted_columns_hold_ciphertext(seeded):
    case = DsrCase.objects.exclude(subject=None).select_related("submission").first()
    email, name = case.submission.requester_email, case.submission.requester_name
    assert email and name
    columns = {
        "dsr_submission": ["requester_name", "requester_email", "status_token", "message"],
        "dsr_dsrcase": ["details", "outcome", "identity_evidence", "refusal_reasons"],
        "dsr_caseevent": ["note"],
        "dsr_casepause": ["explanation"],
        "core_accesslogentry": ["query"],
    }
    with connection.cursor() as cursor:
        for table, names in columns.items():
            for column in names:
                cursor.execute(
                    f"SELECT count(*) FILTER (WHERE {column} <> ''), "  # noqa: S608
                    f"count(*) FILTER (WHERE {column} <> '' AND {column} NOT LIKE 'enc1:%%'), "
                    f"count(*) FILTER (WHERE {column} LIKE %s OR {column} LIKE %s) "
                    f"FROM {table}",
                    [f"%{email}%", f"%{name}%"],
                )
                filled, plain, leaked = cursor.fetchone()
                assert filled > 0, (table, column)
                assert plain == 0, (table, column)
                assert leaked == 0, (table, column)


def test_search_finds_seeded_subjects(seeded):
    subject = DataSubject.objects.exclude(name="").order_by("pk")[1234]
    email = subject.emails.get(is_primary=True).email
    assert subject_by_email(email.upper()) == subject
    assert subject in subjects_matching(email)
    assert subject in subjects_matching(subject.name.split()[0][:4])
    # Requests are found by the keyed hash of the address, as the case admin searches.
    case = DsrCase.objects.exclude(subject=None).select_related("subject").first()
    address = case.subject.emails.get(is_primary=True).email
    found = case_selectors.cases_by_email_hash(crypto.keyed_hash(address))
    assert case in found


def test_access_log_chain_verifies_and_grows(seeded):
    report = verify_chain()
    assert report.intact, report
    assert report.checked == SUBJECTS
    # Growing: a second run chains onto the first, continues the references and the ids.
    references = set(DsrCase.objects.values_list("reference", flat=True))
    result = scale.seed(subjects=500, cases=100, seed=8, anchor=ANCHOR)
    assert result.subjects == 500 and result.cases == 100
    assert len(set(DsrCase.objects.values_list("reference", flat=True)) - references) == 100
    report = verify_chain()
    assert report.intact, report
    assert report.checked == SUBJECTS + 500


def test_admin_lists_render_seeded_data(seeded, admin_client):
    email = SubjectEmail.objects.filter(is_primary=True).order_by("pk")[10].email
    for name, params in [
        ("admin:privacy_datasubject_changelist", {}),
        ("admin:privacy_datasubject_changelist", {"q": email}),
        ("admin:privacy_datasubject_changelist", {"category": "platform_user"}),
        ("admin:dsr_dsrcase_changelist", {}),
        ("admin:dsr_dsrcase_changelist", {"status": "all"}),
        ("admin:dsr_dsrcase_changelist", {"q": email}),
        ("admin:core_accesslogentry_changelist", {}),
        ("admin:core_accesslogentry_changelist", {"action": "search"}),
    ]:
        response = admin_client.get(reverse(name), params)
        assert response.status_code == 200, (name, params, response.status_code)
    response = admin_client.get(reverse("admin:privacy_datasubject_changelist"), {"q": email})
    assert email in response.content.decode()


def test_command(frozen):
    call_command("seed_scale", subjects=200, cases=40, seed=3, anchor=ANCHOR)
    assert DataSubject.objects.count() == 200
    assert DsrCase.objects.count() == 40
    assert verify_chain().intact


def test_deep_pages_list_the_rows_offset_would(seeded, admin_client):
    url = reverse("admin:privacy_datasubject_changelist")
    response = admin_client.get(url, {"p": 3})
    listed = [subject.pk for subject in response.context["cl"].result_list]
    assert listed == list(DataSubject.objects.order_by("-pk").values_list("pk", flat=True)[200:300])
    url = reverse("admin:dsr_dsrcase_changelist")
    response = admin_client.get(url, {"status": "all", "p": 2})
    listed = [case.pk for case in response.context["cl"].result_list]
    expected = DsrCase.objects.order_by("-received_at", "-pk").values_list("pk", flat=True)
    assert listed == list(expected[50:100])


def test_access_log_filter_offers_the_logged_kinds(seeded, admin_client):
    response = admin_client.get(reverse("admin:core_accesslogentry_changelist"))
    [kinds] = [f for f in response.context["cl"].filter_specs if f.title == "what"]
    assert set(kinds.lookup_choices) == set(
        AccessLogEntry.objects.values_list("object_type", flat=True).distinct()
    )
    assert {"case", "data subject"} <= set(kinds.lookup_choices)


def test_a_big_filtered_list_is_counted_by_the_planner(seeded, admin_client, monkeypatch):
    from core.admin_tools import EstimatedCountPaginator

    # As at a million subjects: a big table, and a filter that keeps many of its rows.
    monkeypatch.setattr(EstimatedCountPaginator, "exact_below", 1_000)
    monkeypatch.setattr(EstimatedCountPaginator, "estimate_above", 100)
    url = reverse("admin:privacy_datasubject_changelist")
    with CaptureQueriesContext(connection) as ctx:
        response = admin_client.get(url, {"category": "platform_user"})
    assert response.status_code == 200
    assert not [q for q in ctx.captured_queries if '"__count"' in q["sql"]]
    exact = DataSubject.objects.filter(category="platform_user").count()
    assert abs(response.context["cl"].result_count - exact) < exact * 0.2
    # A narrow result is still counted exactly.
    email = SubjectEmail.objects.order_by("pk").first().email
    response = admin_client.get(url, {"q": email})
    assert response.context["cl"].result_count == 1


def test_command_refuses_a_platform_database_that_is_not_postgresql():
    with pytest.raises(CommandError, match=r"platform-database.*PostgreSQL"):
        call_command(
            "seed_scale", subjects=10, cases=2, platform_database="sqlite:////tmp/platform.db"
        )


# --- Platform rows -------------------------------------------------------------------------


@pytest.fixture
def platform_database():
    """A scratch PostgreSQL database for the platform's rows, dropped afterwards."""
    settings_dict = connection.settings_dict
    name = f"h23_platform_{uuid.uuid4().hex[:8]}"
    yield database_ensure(settings_dict, name)
    database_drop(settings_dict, name)


def _platform_emails(url: str) -> list[str]:
    return [row["email"] for row in platform_rows(url, "SELECT lower(email) AS email FROM users")]


def test_platform_rows_for_the_connectors(frozen, platform_database):
    url = platform_database
    _empty()
    result = scale.seed(subjects=SUBJECTS, cases=CASES, seed=7, anchor=ANCHOR, platform_url=url)

    # An account for each platform user and administrator (60% of subjects), by primary address.
    accounts = set(
        SubjectEmail.objects.filter(
            is_primary=True, subject__category__in=platform.PLATFORM_ACCOUNTS
        ).values_list("email", flat=True)
    )
    emails = _platform_emails(url)
    assert len(emails) == len(set(emails)) == result.platform["users"]
    assert set(emails) == accounts
    assert 0.5 * SUBJECTS < len(emails) < 0.7 * SUBJECTS
    for table in ("organisations", "functions", "evaluations", "indexes", "events", "invoices"):
        assert platform_count(url, table) == result.platform[table] > 0, table
    assert platform_count(url, "events") >= len(emails)
    assert platform_count(url, "users", "email <> lower(email)") > 0  # typed with capitals
    # Keys, foreign keys and the lookup indexes are back after the COPY.
    indexes = {r["indexname"] for r in platform_rows(url, "SELECT indexname FROM pg_indexes")}
    assert {"users_pkey", "users_email_key", *platform.PLATFORM_INDEXES} <= indexes
    foreign_keys = platform_rows(
        url, "SELECT count(*) AS n FROM pg_constraint WHERE contype = 'f'"
    )[0]["n"]
    assert foreign_keys == 8
    # The seeded SQL connectors reach it.
    sql_connectors = SystemConnector.objects.filter(kind=ConnectorKind.POSTGRESQL)
    assert sql_connectors.count() == 3
    assert {c.dsn for c in sql_connectors} == {url}

    # An access request of a platform user: its SQL task, run through the connector, exports
    # that person's account and events.
    task = (
        CaseTask.objects.filter(
            operation=Operation.EXPORT,
            connector_kind=ConnectorKind.POSTGRESQL,
            system__name=names.SYS_DATABASE,
            case__right=Right.ACCESS,
            case__subject__category__in=platform.PLATFORM_ACCOUNTS,
        )
        .select_related("case__submission", "case__subject", "system")
        .order_by("pk")
        .first()
    )
    primary = task.case.subject.emails.get(is_primary=True).email
    connector = fulfilment_selectors.connector_for(task.system)
    exported = connector_for_kind(connector.kind)(fulfilment._connector_request(task, connector))
    [account] = exported.export[names.CAT_ACCOUNT]["users"]
    assert account["email"].lower() == primary
    assert account["name"] == (task.case.subject.name or None)

    events_system = SystemConnector.objects.get(system__name=names.SYS_EVENTS).system
    events_task = CaseTask(case=task.case, system=events_system, operation=Operation.EXPORT)
    events = connector_for_kind(ConnectorKind.POSTGRESQL)(
        fulfilment._connector_request(events_task, events_system.connector)
    )
    rows = events.export[names.CAT_USAGE]["events"]
    assert len(rows) == platform_count(url, "events", "lower(user_email) = %(e)s", e=primary) > 0

    # Someone without an account (a newsletter subscriber) is found nowhere: "not found".
    outsider = DsrCase.objects.filter(subject__category="newsletter_subscriber").first()
    outsider_task = CaseTask(case=outsider, system=task.system, operation=Operation.EXPORT)
    found = connector_for_kind(ConnectorKind.POSTGRESQL)(
        fulfilment._connector_request(outsider_task, connector)
    )
    assert found.export[names.CAT_ACCOUNT]["users"] == []


def test_platform_rows_are_the_same_for_the_same_seed(frozen, platform_database):
    url = platform_database
    _empty()
    scale.seed(subjects=400, cases=60, seed=5, anchor=ANCHOR, platform_url=url)
    query = (
        "SELECT u.email, u.name, u.role, u.created_at, o.name AS organisation, "
        "(SELECT count(*) FROM events e WHERE e.user_id = u.id) AS events "
        "FROM users u JOIN organisations o ON o.id = u.organisation_id ORDER BY u.id"
    )
    first = platform_rows(url, query)
    invoices = platform_rows(url, "SELECT * FROM invoices ORDER BY id")
    with psycopg.connect(url, autocommit=True) as platform:
        platform.execute("DROP SCHEMA public CASCADE")
        platform.execute("CREATE SCHEMA public")
    _empty()
    scale.seed(subjects=400, cases=60, seed=5, anchor=ANCHOR, platform_url=url)
    assert platform_rows(url, query) == first
    assert platform_rows(url, "SELECT * FROM invoices ORDER BY id") == invoices


def test_command_with_a_platform_database_and_growing_it(frozen, platform_database):
    url = platform_database
    call_command("seed_scale", subjects=300, cases=40, seed=3, anchor=ANCHOR)
    # Without the option, the connectors point at the fictional address.
    assert {c.dsn for c in SystemConnector.objects.filter(kind=ConnectorKind.POSTGRESQL)} == {
        requests.PLATFORM_DSN
    }
    call_command("seed_scale", subjects=300, cases=40, seed=4, anchor=ANCHOR, platform_database=url)
    assert {c.dsn for c in SystemConnector.objects.filter(kind=ConnectorKind.POSTGRESQL)} == {url}
    first = platform_count(url, "users")
    call_command("seed_scale", subjects=300, cases=40, seed=5, anchor=ANCHOR, platform_database=url)
    # A later run adds its accounts after the earlier run's.
    assert platform_count(url, "users") > first
    accounts = set(
        SubjectEmail.objects.filter(
            is_primary=True, subject__category__in=platform.PLATFORM_ACCOUNTS
        ).values_list("email", flat=True)
    )
    # Only the runs with the option added accounts: the first run's subjects have none.
    assert set(_platform_emails(url)) < accounts
    # The sequences moved past the copied ids: the platform's own inserts still work.
    platform_rows(
        url,
        "INSERT INTO organisations (name, country, created_at) VALUES ('Later AB', 'SE', now())",
    )
