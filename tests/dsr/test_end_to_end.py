"""A request from receipt to proof, through the demo as `seed_demo` builds it.

On PostgreSQL with a real Celery worker: the demo platform database is a scratch PostgreSQL
database, an erasure for one of its customers' administrators runs in every system, the
invoices stay (restricted, Bokföringslagen), recipients are told (Art. 19) and the completion
letter says what was kept, why and until when. As `make run` has it: the demo seeds twice
without change into its own platform database next to the portal's, and an access request
exports the person's rows from there.
"""

import io
import json
import time

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from core.db import database_drop
from demo import names
from dsr import files
from dsr.choices import CaseStatus, LetterKind, TaskKind, TaskStatus
from dsr.models import CaseTask, Letter, RetainedData, SystemConnector
from dsr.services import fulfilment, intake, transitions
from dsr.services.intake import ReceiptInput, RequestedRight
from privacy.selectors import subject_by_email
from processors.models import Processor
from tests.dsr.conftest import AWS_CONTACT, platform_count, platform_rows


def _wait_until(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


pytestmark = pytest.mark.usefixtures("media_in_tmp")


@pytest.fixture
def demo(settings, tmp_path):
    """Seed the demo as `make run` does, into `platform` or (None) the default platform
    database next to the portal's, which is dropped before and after the test."""
    from django.db import connections

    settings_dict = connections["default"].settings_dict
    default_platform = f"{settings_dict['NAME']}_demo_platform"
    database_drop(settings_dict, default_platform)

    def seed(platform: str | None = None) -> str:
        settings.DEBUG = True
        settings.VAR_DIR = tmp_path
        out = io.StringIO()
        call_command("seed_demo", stdout=out, platform_database=platform)
        return out.getvalue()

    yield seed
    database_drop(settings_dict, default_platform)


def _receive(email: str, right: str, officer):
    subject = subject_by_email(email)
    submission = intake.submission_receive(
        data=ReceiptInput(
            channel="email",
            rights=[RequestedRight(right)],
            requester_email=email,
            requester_name=subject.name,
        )
    )
    case = submission.cases.get()
    assert case.subject == subject
    transitions.case_start(case=case, actor=officer)
    return case


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_an_erasure_in_the_demo_platform_on_postgresql(
    demo, settings, platform_postgresql, celery_worker, smtp_sink
):
    url = platform_postgresql
    output = demo(url)
    assert "Demo platform database: " in output
    # The demo's own requests run first (its erasure removes another person's rows).
    demo_tasks = CaseTask.objects.exclude(connector_kind="manual")
    assert _wait_until(
        lambda: not demo_tasks.filter(status__in=[TaskStatus.PENDING, TaskStatus.RUNNING]).exists()
    )
    Processor.objects.filter(name="Amazon Web Services").update(privacy_contact=AWS_CONTACT)
    officer = User.objects.get(username="demo")
    # A customer's administrator: the billing contact on the invoices.
    email = platform_rows(url, "SELECT customer_email FROM invoices ORDER BY id LIMIT 1")[0][
        "customer_email"
    ]
    invoices = platform_count(url, "invoices", "customer_email = %(e)s", e=email)
    events_total = platform_count(url, "events")
    others = platform_count(url, "users", "lower(email) <> %(e)s", e=email)
    assert invoices == 12
    assert platform_count(url, "events", "lower(user_email) = %(e)s", e=email) >= 5

    case = _receive(email, "erasure", officer)

    automatic = case.tasks.filter(kind=TaskKind.SYSTEM).exclude(connector_kind="manual")
    assert {t.system.name for t in automatic} == {
        names.SYS_DATABASE,
        names.SYS_EVENTS,
        names.SYS_BILLING,
    }
    assert _wait_until(
        lambda: not automatic.filter(status__in=[TaskStatus.PENDING, TaskStatus.RUNNING]).exists()
    ), list(automatic.values_list("status", "error"))
    assert set(automatic.values_list("status", flat=True)) == {TaskStatus.DONE}

    # The person's rows are gone or anonymised; everyone else's are as they were.
    assert platform_count(url, "users", "lower(email) = %(e)s", e=email) == 0
    assert platform_count(url, "users") == others
    assert platform_count(url, "events", "lower(user_email) = %(e)s", e=email) == 0
    assert platform_count(url, "events") == events_total
    # The invoices are kept, restricted, marked with the case.
    kept = platform_rows(
        url,
        "SELECT restricted, restricted_reason FROM invoices WHERE customer_email = %(e)s",
        e=email,
    )
    assert len(kept) == invoices
    assert {(r["restricted"], r["restricted_reason"]) for r in kept} == {(True, case.reference)}
    [retained] = RetainedData.objects.filter(case=case).select_related("data_category")
    assert (retained.data_category.name, retained.rows, str(retained.retained_until)) == (
        names.CAT_INVOICES,
        invoices,
        "2032-12-31",
    )

    # The helpdesk is searched by hand; then the recipients are told (Art. 19).
    helpdesk = case.tasks.get(system__name=names.SYS_HELPDESK)
    assert helpdesk.status == TaskStatus.PENDING
    fulfilment.task_complete_manual(
        task=helpdesk,
        actor=officer,
        evidence="Searched the mailbox for the address: two tickets from 2025, deleted.",
        done_at=timezone.now(),
    )
    notices = {
        t.recipient.name: t
        for t in CaseTask.objects.filter(case=case, kind=TaskKind.RECIPIENT_NOTICE)
    }
    assert set(notices) == {"Amazon Web Services", "Stripe"}
    assert notices["Amazon Web Services"].status == TaskStatus.DONE
    assert notices["Stripe"].status == TaskStatus.PENDING  # no email contact in the register
    fulfilment.task_complete_manual(
        task=notices["Stripe"],
        actor=officer,
        evidence="Sent through Stripe's privacy request form.",
        done_at=timezone.now(),
    )

    case = transitions.case_complete(
        case=case, actor=officer, outcome="We have erased your personal data."
    )

    assert case.status == CaseStatus.PARTIALLY_COMPLETED
    letter = Letter.objects.get(case=case, kind=LetterKind.COMPLETION)
    assert names.CAT_INVOICES in letter.body
    assert "Bokföringslagen (1999:1078) 7 kap. 2 §" in letter.body
    assert "2032" in letter.body
    assert "Amazon Web Services" in letter.body
    # Both went out by email through the worker: the notice to AWS and the answer.
    mails = smtp_sink.wait_for(2, timeout=30)
    recipients = {tuple(m.rcpt_tos) for m in mails}
    assert (AWS_CONTACT,) in recipients
    notice = next(m for m in mails if m.rcpt_tos == [AWS_CONTACT])
    assert email in notice.text()

    def answers():  # the demo's own requests send mail too: only this person's answer counts
        return [
            m
            for m in smtp_sink.messages
            if m.rcpt_tos == [email] and m.subject.endswith("has been completed")
        ]

    assert _wait_until(lambda: answers())
    assert "2032" in answers()[0].text()


@pytest.mark.django_db
def test_the_demo_seeds_its_platform_database_once_and_answers_an_access_request(
    demo, queued, django_capture_on_commit_callbacks
):
    from django.db import connections

    from core.db import database_url

    first = demo()
    second = demo()
    assert "Connectors: 4 (4 new)" in first
    assert "Connectors: 4 (0 new)" in second
    assert (
        first.split("Demo platform database: ")[1].splitlines()[0]
        == (second.split("Demo platform database: ")[1].splitlines()[0])
    )
    settings_dict = connections["default"].settings_dict
    url = database_url(settings_dict, f"{settings_dict['NAME']}_demo_platform")
    assert SystemConnector.objects.get(system__name=names.SYS_EVENTS).dsn == url
    email = platform_rows(url, "SELECT lower(email) AS email FROM users ORDER BY id LIMIT 1")[0][
        "email"
    ]
    officer = User.objects.get(username="demo")

    with django_capture_on_commit_callbacks(execute=True):
        case = _receive(email, "access", officer)
    for task_id in list(queued):
        assert fulfilment.task_run(task_id=task_id) == "done"

    task = case.tasks.get(system__name=names.SYS_DATABASE)
    exported = json.loads(files.result_file_read(task))
    assert [u["email"].lower() for u in exported[names.CAT_ACCOUNT]["users"]] == [email]
    events = case.tasks.get(system__name=names.SYS_EVENTS)
    assert events.result["statements"][0]["rows"] == platform_count(
        url, "events", "lower(user_email) = %(e)s", e=email
    )
