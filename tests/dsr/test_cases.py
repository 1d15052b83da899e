"""A request's life through the services: receipt, identity, transitions, pauses, extension,
duplicates, unconfirmed requests and closing."""

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import ApplicationError
from core.models import OutboxEmail
from dsr import rules
from dsr.choices import CaseStatus, EventKind, LetterKind
from dsr.models import CaseEvent, DsrCase, Letter
from dsr.selectors import cases as case_selectors
from dsr.services import intake, transitions
from dsr.services.intake import ReceiptInput, RequestedRight, VerificationLinkError
from tests.dsr.conftest import receive
from tests.factories import (
    ControllerProfileFactory,
    DataSubjectFactory,
    DsrCaseFactory,
    SubmissionFactory,
)

pytestmark = pytest.mark.django_db

S = CaseStatus


@pytest.fixture(autouse=True)
def _controller():
    ControllerProfileFactory()


def status_events(case) -> list[CaseEvent]:
    return list(CaseEvent.objects.filter(case=case, kind=EventKind.STATUS))


def outbox_subjects() -> list[str]:
    return [email.subject for email in OutboxEmail.objects.order_by("pk")]


# --- Receipt --------------------------------------------------------------------------------


def test_a_letter_with_two_rights_becomes_two_linked_cases(frozen):
    submission = receive("access", "erasure")

    cases = list(submission.cases.order_by("pk"))
    assert [c.right for c in cases] == ["access", "erasure"]
    assert [c.reference for c in cases] == ["DSR-2026-000001", "DSR-2026-000002"]
    for case in cases:
        assert case.status == S.RECEIVED
        assert case.due_date == date(2026, 4, 7)
        assert case.target_date == date(2026, 4, 4)
        assert list(case.events.values_list("kind", flat=True)) == ["created", "letter"]
    # One acknowledgement answers both, and both timelines show it.
    assert outbox_subjects() == ["We have received your request DSR-2026-000001, DSR-2026-000002"]
    assert Letter.objects.get().kind == LetterKind.ACKNOWLEDGEMENT
    assert all(c.events.filter(kind=EventKind.LETTER).exists() for c in cases)


def test_references_count_per_year_in_stockholm_time(time_machine):
    time_machine.move_to("2026-12-31T22:30:00Z", tick=False)  # 23:30 in Stockholm
    late = receive("access").cases.get()
    time_machine.move_to("2026-12-31T23:30:00Z", tick=False)  # 00:30 on 1 January
    new_year = receive("access", email="bo@example.org").cases.get()
    assert late.reference == "DSR-2026-000001"
    assert new_year.reference == "DSR-2027-000001"


def test_a_known_address_is_matched_to_its_data_subject(frozen):
    subject = DataSubjectFactory(email="anna.berg@example.org")
    case = receive("access", email="Anna.Berg@Example.org").cases.get()
    assert case.subject == subject


def test_an_unknown_address_still_becomes_a_case(frozen):
    case = receive("access", email="nobody@example.org").cases.get()
    assert case.subject is None
    assert case.status == S.RECEIVED


def test_receipt_refuses_bad_input_clearly(frozen):
    with pytest.raises(ApplicationError, match="at least one right"):
        receive()
    with pytest.raises(ApplicationError, match="Unknown right"):
        receive("telepathy")
    with pytest.raises(ApplicationError, match="corrected"):
        intake.submission_receive(
            data=ReceiptInput(channel="email", rights=[RequestedRight("rectification")])
        )
    with pytest.raises(ApplicationError, match="email address"):
        receive("access", channel="self_service", email="")
    assert not DsrCase.objects.exists()


def test_the_requesters_contact_is_encrypted_at_rest(frozen):
    from django.db import connection

    submission = receive("access", message="Please send me everything about Anna Berg.")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT requester_email, requester_name, message FROM dsr_submission WHERE id = %s",
            [submission.pk],
        )
        stored = " ".join(cursor.fetchone())
    assert "anna" not in stored.lower() and "Berg" not in stored
    submission.refresh_from_db()
    assert submission.requester_email == "anna.berg@example.org"


# --- Self-service confirmation --------------------------------------------------------------


def verification_token() -> str:
    body = OutboxEmail.objects.get(subject__isnull=False, reference__startswith="DSR").body_text
    return body.split("/privacy/verify/")[1].split("/")[0]


def test_a_self_service_request_waits_for_its_emailed_link(frozen):
    submission = receive("access", "portability", channel="self_service")

    cases = list(submission.cases.order_by("pk"))
    assert [c.status for c in cases] == [S.AWAITING_IDENTITY, S.AWAITING_IDENTITY]
    assert outbox_subjects() == [
        "Please confirm your privacy request DSR-2026-000001, DSR-2026-000002"
    ]
    token = verification_token()
    assert len(token) >= 22  # at least 128 bits

    intake.verification_confirm(token=token)

    for case in submission.cases.all():
        assert case.status == S.IN_PROGRESS
        assert case.identity_status == "verified"
        assert case.identity_method == "email_link"
    assert outbox_subjects()[-1].startswith("We have received your request")


def test_a_confirmation_link_works_once(frozen):
    receive("access", channel="self_service")
    token = verification_token()
    intake.verification_confirm(token=token)
    with pytest.raises(VerificationLinkError) as used:
        intake.verification_confirm(token=token)
    assert used.value.reason == "used"


def test_a_confirmation_link_expires_after_24_hours(frozen):
    receive("access", channel="self_service")
    token = verification_token()
    frozen.shift(timedelta(hours=24, seconds=1))
    with pytest.raises(VerificationLinkError) as expired:
        intake.verification_confirm(token=token)
    assert expired.value.reason == "expired"
    assert DsrCase.objects.get().status == S.AWAITING_IDENTITY


def test_an_unknown_link_is_refused(frozen):
    with pytest.raises(VerificationLinkError) as unknown:
        intake.verification_confirm(token="x" * 43)
    assert unknown.value.reason == "unknown"


def test_a_new_link_can_be_sent_and_the_old_one_still_expires(frozen):
    submission = receive("access", channel="self_service")
    first = verification_token()
    second = intake.verification_send(submission=submission)
    assert first != second
    intake.verification_confirm(token=second)
    assert DsrCase.objects.get().status == S.IN_PROGRESS


# --- The status machine ---------------------------------------------------------------------

# What the issue and domain.md section 3 allow: from-status -> target statuses.
ALLOWED = {
    S.RECEIVED: {S.AWAITING_IDENTITY, S.IN_PROGRESS, S.REFUSED, S.WITHDRAWN},
    S.AWAITING_IDENTITY: {S.IN_PROGRESS, S.REFUSED, S.WITHDRAWN},
    S.IN_PROGRESS: {
        S.AWAITING_REQUESTER,
        S.COMPLETED,
        S.PARTIALLY_COMPLETED,
        S.REFUSED,
        S.WITHDRAWN,
    },
    S.AWAITING_REQUESTER: {S.IN_PROGRESS, S.REFUSED, S.WITHDRAWN},
    S.COMPLETED: set(),
    S.PARTIALLY_COMPLETED: set(),
    S.REFUSED: set(),
    S.WITHDRAWN: set(),
}


def move(case, to, actor):
    """Ask the service that leads to `to` from wherever the case is."""
    if to == S.AWAITING_IDENTITY:
        return transitions.case_request_identity(
            case=case, actor=actor, explanation="A copy of ID."
        )
    if to == S.IN_PROGRESS:
        if case.status == S.AWAITING_REQUESTER:
            return transitions.case_resume(case=case, actor=actor)
        return transitions.case_verify_identity(
            case=case,
            method="id_document",
            evidence="Passport seen on a video call.",
            actor=actor,
            all_linked=False,
        )[0]
    if to == S.AWAITING_REQUESTER:
        return transitions.case_ask_requester(case=case, actor=actor, question="Which account?")
    if to == S.COMPLETED:
        return transitions.case_complete(case=case, actor=actor, outcome="Copy sent.")
    if to == S.PARTIALLY_COMPLETED:
        return transitions.case_complete(case=case, actor=actor, outcome="Part.", partially=True)
    if to == S.REFUSED:
        return transitions.case_refuse(
            case=case, actor=actor, basis="other", reasons="We hold no such data category."
        )
    if to == S.WITHDRAWN:
        return transitions.case_withdraw(case=case, actor=actor)
    raise AssertionError(to)


TRANSITION_CASES = [(f, t) for f in S for t in S if t != S.RECEIVED]


@pytest.mark.parametrize(
    ("from_status", "to_status"), TRANSITION_CASES, ids=[f"{f}->{t}" for f, t in TRANSITION_CASES]
)
def test_every_transition_is_allowed_or_refused_with_one_event(
    frozen, privacy_officer, from_status, to_status
):
    case = DsrCaseFactory(status=from_status)

    if to_status in ALLOWED[from_status]:
        moved = move(case, to_status, privacy_officer)
        assert moved.status == to_status
        [event] = status_events(case)
        assert (event.from_status, event.to_status) == (from_status, to_status)
        assert event.actor == privacy_officer
        assert event.at == timezone.now()
        assert (moved.closed_at is not None) == (to_status in transitions.FINAL_STATUSES)
    else:
        with pytest.raises(ApplicationError) as refused:
            move(case, to_status, privacy_officer)
        assert case.reference in refused.value.message or "not waiting" in refused.value.message
        assert status_events(case) == []
        case.refresh_from_db()
        assert case.status == from_status


def test_the_service_table_is_the_one_the_issue_describes():
    assert {k: set(v) for k, v in rules.TRANSITIONS.items()} == {
        k: v for k, v in ALLOWED.items() if v
    }


def test_a_refused_transition_explains_itself(frozen, privacy_officer):
    case = DsrCaseFactory(status=S.COMPLETED, reference="DSR-2026-000042")
    with pytest.raises(ApplicationError, match="DSR-2026-000042 is completed; it cannot become"):
        transitions.case_withdraw(case=case, actor=privacy_officer)


def test_events_are_append_only(frozen, privacy_officer):
    case = DsrCaseFactory()
    event = transitions.case_add_note(
        case=case, actor=privacy_officer, note="Called the requester."
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseEvent.objects.filter(pk=event.pk).update(note="rewritten")
    with pytest.raises(IntegrityError), transaction.atomic():
        event.delete()


# --- Identity ------------------------------------------------------------------------------


def test_staff_verification_needs_method_and_evidence(frozen, privacy_officer):
    case = DsrCaseFactory(status=S.AWAITING_IDENTITY)
    with pytest.raises(ApplicationError, match="evidence"):
        transitions.case_verify_identity(
            case=case, method="id_document", evidence=" ", actor=privacy_officer
        )
    with pytest.raises(ApplicationError, match="how the identity"):
        transitions.case_verify_identity(
            case=case, method="email_link", evidence="x", actor=privacy_officer
        )


def test_verifying_one_case_verifies_its_linked_cases(frozen, privacy_officer):
    submission = receive("access", "erasure")
    first = submission.cases.order_by("pk").first()
    transitions.case_verify_identity(
        case=first, method="id_document", evidence="Driving licence checked.", actor=privacy_officer
    )
    assert set(submission.cases.values_list("status", flat=True)) == {S.IN_PROGRESS}
    assert first.__class__.objects.get(pk=first.pk).identity_evidence == "Driving licence checked."


def test_identity_that_cannot_be_established_is_a_refusal_with_rights(frozen, privacy_officer):
    case = receive("access").cases.get()
    transitions.case_request_identity(case=case, actor=privacy_officer, explanation="Send ID.")
    transitions.case_identity_failed(
        case=case, actor=privacy_officer, reasons="No reply to our request."
    )

    case.refresh_from_db()
    assert (case.status, case.refusal_basis, case.identity_status) == (
        S.REFUSED,
        "identity_not_established",
        "failed",
    )
    refusal = Letter.objects.get(kind=LetterKind.REFUSAL)
    assert "No reply to our request." in refusal.body
    assert "Integritetsskyddsmyndigheten (IMY)" in refusal.body
    assert "judicial remedy" in refusal.body


# --- Pauses and extension -------------------------------------------------------------------


def test_a_pause_with_a_recorded_reason_stops_the_clock(frozen, privacy_officer):
    case = DsrCaseFactory(status=S.IN_PROGRESS)
    assert case.due_date == date(2026, 4, 7)
    transitions.case_ask_requester(
        case=case,
        actor=privacy_officer,
        question="Which of your two accounts?",
        pause_reason="We cannot tell which account the request is about.",
    )
    frozen.shift(timedelta(days=3))
    transitions.case_resume(case=case, actor=privacy_officer, note="Answered by email.")

    case.refresh_from_db()
    assert case.paused_days == 3
    assert case.due_date == date(2026, 4, 8)  # 5 April + 3 days
    assert case.pauses.get().days == 3
    assert list(
        case.events.filter(kind__in=["pause", "resume"]).values_list("kind", flat=True)
    ) == ["pause", "resume"]


def test_without_a_recorded_reason_the_clock_runs(frozen, privacy_officer):
    case = DsrCaseFactory(status=S.IN_PROGRESS)
    transitions.case_ask_requester(case=case, actor=privacy_officer, question="Which account?")
    frozen.shift(timedelta(days=3))
    transitions.case_resume(case=case, actor=privacy_officer)
    case.refresh_from_db()
    assert case.paused_days == 0
    assert case.due_date == date(2026, 4, 7)


def test_an_extension_needs_a_reason_and_is_notified(frozen, privacy_officer):
    case = DsrCaseFactory(status=S.IN_PROGRESS)
    with pytest.raises(ApplicationError, match="reason"):
        transitions.case_extend(case=case, actor=privacy_officer, reason="  ")
    transitions.case_extend(case=case, actor=privacy_officer, reason="Data in eleven systems.")

    case.refresh_from_db()
    assert case.extended_due_date == date(2026, 6, 5)
    assert case.target_date == date(2026, 6, 5)
    assert case.extension_notified_at == timezone.now()
    letter = Letter.objects.get(kind=LetterKind.EXTENSION)
    assert "Data in eleven systems." in letter.body
    assert "5 June 2026" in letter.body or "June 5, 2026" in letter.body
    with pytest.raises(ApplicationError, match="already been extended"):
        transitions.case_extend(case=case, actor=privacy_officer, reason="Again.")


def test_a_pause_after_an_extension_pushes_the_extended_dates_back(frozen, privacy_officer):
    case = DsrCaseFactory(status=S.IN_PROGRESS)
    transitions.case_extend(case=case, actor=privacy_officer, reason="Data in eleven systems.")
    transitions.case_ask_requester(
        case=case,
        actor=privacy_officer,
        question="Which of your two accounts?",
        pause_reason="We cannot tell which account the request is about.",
    )
    frozen.shift(timedelta(days=3))
    transitions.case_resume(case=case, actor=privacy_officer)

    case.refresh_from_db()
    assert (case.due_date, case.extended_due_date, case.target_date) == (
        date(2026, 4, 8),
        date(2026, 6, 8),  # 5 June + 3 days
        date(2026, 6, 8),  # the target stays the extended due date
    )


def test_an_extension_after_the_first_due_date_is_refused(frozen, privacy_officer):
    case = DsrCaseFactory(status=S.IN_PROGRESS)
    frozen.move_to("2026-04-07T23:00:00+02:00")  # still 7 April in Stockholm: allowed
    transitions.case_extend(case=case, actor=privacy_officer, reason="Complex.")
    late = DsrCaseFactory(status=S.IN_PROGRESS, submission__received_at=case.received_at)
    frozen.move_to("2026-04-08T00:30:00+02:00")
    with pytest.raises(ApplicationError, match="has passed"):
        transitions.case_extend(case=late, actor=privacy_officer, reason="Complex.")
    late.refresh_from_db()
    assert late.extended_due_date is None


# --- Closing --------------------------------------------------------------------------------


def test_a_case_with_open_tasks_closes_only_with_a_recorded_reason(frozen, privacy_officer):
    from tests.factories import SystemFactory

    case = DsrCaseFactory(status=S.IN_PROGRESS)
    case.tasks.create(kind="system", system=SystemFactory(), operation="export", status="failed")
    with pytest.raises(ApplicationError, match="still open"):
        transitions.case_complete(case=case, actor=privacy_officer, outcome="Copy sent.")
    transitions.case_complete(
        case=case,
        actor=privacy_officer,
        outcome="Copy sent.",
        open_tasks_reason="The archive system is being decommissioned and holds nothing of hers.",
    )
    case.refresh_from_db()
    assert case.status == S.COMPLETED
    assert case.open_tasks_reason.startswith("The archive system")


def test_an_art_12_5_refusal_needs_a_written_justification(frozen, privacy_officer):
    case = DsrCaseFactory(status=S.IN_PROGRESS)
    with pytest.raises(ApplicationError, match="justification"):
        transitions.case_refuse(
            case=case, actor=privacy_officer, basis="excessive", reasons="Fifth copy this month."
        )
    transitions.case_refuse(
        case=case,
        actor=privacy_officer,
        basis="excessive",
        reasons="Fifth copy this month.",
        justification="Four identical access requests answered in March; nothing changed since.",
    )
    case.refresh_from_db()
    assert case.refusal_justification.startswith("Four identical")


def test_a_refusal_always_states_reasons_and_rights(frozen, privacy_officer):
    case = receive("erasure").cases.get()
    with pytest.raises(ApplicationError, match="reasons"):
        transitions.case_refuse(case=case, actor=privacy_officer, basis="other", reasons="")
    transitions.case_refuse(
        case=case,
        actor=privacy_officer,
        basis="erasure_exception",
        reasons="Invoices must be kept under the Swedish Accounting Act.",
    )
    body = Letter.objects.get(kind=LetterKind.REFUSAL).body
    assert "Invoices must be kept under the Swedish Accounting Act." in body
    assert "Integritetsskyddsmyndigheten (IMY)" in body and "https://www.imy.se" in body
    assert "judicial remedy before a court" in body


def test_letters_follow_the_case_language(frozen, privacy_officer):
    case = receive("access", language="sv").cases.get()
    transitions.case_refuse(case=case, actor=privacy_officer, basis="other", reasons="Skäl.")
    letter = Letter.objects.get(kind=LetterKind.REFUSAL)
    assert letter.language == "sv"
    assert "Integritetsskyddsmyndigheten" in letter.body


# --- Duplicates and unconfirmed requests ----------------------------------------------------


def test_a_resubmission_while_the_first_is_open_is_linked_not_worked_twice(frozen, privacy_officer):
    first = receive("erasure").cases.get()
    transitions.case_start(case=first, actor=privacy_officer)
    frozen.shift(timedelta(days=2))
    second = receive("erasure").cases.get()
    transitions.case_start(case=second, actor=privacy_officer)

    second.refresh_from_db()
    assert second.duplicate_of == first
    assert second.status == S.WITHDRAWN
    assert first.events.filter(kind=EventKind.DUPLICATE).exists()
    assert Letter.objects.filter(case=second, kind=LetterKind.DUPLICATE).exists()


def test_a_different_right_is_not_a_duplicate(frozen, privacy_officer):
    first = receive("erasure").cases.get()
    transitions.case_start(case=first, actor=privacy_officer)
    other = receive("access").cases.get()
    transitions.case_start(case=other, actor=privacy_officer)
    other.refresh_from_db()
    assert other.duplicate_of is None and other.status == S.IN_PROGRESS


def test_unconfirmed_self_service_requests_close_after_the_set_days(frozen, settings):
    receive("access", channel="self_service")
    confirmed = receive("erasure", channel="self_service", email="bo@example.org")
    reference = confirmed.cases.get().reference
    body = OutboxEmail.objects.get(reference=reference).body_text
    intake.verification_confirm(token=body.split("/verify/")[1].split("/")[0])
    frozen.shift(settings.DSR_UNCONFIRMED_CLOSE_AFTER - timedelta(hours=1))
    assert list(case_selectors.cases_unconfirmed_due()) == []
    frozen.shift(timedelta(hours=2))

    from dsr.tasks import close_unconfirmed_cases

    assert close_unconfirmed_cases() == 1
    assert close_unconfirmed_cases() == 0  # a second run closes nothing twice
    closed = DsrCase.objects.get(right="access")
    assert (closed.status, closed.refusal_basis) == (S.REFUSED, "not_confirmed")
    assert "not confirmed" in Letter.objects.get(case=closed, kind=LetterKind.REFUSAL).body
    assert confirmed.cases.get().status == S.IN_PROGRESS


def test_assignment_is_recorded_and_skips_closed_cases(frozen, privacy_officer, support_agent):
    open_case = DsrCaseFactory(status=S.IN_PROGRESS)
    closed_case = DsrCaseFactory(status=S.COMPLETED)
    assert (
        transitions.cases_assign(
            cases=[open_case, closed_case], assignee=support_agent, actor=privacy_officer
        )
        == 1
    )
    open_case.refresh_from_db()
    assert open_case.assignee == support_agent
    assert open_case.events.get(kind=EventKind.ASSIGNMENT).note == "Assigned to agent."


def test_a_marketing_objection_suppresses_the_address_at_once(frozen, privacy_officer):
    from privacy.selectors import consent_state

    subject = DataSubjectFactory(email="anna.berg@example.org")
    case = receive("objection_marketing").cases.get()
    transitions.case_start(case=case, actor=privacy_officer)
    assert consent_state(subject) == "withdrawn"


def test_submission_factory_is_consistent():
    submission = SubmissionFactory()
    assert submission.requester_email_hash
