"""Each case's page: one form per step calling its service, the fulfilment tasks' steps,
registering a request, and the whole path in a browser."""

from datetime import date, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from dsr import deadlines
from dsr.admin.steps import CASE_STEPS
from dsr.choices import EventKind, IdentityStatus, TaskKind, TaskStatus
from dsr.models import CaseTask, DsrCase, Letter, Submission
from dsr.services import transitions
from tests.dsr.admin.pages import (
    S,
    action_url,
    case_url,
    dated_case,
    receive_by_post,
    status_events,
)
from tests.factories import (
    ControllerProfileFactory,
    DataSubjectFactory,
    DsrCaseFactory,
    SubmissionFactory,
    SystemFactory,
)
from tests.helpers import changeform_data, form_errors, messages_of

pytestmark = pytest.mark.django_db

# --- Transitions ----------------------------------------------------------------------------


TRANSITIONS = [
    ("start", S.RECEIVED, {"note": "Sent from the account address."}, S.IN_PROGRESS),
    (
        "verify-identity",
        S.AWAITING_IDENTITY,
        {"method": "id_document", "evidence": "Passport seen on a video call.", "all_linked": "on"},
        S.IN_PROGRESS,
    ),
    (
        "request-identity",
        S.RECEIVED,
        {"explanation": "Please send a copy of an ID.", "pause_reason": "Name does not match."},
        S.AWAITING_IDENTITY,
    ),
    (
        "identity-failed",
        S.AWAITING_IDENTITY,
        {"reasons": "No answer to our identity request."},
        S.REFUSED,
    ),
    ("ask-requester", S.IN_PROGRESS, {"question": "Which account?"}, S.AWAITING_REQUESTER),
    ("resume", S.AWAITING_REQUESTER, {"note": "The work account."}, S.IN_PROGRESS),
    ("complete", S.IN_PROGRESS, {"outcome": "Your data is attached."}, S.COMPLETED),
    (
        "complete",
        S.IN_PROGRESS,
        {"outcome": "Most of it.", "partially": "on"},
        S.PARTIALLY_COMPLETED,
    ),
    (
        "refuse",
        S.IN_PROGRESS,
        {
            "basis": "excessive",
            "reasons": "The fifth identical request this month.",
            "justification": "Log of five identical requests attached to the file.",
        },
        S.REFUSED,
    ),
    ("withdraw", S.RECEIVED, {"note": "By phone.", "notify": "on"}, S.WITHDRAWN),
]


@pytest.mark.parametrize(
    ("action", "start", "data", "end"), TRANSITIONS, ids=[t[0] for t in TRANSITIONS]
)
def test_every_transition_has_its_form(admin_client, frozen, action, start, data, end):
    case = DsrCaseFactory(status=start)

    page = admin_client.get(action_url(case, action))
    assert page.status_code == 200
    assert case.reference in page.content.decode()
    assert f'href="{action_url(case, action)}"' in admin_client.get(case_url(case)).content.decode()

    response = admin_client.post(action_url(case, action), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    assert response.url == case_url(case)
    case.refresh_from_db()
    assert case.status == end
    [event] = status_events(case)
    assert (event.from_status, event.to_status) == (start, end)
    assert any(case.reference in m for m in messages_of(admin_client.get(response.url)))


@pytest.mark.parametrize(
    ("email", "delivery"),
    [
        ("anna.berg@example.org", "It is emailed to the requester."),
        ("", "There is no email address: print it under Letters and post it."),
    ],
    ids=["by-email", "by-post"],
)
def test_a_step_that_writes_a_letter_says_how_it_reaches_the_requester(
    admin_client, frozen, email, delivery
):
    case = DsrCaseFactory(
        status=S.IN_PROGRESS,
        submission=SubmissionFactory(
            channel="post", requester_email=email, requester_address="Storgatan 1, Stockholm"
        ),
    )

    response = admin_client.post(action_url(case, "complete"), {"outcome": "Here it is."})

    assert messages_of(admin_client.get(response.url)) == [
        f"{case.reference}: completed; the answer is in a letter to the requester. {delivery}"
    ]


def test_request_identity_with_a_reason_stops_the_clock(admin_client, frozen):
    case = DsrCaseFactory(status=S.RECEIVED)

    admin_client.post(
        action_url(case, "request-identity"),
        {"explanation": "Please send ID.", "pause_reason": "Name differs from the account."},
    )

    assert case.pauses.get().ended_at is None
    assert Letter.objects.get(case=case).kind == "identity_request"


def test_identity_failure_records_the_basis(admin_client, frozen):
    case = DsrCaseFactory(status=S.AWAITING_IDENTITY)

    admin_client.post(action_url(case, "identity-failed"), {"reasons": "Nothing received."})

    case.refresh_from_db()
    assert case.refusal_basis == "identity_not_established"
    assert case.identity_status == IdentityStatus.FAILED


def test_extend_records_the_reason_and_keeps_the_status(admin_client, frozen):
    case = DsrCaseFactory(status=S.IN_PROGRESS)
    assert admin_client.get(action_url(case, "extend")).status_code == 200

    response = admin_client.post(action_url(case, "extend"), {"reason": "Twelve systems."})

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == S.IN_PROGRESS
    assert case.extended_due_date == date(2026, 6, 5)
    assert case.extension_reason == "Twelve systems."
    assert status_events(case) == []
    assert case.events.filter(kind=EventKind.EXTENSION).count() == 1
    # Extended once: the button is gone.
    assert action_url(case, "extend") not in admin_client.get(case_url(case)).content.decode()


def test_add_note_and_assign_from_the_case_page(admin_client, superuser, frozen):
    case = DsrCaseFactory(status=S.IN_PROGRESS)
    assert admin_client.get(action_url(case, "add-note")).status_code == 200
    assert admin_client.get(action_url(case, "assign")).status_code == 200

    admin_client.post(action_url(case, "add-note"), {"note": "Called the requester."})
    admin_client.post(action_url(case, "assign"), {"assignee": superuser.pk})

    case.refresh_from_db()
    assert case.assignee == superuser
    assert case.events.get(kind=EventKind.NOTE).note == "Called the requester."
    assert case.events.filter(kind=EventKind.ASSIGNMENT).count() == 1
    assert status_events(case) == []


def _refused(response, case, status, message):
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html, html[:3000]
    case.refresh_from_db()
    assert case.status == status
    assert status_events(case) == []


def test_extension_without_a_reason_is_refused(admin_client, frozen):
    case = DsrCaseFactory(status=S.IN_PROGRESS)

    response = admin_client.post(action_url(case, "extend"), {"reason": "  "})

    _refused(response, case, S.IN_PROGRESS, "This field is required.")
    assert case.extended_due_date is None


def test_extension_after_the_first_due_date_is_refused(admin_client, frozen):
    case = dated_case("DSR-2026-000030", target=-2, due=-1)

    # The page says why, in the words the service refuses with.
    page = admin_client.get(action_url(case, "extend"))
    assert page.status_code == 302
    said = messages_of(admin_client.get(page.url))
    passed = "the first due date) has passed, so it is no longer possible"
    assert any(passed in m for m in said), said

    response = admin_client.post(action_url(case, "extend"), {"reason": "Too late."})

    _refused(
        response, case, S.IN_PROGRESS, "the first due date) has passed, so it is no longer possible"
    )
    assert case.extended_due_date is None


def test_refusing_as_excessive_needs_a_justification(admin_client, frozen):
    case = DsrCaseFactory(status=S.IN_PROGRESS)

    response = admin_client.post(
        action_url(case, "refuse"), {"basis": "excessive", "reasons": "Repetitive."}
    )

    _refused(response, case, S.IN_PROGRESS, "needs a written justification (Art. 12(5))")


def test_completing_with_open_tasks_needs_a_reason(admin_client, frozen):
    case = DsrCaseFactory(status=S.IN_PROGRESS)
    CaseTask.objects.create(
        case=case, kind=TaskKind.SYSTEM, system=SystemFactory(name="Billing"), operation="export"
    )

    page = admin_client.get(action_url(case, "complete"))
    assert "open_tasks_reason" in page.context["form"].fields

    response = admin_client.post(action_url(case, "complete"), {"outcome": "Sent."})
    _refused(response, case, S.IN_PROGRESS, "fulfilment task(s) are still open")

    response = admin_client.post(
        action_url(case, "complete"),
        {"outcome": "Sent.", "open_tasks_reason": "Billing holds nothing of this person."},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == S.COMPLETED
    assert case.open_tasks_reason == "Billing holds nothing of this person."


def test_a_transition_the_status_does_not_allow_is_an_error_not_a_500(admin_client, frozen):
    case = DsrCaseFactory(status=S.RECEIVED)

    response = admin_client.post(action_url(case, "complete"), {"outcome": "Done."})

    _refused(response, case, S.RECEIVED, "it cannot become completed")


def test_resume_never_skips_identity(admin_client, frozen):
    case = DsrCaseFactory(status=S.AWAITING_IDENTITY)

    response = admin_client.post(action_url(case, "resume"), {"note": "Go."})

    _refused(response, case, S.AWAITING_IDENTITY, "is not waiting for the requester")


def test_a_closed_case_offers_only_a_note(admin_client, frozen):
    case = DsrCaseFactory(status=S.COMPLETED)

    html = admin_client.get(case_url(case)).content.decode()

    offered = [a.name for a in CASE_STEPS if f'href="{action_url(case, a.name)}"' in html]
    assert offered == ["add-note"]


def test_the_buttons_follow_the_status(admin_client, frozen):
    received = DsrCaseFactory(status=S.RECEIVED)
    html = admin_client.get(case_url(received)).content.decode()
    offered = {a.name for a in CASE_STEPS if f'href="{action_url(received, a.name)}"' in html}

    assert offered == {
        "start",
        "verify-identity",
        "request-identity",
        "extend",
        "refuse",
        "withdraw",
        "assign",
        "add-note",
    }


def test_transitions_need_the_change_permission(client, manager, frozen):
    case = DsrCaseFactory(status=S.RECEIVED)
    client.force_login(manager)  # reads every request, changes none

    assert client.get(action_url(case, "start")).status_code == 403
    assert client.post(action_url(case, "start"), {}).status_code == 403
    case.refresh_from_db()
    assert case.status == S.RECEIVED


def test_transitions_need_the_csrf_token(superuser, frozen):
    case = DsrCaseFactory(status=S.RECEIVED)
    client = Client(enforce_csrf_checks=True)
    client.force_login(superuser)

    assert client.post(action_url(case, "start"), {}).status_code == 403
    case.refresh_from_db()
    assert case.status == S.RECEIVED


def test_only_get_and_post(admin_client, frozen):
    case = DsrCaseFactory(status=S.RECEIVED)

    assert admin_client.put(action_url(case, "start")).status_code == 405


# --- The case page --------------------------------------------------------------------------


def test_the_case_page_shows_the_requester_the_linked_cases_and_the_timeline(
    admin_client, superuser, frozen
):
    access, erasure = receive_by_post("access", "erasure", actor=superuser).cases.order_by("pk")
    transitions.case_verify_identity(
        case=access, method="id_document", evidence="Passport.", actor=superuser
    )
    transitions.case_add_note(case=access, actor=superuser, note="First note.")
    frozen.shift(timedelta(hours=1))
    transitions.case_add_note(case=access, actor=None, note="Second note.")

    response = admin_client.get(case_url(access))

    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "anna.berg@example.org",
        "+46 70 123 45 67",
        "Storgatan 1",
        "please send me my data",
        "Post",
        "Passport.",
        "Waiting to be sent",  # the acknowledgement letter's outbox status
    ):
        assert text in html, text
    assert f'href="{case_url(erasure)}"' in html
    # The timeline, oldest first; the portal's own entries say so.
    timeline = html[html.index("#events") :]
    notes = ["Received by Post.", "Identity verified: Identity document.", "First note.", "Second"]
    positions = [timeline.index(note) for note in notes]
    assert positions == sorted(positions)
    assert "Portal" in html
    assert "Received → In progress" in html


def test_the_case_page_lists_fulfilment_tasks(admin_client, frozen):
    case = DsrCaseFactory(status=S.IN_PROGRESS)
    CaseTask.objects.create(
        case=case,
        kind=TaskKind.SYSTEM,
        system=SystemFactory(name="Billing"),
        operation="export",
        status=TaskStatus.FAILED,
        attempts=3,
        error="connection refused",
    )

    html = admin_client.get(case_url(case)).content.decode()

    assert "Billing" in html
    assert "connection refused" in html
    assert "Failed" in html


def _task(case, status, connector_kind="postgresql"):
    return CaseTask.objects.create(
        case=case,
        kind=TaskKind.SYSTEM,
        system=SystemFactory(),
        operation="export",
        connector_kind=connector_kind,
        status=status,
        error="connection refused" if status == TaskStatus.FAILED else "",
    )


def task_url(task, name: str) -> str:
    return reverse(f"admin:dsr_dsrcase_task_{name}", args=[task.case_id, task.pk])


def test_a_failed_task_can_be_tried_again(admin_client, frozen):
    case = DsrCaseFactory(status=S.IN_PROGRESS)
    task = _task(case, TaskStatus.FAILED)
    assert f'href="{task_url(task, "retry")}"' in admin_client.get(case_url(case)).content.decode()

    assert admin_client.get(task_url(task, "retry")).status_code == 200
    response = admin_client.post(task_url(task, "retry"))

    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == TaskStatus.PENDING
    assert case.events.filter(kind=EventKind.TASK).count() == 1


def test_a_manual_task_is_done_by_hand_with_evidence(admin_client, frozen):
    case = DsrCaseFactory(status=S.IN_PROGRESS)
    task = _task(case, TaskStatus.PENDING, connector_kind="manual")

    page = admin_client.get(task_url(task, "retry"))
    assert page.status_code == 302  # a manual task is never "tried again"
    assert admin_client.get(task_url(task, "complete")).status_code == 200
    assert admin_client.get(task_url(task, "skip")).status_code == 200
    response = admin_client.post(
        task_url(task, "complete"),
        {"evidence": "", "done_at_0": "2026-03-05", "done_at_1": "09:00:00"},
    )
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    future = admin_client.post(
        task_url(task, "complete"),
        {"evidence": "Exported by hand.", "done_at_0": "2026-03-06", "done_at_1": "09:00:00"},
    )
    assert future.status_code == 200
    assert future.context["form"].errors["done_at"] == [
        "The task cannot have been done in the future."
    ]
    assert "Exported by hand." in future.content.decode()  # what was typed is kept

    response = admin_client.post(
        task_url(task, "complete"),
        {"evidence": "Exported by hand.", "done_at_0": "2026-03-05", "done_at_1": "09:00:00"},
    )

    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.status, task.evidence) == (TaskStatus.DONE, "Exported by hand.")


def test_a_task_can_be_marked_not_needed(admin_client, frozen):
    case = DsrCaseFactory(status=S.IN_PROGRESS)
    task = _task(case, TaskStatus.PENDING, connector_kind="manual")

    response = admin_client.post(task_url(task, "skip"), {"reason": "Holds nothing of her."})

    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == TaskStatus.SKIPPED
    response = admin_client.post(task_url(task, "skip"), {"reason": "Again."})
    assert response.status_code == 200
    assert "This task is already" in response.content.decode()


def test_the_case_page_saves_assignee_and_subject_through_the_services(
    admin_client, superuser, frozen
):
    case = DsrCaseFactory(status=S.IN_PROGRESS)
    subject = DataSubjectFactory()
    page = admin_client.get(case_url(case))

    response = admin_client.post(
        case_url(case),
        changeform_data(
            page,
            {"assignee": str(superuser.pk), "subject": str(subject.pk), "details": "Invoices."},
        ),
    )

    assert response.status_code == 302, form_errors(response)
    case.refresh_from_db()
    assert (case.assignee, case.subject, case.details) == (superuser, subject, "Invoices.")
    assert case.status == S.IN_PROGRESS
    kinds = list(case.events.values_list("kind", flat=True))
    assert kinds == [EventKind.NOTE, EventKind.SUBJECT, EventKind.ASSIGNMENT]
    assert case.events.get(kind=EventKind.NOTE).note == "Request edited: details."


def test_an_agent_who_hands_a_case_to_a_colleague_returns_to_the_queue(
    client, support_agent, privacy_officer, frozen
):
    case = DsrCaseFactory(status=S.IN_PROGRESS, assignee=support_agent)
    client.force_login(support_agent)
    page = client.get(case_url(case))

    response = client.post(
        case_url(case),
        changeform_data(page, {"assignee": str(privacy_officer.pk), "_continue": "1"}),
    )

    assert response.status_code == 302, form_errors(response)
    assert response.url == reverse("admin:dsr_dsrcase_changelist")
    assert any(case.reference in m for m in messages_of(client.get(response.url)))
    case.refresh_from_db()
    assert case.assignee == privacy_officer


def test_a_matched_subject_can_be_unlinked_with_a_timeline_entry(admin_client, frozen):
    case = DsrCaseFactory(status=S.IN_PROGRESS, subject=DataSubjectFactory())
    page = admin_client.get(case_url(case))

    response = admin_client.post(case_url(case), changeform_data(page, {"subject": ""}))

    assert response.status_code == 302, form_errors(response)
    case.refresh_from_db()
    assert case.subject is None
    assert case.events.get(kind=EventKind.SUBJECT).note == "No longer matched to a data subject."


def test_status_and_dates_are_read_only(admin_client, frozen):
    case = DsrCaseFactory(status=S.RECEIVED)
    page = admin_client.get(case_url(case))
    form = page.context["adminform"].form

    assert set(form.fields) == {
        "assignee",
        "subject",
        "language",
        "details",
        "rectification_content",
    }
    response = admin_client.post(
        case_url(case), changeform_data(page, {"status": "completed", "due_date": "2030-01-01"})
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == S.RECEIVED
    assert case.due_date == date(2026, 4, 7)


# --- Registering a request ------------------------------------------------------------------


def register_data(**overrides):
    data = {
        "channel": "post",
        "received_at_0": "2026-03-04",
        "received_at_1": "09:15:00",
        "requester_name": "Anna Berg",
        "requester_email": "Anna.Berg@Example.org",
        "requester_phone": "",
        "requester_address": "Storgatan 1, Stockholm",
        "language": "sv",
        "message": "Send me my data and correct my name.",
        "rights": ["access", "rectification"],
        "details": "Everything since 2020.",
        "rectification_content": "Name: Anna Berg (not Ana Berg).",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_register_a_request_with_two_rights(admin_client, superuser, frozen):
    page = admin_client.get(reverse("admin:dsr_dsrcase_add"))
    assert page.status_code == 200
    assert "Register a request" in page.content.decode()

    response = admin_client.post(reverse("admin:dsr_dsrcase_add"), register_data())

    submission = Submission.objects.get()
    access, rectification = submission.cases.order_by("pk")
    assert response.status_code == 302
    assert response.url == case_url(access)
    assert (access.right, rectification.right) == ("access", "rectification")
    assert submission.channel == "post"
    assert submission.created_by == superuser
    assert submission.requester_email == "anna.berg@example.org"
    assert timezone.localtime(submission.received_at) == timezone.make_aware(
        datetime(2026, 3, 4, 9, 15)
    )
    assert access.language == "sv"
    assert access.rectification_content == ""
    assert rectification.rectification_content == "Name: Anna Berg (not Ana Berg)."
    assert access.details == rectification.details == "Everything since 2020."
    for case in (access, rectification):
        assert case.events.filter(kind=EventKind.CREATED, actor=superuser).count() == 1
    assert any("linked" in m for m in messages_of(admin_client.get(response.url)))


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"received_at_0": "2026-03-06"}, "A request cannot be received in the future."),
        ({"rights": None}, "This field is required."),
        ({"channel": "self_service"}, "Select a valid choice."),
        ({"requester_email": "anna at example"}, "Enter a valid email address."),
        (
            {"requester_email": "", "requester_address": "", "requester_phone": ""},
            "Give at least one way to reach the requester",
        ),
        ({"rectification_content": ""}, "Say what should be corrected, and how."),
    ],
    ids=["future", "no-right", "self-service", "bad-email", "no-contact", "no-correction"],
)
def test_register_a_request_reports_invalid_input(admin_client, frozen, overrides, error):
    response = admin_client.post(reverse("admin:dsr_dsrcase_add"), register_data(**overrides))

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Submission.objects.exists()


# --- In the browser -------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_register_verify_and_complete_a_request(staff_page, live_server, screenshot):
    ControllerProfileFactory()
    page = staff_page
    page.goto(f"{live_server.url}/admin/dsr/dsrcase/")
    expect(
        page.get_by_role("heading", name="Select data subject request to change")
    ).to_be_visible()
    screenshot("empty-queue")

    page.get_by_role("link", name="Register a request").click()
    page.get_by_label("Received by").select_option("post")
    page.get_by_label("Requester's name").fill("Anna Berg")
    page.get_by_label("Requester's email").fill("anna.berg@example.org")
    page.get_by_label("The request as received").fill("Please send me a copy of my data.")
    page.get_by_label("Access (Art. 15)").check()
    page.get_by_label("Erasure (Art. 17)").check()
    screenshot("register-form")
    page.get_by_role("button", name="Register").click()

    expect(page.get_by_text("linked and answered together")).to_be_visible()
    reference = DsrCase.objects.order_by("pk").first().reference
    expect(page.get_by_role("heading", name=reference)).to_be_visible()
    screenshot("case-received")

    page.get_by_role("link", name="Verify identity").click()
    page.get_by_label("Identity verified by").select_option("id_document")
    page.get_by_label("Evidence").fill("Passport seen on a video call; number not kept.")
    screenshot("verify-form")
    page.get_by_role("button", name="Verify identity").click()
    expect(page.get_by_text("identity verified; the request is now in progress")).to_be_visible()
    screenshot("case-in-progress")

    page.get_by_role("link", name="Complete", exact=True).click()
    page.get_by_label("Outcome").fill("A copy of your data is attached.")
    page.get_by_role("button", name="Complete", exact=True).click()
    expect(
        page.get_by_text(
            "completed; the answer is in a letter to the requester. It is emailed to the requester."
        )
    ).to_be_visible()
    expect(page.get_by_text("In progress → Completed")).to_be_visible()
    screenshot("case-completed")

    first, second = DsrCase.objects.order_by("pk")
    assert first.status == S.COMPLETED
    assert second.status == S.IN_PROGRESS  # verified with it, answered on its own page

    # The queue: the second right still open, next to work that is late or due soon.
    today = deadlines.today()
    for number, (target, due) in enumerate([(-3, -1), (-1, 2), (2, 5)], start=900):
        DsrCaseFactory(
            reference=f"DSR-2026-{number:06d}",
            status=S.IN_PROGRESS,
            target_date=today + timedelta(days=target),
            due_date=today + timedelta(days=due),
        )
    page.goto(f"{live_server.url}/admin/dsr/dsrcase/")
    expect(page.get_by_role("link", name=second.reference)).to_be_visible()
    expect(page.get_by_role("link", name=first.reference)).to_have_count(0)
    expect(page.locator(".dsr-days--overdue")).to_have_text("Overdue by 1 day")
    screenshot("queue")
