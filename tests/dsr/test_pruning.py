"""Closed cases are reduced to what proof needs once their time has passed."""

from datetime import timedelta

import pytest
from django.db import connection

from core.models import OutboxEmail
from dsr.models import CaseEvent, DsrCase, Letter
from dsr.selectors import cases as case_selectors
from dsr.services import intake, transitions
from dsr.services.intake import ReceiptInput, RequestedRight
from dsr.tasks import prune_closed_cases
from tests.factories import ControllerProfileFactory, DataSubjectFactory, DsrCaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed_case(time_machine, privacy_officer):
    time_machine.move_to("2023-03-05T10:00:00+01:00", tick=False)
    ControllerProfileFactory()
    subject = DataSubjectFactory(email="anna.berg@example.org", name="Anna Berg")
    submission = intake.submission_receive(
        data=ReceiptInput(
            channel="email",
            rights=[RequestedRight("erasure", details="Delete everything about Anna Berg")],
            requester_email="anna.berg@example.org",
            requester_name="Anna Berg",
            requester_phone="+46 70 123 45 67",
            message="Hej, jag heter Anna Berg.",
        )
    )
    case = submission.cases.get()
    transitions.case_verify_identity(
        case=case,
        method="id_document",
        evidence="Passport of Anna Berg checked",
        actor=privacy_officer,
    )
    transitions.case_add_note(case=case, actor=privacy_officer, note="Anna Berg called again")
    transitions.case_complete(
        case=case,
        actor=privacy_officer,
        outcome="Your data is erased.",
        open_tasks_reason="No systems in this test.",
    )
    case.refresh_from_db()
    assert case.subject == subject
    return case


def all_text_of(case: DsrCase) -> str:
    """Every column of every row about the case, as stored (ciphertext decrypted by the ORM)."""
    parts = [
        case.submission.requester_name,
        case.submission.requester_email,
        case.submission.requester_phone,
        case.submission.message,
        case.details,
        case.identity_evidence,
    ]
    parts += [e.note for e in CaseEvent.objects.filter(case=case)]
    parts += [f"{lt.recipient} {lt.subject} {lt.body}" for lt in Letter.objects.filter(case=case)]
    parts += [
        f"{o.to} {o.subject} {o.body_text}"
        for o in OutboxEmail.objects.filter(reference=case.reference)
    ]
    return " ".join(parts)


def test_a_recent_closed_case_is_kept_whole(closed_case, time_machine):
    time_machine.shift(timedelta(days=365))
    assert prune_closed_cases() == 0
    assert "Anna Berg" in all_text_of(DsrCase.objects.get(pk=closed_case.pk))


def test_an_old_closed_case_keeps_only_its_proof(closed_case, time_machine, client):
    hashes = list(Letter.objects.filter(case=closed_case).values_list("body_sha256", flat=True))
    events = list(CaseEvent.objects.filter(case=closed_case).values_list("kind", "at"))
    status_path = f"/privacy/status/{closed_case.submission.status_token}/"
    time_machine.shift(timedelta(days=3 * 365 + 1))

    assert prune_closed_cases() == 1
    assert prune_closed_cases() == 0  # once

    case = DsrCase.objects.get(pk=closed_case.pk)
    assert "Anna" not in all_text_of(case) and "+46" not in all_text_of(case)
    assert case.subject is None and case.pruned_at is not None
    assert (case.reference, case.status, case.outcome) == (
        closed_case.reference,
        closed_case.status,
        "Your data is erased.",
    )
    assert case.received_at == closed_case.received_at and case.closed_at == closed_case.closed_at
    assert list(Letter.objects.filter(case=case).values_list("body_sha256", flat=True)) == hashes
    assert (
        list(CaseEvent.objects.filter(case=case).values_list("kind", "at"))[: len(events)] == events
    )
    assert client.get(status_path).status_code == 404  # the requester's link is gone too
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT requester_email_hash FROM dsr_submission WHERE id = %s", [case.submission_id]
        )
        assert cursor.fetchone()[0] == ""


def test_the_timeline_still_refuses_any_other_change(closed_case):
    from django.db import IntegrityError, transaction

    event = CaseEvent.objects.filter(case=closed_case).exclude(note="").first()
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseEvent.objects.filter(pk=event.pk).update(note="rewritten")
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseEvent.objects.filter(pk=event.pk).update(note="", kind="status")
    with pytest.raises(IntegrityError), transaction.atomic():
        event.delete()


def test_open_cases_are_never_pruned(time_machine):
    time_machine.move_to("2020-01-01T10:00:00Z", tick=False)
    ControllerProfileFactory()
    submission = intake.submission_receive(
        data=ReceiptInput(
            channel="email", rights=[RequestedRight("access")], requester_email="bo@example.org"
        )
    )
    time_machine.shift(timedelta(days=5 * 365))
    assert prune_closed_cases() == 0
    assert submission.cases.get().pruned_at is None


def test_the_cases_due_for_pruning_are_those_closed_long_enough_ago(
    closed_case, time_machine, settings
):
    DsrCaseFactory(status="in_progress")  # received as long ago, still open
    assert list(case_selectors.cases_due_for_pruning()) == []
    time_machine.shift(settings.DSR_PRUNE_AFTER + timedelta(days=1))
    assert list(case_selectors.cases_due_for_pruning()) == [closed_case]
    assert prune_closed_cases() == 1
    assert list(case_selectors.cases_due_for_pruning()) == []  # pruned already
