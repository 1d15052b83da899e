"""`seed_scale` at a small size: the right counts, every right and status, the same rows for the
same seed, ciphertext where the portal encrypts, addresses that search finds, an intact
access-log chain, and the admin's lists rendering the result."""

import hashlib
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dsr import scale
from dsr import selectors as dsr_selectors
from dsr.choices import CaseStatus, Right
from dsr.models import CaseEvent, CasePause, CaseTask, DsrCase, ReferenceCounter, Submission
from privacy import crypto
from privacy.access_log import verify_chain
from privacy.models import (
    AccessLogEntry,
    ConsentRecord,
    DataSubject,
    Organisation,
    SentNotice,
    SubjectEmail,
)
from privacy.selectors import subject_by_email, subjects_matching

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
    assert dsr_selectors.cases_overdue().exists()


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
        "privacy_accesslogentry": ["query"],
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
    found = dsr_selectors.cases_by_email_hash(crypto.keyed_hash(address))
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
        ("admin:privacy_accesslogentry_changelist", {}),
        ("admin:privacy_accesslogentry_changelist", {"action": "search"}),
    ]:
        response = admin_client.get(reverse(name), params)
        assert response.status_code == 200, (name, params, response.status_code)
    response = admin_client.get(reverse("admin:privacy_datasubject_changelist"), {"q": email})
    assert email in response.content.decode()


def test_command_refuses_sqlite(monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("seed_scale", subjects=10, cases=2)


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
    response = admin_client.get(reverse("admin:privacy_accesslogentry_changelist"))
    [kinds] = [f for f in response.context["cl"].filter_specs if f.title == "what"]
    assert set(kinds.lookup_choices) == set(
        AccessLogEntry.objects.values_list("object_type", flat=True).distinct()
    )
    assert {"case", "data subject"} <= set(kinds.lookup_choices)


def test_a_big_filtered_list_is_counted_by_the_planner(seeded, admin_client, monkeypatch):
    from privacy.admin_tools import EstimatedCountPaginator

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
