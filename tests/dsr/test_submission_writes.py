"""What a self-service submission writes, in few statements: the same cases, events and letter
as a case received and then moved on to wait for the confirmation."""

import re
import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import OutboxEmail
from dsr.choices import CaseStatus, EventKind
from dsr.models import ReferenceCounter
from dsr.services import intake
from dsr.services.intake import ReceiptInput, RequestedRight
from tests.factories import ControllerProfileFactory, DataSubjectFactory

pytestmark = pytest.mark.django_db

RIGHTS = ["access", "erasure", "restriction"]


def receive(email="anna@example.org", *rights, channel="self_service"):
    return intake.submission_receive(
        data=ReceiptInput(
            channel=channel,
            rights=[RequestedRight(r) for r in rights or ("access", "erasure")],
            requester_email=email,
        )
    )


@pytest.fixture(autouse=True)
def _profile(time_machine):
    time_machine.move_to("2026-03-05T10:00:00+01:00", tick=True)
    ControllerProfileFactory()


def test_cases_wait_for_the_confirmation_with_both_events():
    submission = receive()
    first, second = submission.cases.order_by("pk")
    assert [first.reference, second.reference] == ["DSR-2026-000001", "DSR-2026-000002"]
    for case in (first, second):
        assert case.status == CaseStatus.AWAITING_IDENTITY
        timeline = [
            (e.kind, e.from_status, e.to_status, e.actor_id)
            for e in case.events.order_by("at", "pk")
        ]
        assert timeline == [
            (EventKind.CREATED, "", CaseStatus.RECEIVED, None),
            (EventKind.STATUS, CaseStatus.RECEIVED, CaseStatus.AWAITING_IDENTITY, None),
            (EventKind.LETTER, "", "", None),
        ]
    assert OutboxEmail.objects.get().subject.endswith("DSR-2026-000001, DSR-2026-000002")


def test_a_known_address_is_matched_to_its_subject():
    subject = DataSubjectFactory(email="anna@example.org")
    submission = receive("Anna@Example.org")
    assert {c.subject_id for c in submission.cases.all()} == {subject.pk}


def test_known_and_unknown_addresses_run_the_same_statements():
    DataSubjectFactory(email="customer@example.org")
    receive("warm@example.org")
    statements = []
    for email in ("customer@example.org", "stranger@example.org"):
        with CaptureQueriesContext(connection) as queries:
            receive(email)
        statements.append([re.sub(r'"s\d+_x\d+"', "", q["sql"])[:60] for q in queries])
    assert statements[0] == statements[1]


def test_references_continue_across_submissions_and_channels():
    receive("a@example.org", "access", "erasure", "restriction")
    staff = receive("b@example.org", "access", channel="email")
    assert staff.cases.get().reference == "DSR-2026-000004"
    assert ReferenceCounter.objects.get(year=2026).last_number == 4


def test_a_submission_writes_in_a_fixed_number_of_statements():
    receive("warm@example.org")
    counts = []
    for email, rights in (("one@example.org", ["access"]), ("three@example.org", RIGHTS)):
        with CaptureQueriesContext(connection) as queries:
            receive(email, *rights)
        counts.append(len(queries))
    # 15, plus the savepoint pair of the test's own transaction around the service's; the
    # letter adds one timeline entry per further case (dsr/services/letters.py).
    assert counts == [17, 19]


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_get_distinct_references_without_gaps():
    ControllerProfileFactory()
    errors = []

    def submit(n):
        try:
            receive(f"person{n}@example.org", "access", "erasure")
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    from dsr.models import DsrCase

    references = sorted(DsrCase.objects.values_list("reference", flat=True))
    assert references == [f"DSR-2026-{n:06d}" for n in range(1, 9)]
