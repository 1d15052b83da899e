"""dsr.rules decides what a case may do next; the services and the admin both ask it.

These tests hold the two sides to the one rule: the buttons the case page offers are exactly
the steps the rules allow, a service refuses what the rules refuse (with the rule's words),
and where a query selects by a rule (the reminders' extension window) it agrees with it.
"""

from datetime import date, datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone
from hypothesis import example, given, settings
from hypothesis import strategies as st

from core.errors import ApplicationError
from core.models import SentNotice
from dsr import deadlines, rules
from dsr.admin.steps import CASE_STEPS
from dsr.choices import CaseStatus, RefusalBasis
from dsr.forms import RegisterRequestForm
from dsr.models import DsrCase
from dsr.selectors import reminders as reminder_selectors
from dsr.services import intake, transitions
from dsr.services.intake import ReceiptInput, RequestedRight
from tests.factories import ControllerProfileFactory, DsrCaseFactory, SubmissionFactory

pytestmark = pytest.mark.django_db

S = CaseStatus
TODAY = date(2026, 3, 5)
# The extension reminder's window: the last days up to the first due date (its offset 0).
WINDOW = django_settings.DSR_EXTENSION_REMINDER_DAYS


@pytest.fixture(autouse=True)
def _controller():
    ControllerProfileFactory()


def _offered(admin_client, case) -> set[str]:
    html = admin_client.get(reverse("admin:dsr_dsrcase_change", args=[case.pk])).content.decode()
    return {
        step.name
        for step in CASE_STEPS
        if reverse(f"admin:dsr_dsrcase_{step.name.replace('-', '_')}", args=[case.pk]) in html
    }


def test_every_step_of_the_case_page_has_its_rule_and_every_rule_its_step():
    assert [step.name for step in CASE_STEPS] == list(rules.CASE_STEP_RULES)


@pytest.mark.parametrize("status", S.values)
@pytest.mark.parametrize("first_due_passed", [False, True])
def test_the_case_page_offers_exactly_the_steps_the_rules_allow(
    admin_client, frozen, status, first_due_passed
):
    due = TODAY - timedelta(days=1) if first_due_passed else TODAY + timedelta(days=10)
    case = DsrCaseFactory(status=status, due_date=due, target_date=min(due, TODAY))

    allowed = {
        name
        for name in rules.CASE_STEP_RULES
        if rules.case_step_blocker(name, case, today=deadlines.today()) is None
    }
    assert _offered(admin_client, case) == allowed
    assert ("extend" in allowed) == (case.is_open and not first_due_passed)


@pytest.mark.parametrize("status", [s for s in S.values if s != S.AWAITING_IDENTITY])
def test_identity_not_established_closes_only_a_case_awaiting_identity(frozen, status):
    case = DsrCaseFactory(status=status)

    for refuse in (
        lambda: transitions.case_identity_failed(case=case, actor=None, reasons="No ID."),
        lambda: transitions.case_refuse(
            case=case,
            actor=None,
            basis=RefusalBasis.IDENTITY_NOT_ESTABLISHED,
            reasons="No ID.",
        ),
    ):
        with pytest.raises(ApplicationError):
            refuse()
        case.refresh_from_db()
        assert case.status == status


def test_identity_not_established_closes_a_case_awaiting_identity(frozen):
    case = DsrCaseFactory(status=S.AWAITING_IDENTITY)

    transitions.case_identity_failed(case=case, actor=None, reasons="The ID sent was unreadable.")

    case.refresh_from_db()
    assert (case.status, case.identity_status) == (S.REFUSED, "failed")


def test_an_extension_is_possible_until_the_first_due_date_and_not_after(time_machine):
    time_machine.move_to("2026-03-05T10:00:00+01:00", tick=False)
    case = DsrCaseFactory(status=S.IN_PROGRESS)
    last_day = rules.extension_last_day(case)
    assert last_day == deadlines.extension_notice_deadline(case.due_date) == case.due_date

    time_machine.move_to(datetime(2026, 4, 8, 9, tzinfo=timezone.get_current_timezone()))
    assert deadlines.today() > last_day
    reason = rules.extend_blocker(case, today=deadlines.today())
    with pytest.raises(ApplicationError) as refused:
        transitions.case_extend(case=case, actor=None, reason="Many systems.")
    assert refused.value.message == reason

    time_machine.move_to(datetime(2026, 4, 7, 23, tzinfo=timezone.get_current_timezone()))
    assert deadlines.today() == last_day
    transitions.case_extend(case=case, actor=None, reason="Many systems.")
    case.refresh_from_db()
    assert case.extended_due_date is not None
    assert rules.extension_last_day(case) is None


@settings(max_examples=25, deadline=None)
@given(offset=st.integers(min_value=-10, max_value=20), extended=st.booleans())
# Inside the window, at both its edges and just outside them, whatever Hypothesis draws.
@example(offset=0, extended=False)
@example(offset=WINDOW // 2, extended=False)
@example(offset=WINDOW, extended=False)
@example(offset=-1, extended=False)
@example(offset=WINDOW + 1, extended=False)
@example(offset=0, extended=True)
@example(offset=WINDOW, extended=True)
def test_the_reminder_query_and_the_rule_agree_on_the_extension_window(offset, extended):
    """The sweep selects cases in the extension window in SQL; the claim asks the rule."""
    DsrCase.objects.all().delete()
    SentNotice.objects.all().delete()
    due = TODAY + timedelta(days=offset)
    extended_due = due + timedelta(days=61) if extended else None
    case = DsrCaseFactory(
        status=S.IN_PROGRESS,
        due_date=due,
        extended_due_date=extended_due,
        target_date=extended_due or due,
        extension_reason="Many systems." if extended else "",
        extension_notified_at=timezone.now() if extended else None,
    )
    # Every other reminder of the case claimed already: only the extension window can select.
    for kind in reminder_selectors.reminder_kinds():
        if kind != reminder_selectors.EXTENSION_WINDOW:
            SentNotice.objects.create(
                key=reminder_selectors.reminder_key(case.pk, kind), category="case_reminder"
            )
    due_by_rule = rules.extension_reminder_due(case, today=TODAY)
    selected = case.pk in reminder_selectors.cases_needing_reminders(TODAY)
    in_window = (
        reminder_selectors.EXTENSION_WINDOW
        in reminder_selectors.reminders_for(case, TODAY, set()).send
    )
    assert selected == in_window == due_by_rule
    # And all three say yes exactly inside the window of a case not extended yet.
    assert due_by_rule == (not extended and 0 <= offset <= WINDOW)


def test_a_request_with_no_way_to_reach_the_requester_is_refused_by_the_service(frozen):
    data = ReceiptInput(channel="post", rights=[RequestedRight("access")], requester_name="Bo")
    with pytest.raises(ApplicationError, match="at least one way to reach the requester"):
        intake.submission_receive(data=data)
    assert not DsrCase.objects.exists()

    data.requester_address = "Storgatan 1\n111 22 Stockholm"
    assert intake.submission_receive(data=data).cases.count() == 1


@pytest.mark.parametrize(("minutes", "accepted"), [(4, True), (6, False)])
def test_the_form_and_the_service_allow_the_same_slack_for_a_moment_in_the_future(
    frozen, minutes, accepted
):
    received_at = timezone.now() + timedelta(minutes=minutes)
    local = timezone.localtime(received_at)
    form = RegisterRequestForm(
        {
            "channel": "email",
            "received_at_0": local.date().isoformat(),
            "received_at_1": local.strftime("%H:%M:%S"),
            "requester_email": "bo@example.org",
            "language": "en",
            "rights": ["access"],
        }
    )
    assert form.is_valid() == accepted, form.errors
    data = ReceiptInput(
        channel="email",
        rights=[RequestedRight("access")],
        requester_email="bo@example.org",
        received_at=received_at,
    )
    if accepted:
        intake.submission_receive(data=data)
    else:
        assert "A request cannot be received in the future." in form.errors["received_at"]
        with pytest.raises(ApplicationError, match="cannot be received in the future"):
            intake.submission_receive(data=data)


def test_a_received_case_can_be_started_and_nothing_else_can(frozen):
    for status in S.values:
        case = DsrCaseFactory(status=status, submission=SubmissionFactory())
        reason = rules.start_blocker(case)
        if status == S.RECEIVED:
            assert reason is None
            transitions.case_start(case=case, actor=None)
            case.refresh_from_db()
            assert (case.status, case.identity_status) == (S.IN_PROGRESS, "verified")
            continue
        assert reason
        with pytest.raises(ApplicationError) as refused:
            transitions.case_start(case=case, actor=None)
        assert refused.value.message == reason
        case.refresh_from_db()
        assert case.status == status
