"""What the tests of the requests' admin share: its addresses, cases dated by hand, the queue."""

from datetime import date, datetime, timedelta

from django.urls import reverse
from django.utils import timezone

from dsr.choices import CaseStatus, EventKind
from dsr.models import CaseEvent, DsrCase
from dsr.services import intake
from dsr.services.intake import ReceiptInput, RequestedRight
from tests.factories import (
    DsrCaseFactory,
    SubmissionFactory,
)

S = CaseStatus
TODAY = date(2026, 3, 5)
CHANGELIST = "admin:dsr_dsrcase_changelist"


def changelist(client, **params):
    response = client.get(reverse(CHANGELIST), params)
    assert response.status_code == 200, response.status_code
    return response


def listed(client, **params) -> list[str]:
    return [case.reference for case in changelist(client, **params).context["cl"].result_list]


def case_url(case) -> str:
    return reverse("admin:dsr_dsrcase_change", args=[case.pk])


def action_url(case, name: str) -> str:
    return reverse(f"admin:dsr_dsrcase_{name.replace('-', '_')}", args=[case.pk])


def status_events(case) -> list[CaseEvent]:
    return list(CaseEvent.objects.filter(case=case, kind=EventKind.STATUS))


def dated_case(reference, *, target, due, status=S.IN_PROGRESS, **fields) -> DsrCase:
    """A case received on 5 February whose dates are set by hand (days before/after TODAY)."""
    received = timezone.make_aware(datetime(2026, 2, 5, 10))
    return DsrCaseFactory(
        reference=reference,
        submission=SubmissionFactory(received_at=received),
        status=status,
        target_date=TODAY + timedelta(days=target),
        due_date=TODAY + timedelta(days=due),
        **fields,
    )


def receive_by_post(*rights, email="anna.berg@example.org", actor=None):
    """A request received by post, with everything a letter says about its sender."""
    return intake.submission_receive(
        data=ReceiptInput(
            channel="post",
            rights=[RequestedRight(r, details="All of it.") for r in rights],
            requester_email=email,
            requester_name="Anna Berg",
            requester_phone="+46 70 123 45 67",
            requester_address="Storgatan 1\n111 22 Stockholm",
            message="Dear company, please send me my data and then erase it.",
        ),
        actor=actor,
    )
