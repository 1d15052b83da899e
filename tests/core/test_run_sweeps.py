"""`run_sweeps --inline` does the due work of every beat entry, once: each sweeper is given one
piece of work it alone would do, and EFFECTS says, per beat entry, how to see it done (through
the real SMTP server, a webhook receiver and a scratch PostgreSQL system)."""

import io
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from datetime import date, timedelta
from types import SimpleNamespace
from unittest import mock

import psycopg
import pytest
from celery.app.task import Task
from django.conf import settings
from django.core.management import CommandError, call_command

from core.choices import WorkerCheckOrigin
from core.db import database_drop, database_ensure
from core.models import OutboxEmail, SentNotice, WorkerCheck
from core.services import outbox_enqueue
from dsr.choices import CaseStatus, ExportStatus, TaskStatus
from dsr.models import CaseTask, DsrCase, ExportJob, RetentionRun
from dsr.services import exports, intake, retention
from dsr.services.intake import ReceiptInput, RequestedRight
from privacy import services as privacy_services
from tests.conftest import THURSDAY
from tests.dsr.conftest import WebhookReceiver, receive
from tests.dsr.factories import ConnectorQueryFactory, SqlConnectorFactory, WebhookConnectorFactory
from tests.factories import (
    ControllerProfileFactory,
    DataCategoryFactory,
    DataSubjectFactory,
    DigestSubscriptionFactory,
    DsrCaseFactory,
    PolicyVersionFactory,
    ProcessorAgreementFactory,
    RetentionRuleFactory,
    SystemFactory,
)

# Committed for real, as in production: what a sweeper's work queues on commit runs inline too.
pytestmark = pytest.mark.django_db(transaction=True)

OFFICER = "officer@staff.example.com"
MANAGER = "manager@staff.example.com"


@contextmanager
def broker_down():
    """What services queue on commit is lost, as when Redis is away: only a sweeper finds it."""
    with mock.patch.object(Task, "delay", side_effect=ConnectionRefusedError("broker down")):
        yield


@pytest.fixture(scope="module")
def platform_url(django_db_setup):
    """A scratch PostgreSQL database standing for a system the retention rule reaches."""
    from django.db import connections

    settings_dict = connections["default"].settings_dict
    name = f"{settings_dict['NAME']}_sweeps_{uuid.uuid4().hex[:8]}"
    yield database_ensure(settings_dict, name)
    database_drop(settings_dict, name)


def platform_events(url: str) -> list[str]:
    with psycopg.connect(url) as connection:
        return [row[0] for row in connection.execute("SELECT label FROM events ORDER BY label")]


def retention_due(url: str):
    """A rule switched on after its dry run; its system holds two rows past the period."""
    with psycopg.connect(url) as connection:
        connection.execute(
            "DROP TABLE IF EXISTS events;"
            "CREATE TABLE events (id serial PRIMARY KEY, label text, occurred_at date);"
            "INSERT INTO events (label, occurred_at) VALUES"
            " ('old-1', '2020-01-01'), ('old-2', '2024-06-01'), ('recent', '2026-03-01')"
        )
    rule = RetentionRuleFactory(period=12)
    ConnectorQueryFactory(
        connector=SqlConnectorFactory(dsn=url, system=SystemFactory()),
        operation="retention",
        data_category=DataCategoryFactory(retention_rule=rule),
        sql="DELETE FROM events WHERE id IN (SELECT id FROM events"
        " WHERE occurred_at < %(cutoff)s LIMIT %(batch_size)s)",
    )
    retention.retention_run(rule=rule, dry_run=True)
    return retention.retention_rule_enable(rule=rule)


@pytest.fixture
def webhook():
    receiver = WebhookReceiver()
    receiver.thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
def work(frozen, settings, tmp_path, smtp_sink, webhook, platform_url, privacy_officer, manager):
    """One piece of due work per beat entry, made as it arises: by time passing, or by a
    change whose queued task the broker never took."""
    settings.MEDIA_ROOT = tmp_path
    ControllerProfileFactory()
    with broker_down():
        # Each piece is as old as its sweeper wants: closed past DSR_PRUNE_AFTER, unconfirmed
        # past DSR_UNCONFIRMED_CLOSE_AFTER, a check past WORKER_CHECK_RETENTION.
        frozen.move_to("2022-02-01T10:00:00+01:00")
        pruned = DsrCaseFactory(status=CaseStatus.COMPLETED, submission__requester_name="Dag")
        frozen.move_to("2026-02-18T10:00:00+01:00")
        unconfirmed = receive("access", channel="self_service", email="bo@example.org").cases.get()
        frozen.move_to("2026-02-25T10:00:00+01:00")
        old_check = WorkerCheck.objects.create(origin=WorkerCheckOrigin.BEAT)

        frozen.move_to(THURSDAY)
        outbox_enqueue(to="anna@example.org", subject="Lost in the outage", body_text="x")
        submission = intake.submission_intake(
            data=ReceiptInput(
                channel="self_service",
                rights=[RequestedRight("access")],
                requester_email="fia@example.org",
            )
        )
        export = exports.export_request(case=DsrCaseFactory(status=CaseStatus.IN_PROGRESS))
        connector = WebhookConnectorFactory(webhook_url=webhook.url)
        task = DsrCaseFactory(right="erasure", status=CaseStatus.IN_PROGRESS).tasks.create(
            kind="system", system=connector.system, operation="erase", connector_kind="webhook"
        )
        reminded = DsrCaseFactory(status=CaseStatus.IN_PROGRESS, target_date=date(2026, 3, 12))
        DigestSubscriptionFactory(user=manager)  # weekly, Mondays after 07:00
        ProcessorAgreementFactory(processor__role="processor", review_due_on=date(2026, 3, 20))
        DataSubjectFactory(email="erik@example.org")
        privacy_services.policy_version_publish(
            version=PolicyVersionFactory(
                effective_date=date(2026, 4, 1),
                is_material_change=True,
                changes_summary="New sub-processor.",
            )
        )
        rule = retention_due(platform_url)
    # Past the minute in which a worker might still be about to take queued work.
    frozen.shift(timedelta(minutes=5))
    return SimpleNamespace(
        smtp=smtp_sink,
        webhook=webhook,
        platform_url=platform_url,
        pruned=pruned,
        unconfirmed=unconfirmed,
        old_check=old_check,
        emails_before=list(OutboxEmail.objects.values_list("pk", flat=True)),
        submission=submission,
        export=export,
        task=task,
        reminded=reminded,
        rule=rule,
    )


def delivered(work, to: str, subject: str) -> int:
    """How many messages the SMTP server received for `to` with `subject` in their subject."""
    return sum(to in mail.rcpt_tos and subject in mail.subject for mail in work.smtp.messages)


EFFECTS: dict[str, Callable[[SimpleNamespace], bool]] = {}


def effect(name: str):
    def register(check):
        EFFECTS[name] = check
        return check

    return register


@effect("outbox-sweep")
def lost_emails_are_sent(work) -> bool:
    sent = OutboxEmail.objects.filter(pk__in=work.emails_before, status="sent").count()
    return sent == len(work.emails_before) and delivered(work, "anna@example.org", "Lost") == 1


@effect("dsr-register-submissions")
def submission_registered(work) -> bool:
    cases = DsrCase.objects.filter(submission=work.submission)
    return [case.status for case in cases] == [CaseStatus.AWAITING_IDENTITY] and (
        delivered(work, "fia@example.org", "Please confirm your privacy request") == 1
    )


@effect("dsr-close-unconfirmed")
def unconfirmed_request_closed(work) -> bool:
    case = DsrCase.objects.get(pk=work.unconfirmed.pk)
    return (case.status, case.refusal_basis) == (CaseStatus.REFUSED, "not_confirmed") and (
        delivered(work, "bo@example.org", "Our answer to your request") == 1
    )


@effect("dsr-prune-closed-cases")
def old_closed_case_pruned(work) -> bool:
    case = DsrCase.objects.select_related("submission").get(pk=work.pruned.pk)
    return case.pruned_at is not None and case.submission.requester_name == ""


@effect("dsr-retention-sweep")
def expired_rows_removed(work) -> bool:
    runs = RetentionRun.objects.filter(rule=work.rule, dry_run=False, succeeded=True, rows=2)
    return platform_events(work.platform_url) == ["recent"] and runs.count() == 1


@effect("dsr-sweep-exports")
def export_built(work) -> bool:
    job = ExportJob.objects.get(pk=work.export.pk)
    return job.status == ExportStatus.READY and job.files.count() == 3


@effect("dsr-sweep-pending-tasks")
def pending_task_dispatched(work) -> bool:
    task = CaseTask.objects.get(pk=work.task.pk)
    sent = [work.webhook.json(n)["task"] for n in range(len(work.webhook.requests))]
    return task.status == TaskStatus.WAITING and sent == [str(task.public_id)]


@effect("dsr-case-reminders")
def case_reminder_sent(work) -> bool:
    subject = f"[{work.reminded.reference}] Target date in 7 day(s)"
    return delivered(work, OFFICER, subject) == 1


@effect("dsr-digests")
def digest_sent(work) -> bool:
    return delivered(work, MANAGER, "Privacy digest for 2026-02-23 to 2026-03-01") == 1


@effect("processors-review-reminders")
def review_reminder_sent(work) -> bool:
    return delivered(work, OFFICER, "Register reviews coming due: 1") == 1


@effect("privacy-policy-notices")
def policy_notice_sent(work) -> bool:
    return delivered(work, "erik@example.org", "Changes to our privacy policy") == 1


@effect("worker-heartbeat")
def heartbeat_recorded(work) -> bool:
    beats = WorkerCheck.objects.filter(origin=WorkerCheckOrigin.BEAT, completed_at__isnull=False)
    return beats.exists() and not WorkerCheck.objects.filter(pk=work.old_check.pk).exists()


def done(work) -> set[str]:
    """The beat entries whose work is seen done."""
    return {name for name, check in EFFECTS.items() if check(work)}


def traces(work) -> tuple[int, int, int]:
    """Mail received, outbox rows and sent-notice claims: what a repeated send would add to."""
    return len(work.smtp.messages), OutboxEmail.objects.count(), SentNotice.objects.count()


def test_run_sweeps_inline_does_every_sweepers_work_once(work):
    # A beat entry added without its effect here fails the test, not silently passes it.
    assert set(EFFECTS) == set(settings.CELERY_BEAT_SCHEDULE)
    assert done(work) == set()

    call_command("run_sweeps", "--inline", stdout=io.StringIO())

    assert done(work) == set(EFFECTS)
    written = traces(work)

    out = io.StringIO()
    call_command("run_sweeps", "--inline", stdout=out)

    # A second run (a retry, or beat right after) finds the work done: nothing sent twice.
    assert done(work) == set(EFFECTS)
    assert traces(work) == written
    assert RetentionRun.objects.filter(rule=work.rule, dry_run=False).first().rows == 0
    # The heartbeat is the one sweeper meant to leave a trace on every run.
    assert WorkerCheck.objects.filter(origin=WorkerCheckOrigin.BEAT).count() == 2
    assert f"{len(EFFECTS)} sweeper(s) ran." in out.getvalue()


def test_only_the_named_sweepers_run(work):
    out = io.StringIO()

    call_command("run_sweeps", "--inline", "--only", "outbox-sweep", stdout=out)

    assert done(work) == {"outbox-sweep"}
    assert "1 sweeper(s) ran." in out.getvalue()


def test_an_unknown_name_is_refused_and_nothing_runs(work):
    with pytest.raises(CommandError, match=r"Unknown sweepers: no-such\. The beat entries are: "):
        call_command("run_sweeps", "--inline", "--only", "outbox-sweep", "no-such")

    assert done(work) == set()
