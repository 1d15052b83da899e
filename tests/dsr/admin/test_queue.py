"""The team's queue: filters, colours, search, bulk assignment, submissions, and what can
never be deleted."""

import re

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from dsr.admin.display import days_left_html
from dsr.choices import EventKind
from dsr.models import CaseEvent, CasePause, DsrCase, Submission
from dsr.selectors import cases as case_selectors
from dsr.services import intake, transitions
from dsr.services.intake import ReceiptInput, RequestedRight
from tests.dsr.admin.pages import (
    CHANGELIST,
    S,
    changelist,
    dated_case,
    listed,
    receive_by_post,
)
from tests.factories import (
    DataSubjectFactory,
    DsrCaseFactory,
    SubmissionFactory,
    UserFactory,
)
from tests.helpers import messages_of, queries_of_get

pytestmark = pytest.mark.django_db

# --- The queue ------------------------------------------------------------------------------


OPEN = {1, 2, 3, 4, 5, 6}
IN_STATUS = {S.RECEIVED: {5}, S.IN_PROGRESS: {1, 2, 3, 4, 6}, S.COMPLETED: {7}}
# What each filter lists from the queue (case numbers), read from the fixture's dates: the
# legal due dates are -1, +1, +2, +6, +20 and +40 (extended) days away, the targets -4, -1, 0,
# +3, +4 and +40; the overdue case is mine, the soon one someone else's.
FILTERS = [
    ({}, OPEN),
    ({"status": "open"}, OPEN),
    ({"status": "all"}, OPEN | {7}),
    *(({"status": status}, IN_STATUS.get(status, set())) for status in S.values),
    ({"deadline": "overdue"}, {1}),
    ({"deadline": "due_soon"}, {2, 3, 4}),
    ({"deadline": "past_target"}, {1, 2}),
    ({"deadline": "target_soon"}, {3, 4, 5}),
    ({"assigned": "mine"}, {1}),
    ({"assigned": "unassigned"}, {2, 3, 5, 6}),
    ({"right__exact": "erasure"}, {3}),
    ({"submission__channel__exact": "post"}, {5}),
    ({"deadline": "overdue", "assigned": "mine", "status": "all", "o": "6"}, {1}),
    ({"_facets": "1"}, OPEN),
    ({"_facets": "1", "status": "all", "deadline": "due_soon"}, {2, 3, 4}),
]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param(p, e, id="&".join(f"{k}={v}" for k, v in p.items()) or "default")
        for p, e in FILTERS
    ],
)
def test_the_queue_lists_what_each_filter_promises(
    admin_client, superuser, queue, params, expected
):
    DsrCase.objects.filter(pk=queue["overdue"].pk).update(assignee=superuser)
    DsrCase.objects.filter(pk=queue["soon"].pk).update(assignee=UserFactory())
    DsrCase.objects.filter(pk=queue["today"].pk).update(right="erasure")
    Submission.objects.filter(pk=queue["ok"].submission_id).update(channel="post")

    assert sorted(listed(admin_client, **params)) == [f"DSR-2026-{n:06d}" for n in sorted(expected)]


def test_the_queue_sorts_by_legal_due_date_and_days_left(admin_client, queue):
    by_due = listed(admin_client, o="6")  # the legal due date column, extended ones by that

    assert by_due.index("DSR-2026-000006") == len(by_due) - 1
    assert listed(admin_client, o="-4")[0] == "DSR-2026-000006"


def test_the_queue_defaults_to_open_work_by_target_date(admin_client, queue):
    assert listed(admin_client) == [
        "DSR-2026-000001",
        "DSR-2026-000002",
        "DSR-2026-000003",
        "DSR-2026-000004",
        "DSR-2026-000005",
        "DSR-2026-000006",
    ]
    assert "DSR-2026-000007" in listed(admin_client, status="all")
    assert listed(admin_client, status="completed") == ["DSR-2026-000007"]
    assert listed(admin_client, status="received") == ["DSR-2026-000005"]


def test_deadline_filters_are_precise(admin_client, queue):
    # Overdue: the legal due date (the extended one once extended) has passed; open only.
    assert listed(admin_client, deadline="overdue", status="all") == ["DSR-2026-000001"]
    # Late on our promise: the target date has passed (overdue cases too).
    assert listed(admin_client, deadline="past_target") == ["DSR-2026-000001", "DSR-2026-000002"]
    # Legally due in the next 7 days, not yet overdue.
    assert listed(admin_client, deadline="due_soon") == [
        "DSR-2026-000002",
        "DSR-2026-000003",
        "DSR-2026-000004",
    ]
    assert listed(admin_client, deadline="target_soon") == [
        "DSR-2026-000003",
        "DSR-2026-000004",
        "DSR-2026-000005",
    ]


def test_overdue_counts_the_local_date_in_stockholm(admin_client, time_machine):
    # 23:30 UTC on 4 March is already 5 March in Stockholm: due on the 4th is overdue.
    time_machine.move_to("2026-03-04T23:30:00Z", tick=False)
    dated_case("DSR-2026-000010", target=-1, due=-1)

    assert listed(admin_client, deadline="overdue") == ["DSR-2026-000010"]


def test_assignment_filters(admin_client, superuser, queue):
    transitions.cases_assign(cases=[queue["late"]], assignee=superuser, actor=superuser)
    transitions.cases_assign(cases=[queue["soon"]], assignee=UserFactory(), actor=superuser)

    assert listed(admin_client, assigned="mine") == ["DSR-2026-000002"]
    assert "DSR-2026-000002" not in listed(admin_client, assigned="unassigned")
    assert "DSR-2026-000004" not in listed(admin_client, assigned="unassigned")
    assert "DSR-2026-000001" in listed(admin_client, assigned="unassigned")


def test_right_and_channel_filters(admin_client, frozen):
    DsrCaseFactory(reference="DSR-2026-000020", right="erasure")
    DsrCaseFactory(reference="DSR-2026-000021", submission=SubmissionFactory(channel="post"))

    assert listed(admin_client, right__exact="erasure") == ["DSR-2026-000020"]
    assert listed(admin_client, submission__channel__exact="post") == ["DSR-2026-000021"]


def test_days_left_colours(queue):
    rows = {case.pk: case for case in case_selectors.cases_queue()}

    def css(name):
        return re.search(r"dsr-days--(\w+)", str(days_left_html(rows[queue[name].pk]))).group(1)

    assert css("overdue") == "overdue"
    assert "Overdue by 1 day" in str(days_left_html(rows[queue["overdue"].pk]))
    assert css("late") == "late"
    assert css("today") == "soon"
    assert css("soon") == "soon"
    assert css("ok") == "ok"
    assert css("extended") == "ok"
    assert days_left_html(rows[queue["closed"].pk]) == "-"


def test_the_queue_shows_the_colours_and_a_stopped_clock(admin_client, queue):
    CasePause.objects.create(
        case=queue["soon"], reason="identity", explanation="Doubts", started_at=timezone.now()
    )

    html = changelist(admin_client).content.decode()

    for css in ("overdue", "late", "soon", "ok"):
        assert f"dsr-days dsr-days--{css}" in html
    assert "(clock stopped)" in html
    assert "(extended)" in html


def test_the_queue_never_shows_the_requester_email(admin_client, frozen):
    DsrCaseFactory(submission=SubmissionFactory(requester_email="secret.person@example.org"))

    html = changelist(admin_client).content.decode()

    assert "Anna Berg" in html
    assert "secret.person@example.org" not in html


def test_the_queue_links_the_data_subject(admin_client, frozen):
    subject = DataSubjectFactory(name="Ada Lovelace")
    DsrCaseFactory(subject=subject)
    DsrCaseFactory()

    html = changelist(admin_client).content.decode()

    assert reverse("admin:privacy_datasubject_change", args=[subject.pk]) in html
    assert "not matched" in html


def _cases(numbers, **people):
    # Open and legally due in 3 days: listed by the default view and by "Due within 7 days".
    for n in numbers:
        dated_case(f"DSR-2026-{n:06d}", target=1, due=3, **people)


@pytest.mark.parametrize("params", [{}, {"deadline": "due_soon", "status": "all"}])
def test_queue_query_count_stays_flat(admin_client, frozen, params):
    _cases(range(1, 11), assignee=UserFactory(), subject=DataSubjectFactory())
    url = reverse(CHANGELIST) + ("?" + "&".join(f"{k}={v}" for k, v in params.items()))
    few_rows = len(listed(admin_client, **params))
    few = queries_of_get(admin_client, url)
    # Different people and subjects on every row: nothing may be fetched per row.
    for n in range(11, 201):
        _cases([n], assignee=UserFactory(), subject=DataSubjectFactory())
    many_rows = len(listed(admin_client, **params))

    # Both measurements list rows, the second more of them: the count has something to stay
    # flat over.
    assert 0 < few_rows < many_rows
    assert queries_of_get(admin_client, url) == few


# --- Search ---------------------------------------------------------------------------------


def test_search_by_exact_reference_looks_through_every_status(admin_client, queue):
    assert listed(admin_client, q="dsr-2026-000007") == ["DSR-2026-000007"]
    assert listed(admin_client, q=" DSR-2026-000002 ") == ["DSR-2026-000002"]
    assert listed(admin_client, q="DSR-2026-0000") == []


def test_search_by_email_uses_its_keyed_hash(admin_client, frozen):
    anna = DsrCaseFactory(submission=SubmissionFactory(requester_email="anna.berg@example.org"))
    DsrCaseFactory(
        submission=SubmissionFactory(requester_name="Bo Ek", requester_email="bo.ek@example.org")
    )

    assert listed(admin_client, q="  Anna.Berg@EXAMPLE.org ") == [anna.reference]
    assert listed(admin_client, q="anna.berg@") == []
    assert listed(admin_client, q="nobody@example.org") == []


# --- Bulk assignment ------------------------------------------------------------------------


def _bulk(client, action, cases, **extra):
    return client.post(
        reverse(CHANGELIST),
        {"action": action, "_selected_action": [c.pk for c in cases], **extra},
    )


def test_bulk_assign_to_me(admin_client, superuser, queue):
    chosen = [queue["late"], queue["soon"], queue["closed"]]

    response = _bulk(admin_client, "assign_to_me", chosen)

    assert response.status_code == 302
    for name in ("late", "soon"):
        queue[name].refresh_from_db()
        assert queue[name].assignee == superuser
        assert queue[name].events.filter(kind=EventKind.ASSIGNMENT).count() == 1
    queue["closed"].refresh_from_db()
    assert queue["closed"].assignee is None
    assert any("2 requests assigned" in m for m in messages_of(admin_client.get(response.url)))


def test_bulk_assign_to_a_chosen_colleague(admin_client, queue):
    colleague = UserFactory(username="colleague")
    chosen = [queue["late"], queue["soon"]]

    page = _bulk(admin_client, "assign_to", chosen)

    assert page.status_code == 200
    assert "DSR-2026-000002" in page.content.decode()
    assert "colleague" in page.content.decode()

    response = _bulk(admin_client, "assign_to", chosen, apply="yes", assignee=colleague.pk)

    assert response.status_code == 302
    assert set(DsrCase.objects.filter(assignee=colleague)) == set(chosen)

    _bulk(admin_client, "assign_to", chosen, apply="yes", assignee="")

    assert not DsrCase.objects.filter(assignee__isnull=False).exists()


def test_bulk_assign_refuses_a_non_staff_user(admin_client, queue):
    outsider = UserFactory(username="outsider", is_staff=False)

    response = _bulk(admin_client, "assign_to", [queue["late"]], apply="yes", assignee=outsider.pk)

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    queue["late"].refresh_from_db()
    assert queue["late"].assignee is None


# --- Nothing is deleted ---------------------------------------------------------------------


def test_cases_and_submissions_cannot_be_deleted(admin_client, frozen):
    case = DsrCaseFactory()
    case_admin = admin.site.get_model_admin(DsrCase)

    assert admin_client.get(reverse("admin:dsr_dsrcase_delete", args=[case.pk])).status_code == 403
    assert (
        admin_client.get(
            reverse("admin:dsr_submission_delete", args=[case.submission_id])
        ).status_code
        == 403
    )
    response = changelist(admin_client)
    assert "delete_selected" not in dict(response.context["action_form"].fields["action"].choices)
    assert not case_admin.has_delete_permission(response.wsgi_request, case)
    _bulk(admin_client, "delete_selected", [case], post="yes")
    assert DsrCase.objects.filter(pk=case.pk).exists()


def test_case_events_have_no_admin_of_their_own():
    assert not admin.site.is_registered(CaseEvent)


# --- Submissions ----------------------------------------------------------------------------


def test_submissions_are_read_only_and_found_by_reference(admin_client, frozen):
    submission = receive_by_post("access", "erasure").cases.first().submission
    other = receive_by_post("access", email="bo@example.org")
    url = reverse("admin:dsr_submission_changelist")

    response = admin_client.get(url, {"q": "dsr-2026-000002"})
    assert list(response.context["cl"].result_list) == [submission]
    response = admin_client.get(url, {"q": "BO@example.org"})
    assert list(response.context["cl"].result_list) == [other]

    page = admin_client.get(reverse("admin:dsr_submission_change", args=[submission.pk]))
    assert page.status_code == 200
    assert "please send me my data" in page.content.decode()
    assert admin_client.get(reverse("admin:dsr_submission_add")).status_code == 403


def test_a_request_the_worker_has_not_registered_yet_shows_as_such(admin_client):
    waiting = intake.submission_intake(
        data=ReceiptInput(
            channel="self_service",
            rights=[RequestedRight(right="access")],
            requester_email="cecilia@example.org",
        )
    )
    url = reverse("admin:dsr_submission_changelist")
    page = admin_client.get(url).content.decode()
    assert "being registered by the worker" in page

    intake.submission_register(submission_id=waiting.pk)
    page = admin_client.get(url).content.decode()
    assert "being registered by the worker" not in page
    assert waiting.cases.get().reference in page


def test_submission_list_query_count_stays_flat(admin_client, frozen):
    for _ in range(5):
        receive_by_post("access", "erasure")
    url = reverse("admin:dsr_submission_changelist")
    few = queries_of_get(admin_client, url)
    for _ in range(45):
        receive_by_post("access", "erasure")

    assert queries_of_get(admin_client, url) == few
