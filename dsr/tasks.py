import logging

from celery import shared_task
from django.db import OperationalError

from dsr import deadlines
from dsr.selectors import cases as case_selectors
from dsr.selectors import fulfilment as fulfilment_selectors
from dsr.selectors import reminders as reminder_selectors
from dsr.services import exports as export_services
from dsr.services import fulfilment, intake, reminders, transitions

logger = logging.getLogger(__name__)


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=8,
    soft_time_limit=50,
    time_limit=60,
)
def register_submission(submission_id: int) -> bool:
    """Register a request from the public form as its cases and send the confirmation link.
    Idempotent (the service locks and empties the intake), hence acks_late and retries."""
    return intake.submission_register(submission_id=submission_id) is not None


@shared_task(soft_time_limit=50, time_limit=60)
def sweep_unregistered_submissions() -> int:
    """Sweeper: register requests whose message the broker never took, or whose worker died.
    Safe beside register_submission: each submission is registered once."""
    registered = intake.submissions_register_waiting()
    if registered:
        logger.info("registration sweep registered %s request(s)", registered)
    return registered


@shared_task(soft_time_limit=240, time_limit=300)
def close_unconfirmed_cases() -> int:
    """Sweeper: close self-service requests never confirmed within the allowed days.
    Each case is closed in its own transaction and re-checked under lock, so a rerun or a
    second beat closes nothing twice."""
    closed = 0
    for case in case_selectors.cases_unconfirmed_due().only("pk").iterator():
        if transitions.case_close_unconfirmed(case=case) is not None:
            closed += 1
            logger.info("closed unconfirmed case %s", case.pk)
    return closed


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(fulfilment.TaskRetryableError,),
    retry_backoff=30,
    retry_backoff_max=1800,
    retry_jitter=True,
    max_retries=5,
    soft_time_limit=240,
    time_limit=300,
)
def run_case_task(self, task_id: int) -> str:
    """Run one fulfilment task's connector (dsr.services.fulfilment.task_run).

    Idempotent, hence acks_late: the service claims the task before running it, so a redelivered
    or duplicate message does nothing. Only transient errors are retried, with exponential
    backoff (up to 30 s, 1, 2, 4, 8 minutes, jittered); the task shows the error meanwhile,
    and staff can retry it from the admin after the last attempt."""
    outcome = fulfilment.task_run(task_id=task_id)
    logger.info("case task %s: %s (delivery %s)", task_id, outcome, self.request.retries)
    return outcome


@shared_task(soft_time_limit=50, time_limit=60)
def sweep_pending_case_tasks() -> int:
    """Sweeper: queue automatic tasks no worker picked up (the broker was down when the case
    was verified, or a worker died mid-run). Safe to run twice: running claims each task."""
    due = fulfilment_selectors.tasks_pending_unqueued(limit=500)
    for task_id in due:
        run_case_task.delay(task_id)
    if due:
        logger.info("case task sweep queued %s task(s)", len(due))
    return len(due)


@shared_task(acks_late=True, soft_time_limit=600, time_limit=660)
def build_export(job_id: int) -> str:
    """Build one export. Idempotent: the build claims the job first, so a redelivered message
    or a second worker does nothing."""

    outcome = export_services.export_build(job_id=job_id)
    logger.info("export %s: %s", job_id, outcome)
    return outcome


@shared_task(soft_time_limit=240, time_limit=300)
def sweep_exports() -> dict:
    """Queue exports no worker took, and delete the files of expired ones."""

    waiting = case_selectors.exports_waiting_ids()
    for job_id in waiting:
        build_export.delay(job_id)
    expired = export_services.exports_expire_due()
    if waiting or expired:
        logger.info("export sweep: %s queued again, %s expired", len(waiting), expired)
    return {"queued": len(waiting), "expired": expired}


@shared_task(soft_time_limit=240, time_limit=300)
def sweep_case_reminders(inline: bool = False, chunk_size: int | None = None) -> int:
    """Find every open case with a reminder due and not yet claimed, and hand them out in
    chunks. Selecting by window (not "due today") means a sweep after an outage sends what the
    outage missed; leaving out what was claimed keeps a day's sweep to a day's work."""

    ids = reminder_selectors.cases_needing_reminders(deadlines.today())
    chunk_size = chunk_size or reminders.CHUNK
    for start in range(0, len(ids), chunk_size):
        chunk = ids[start : start + chunk_size]
        if inline:
            send_case_reminders(chunk)
        else:
            send_case_reminders.delay(chunk)
    return len(ids)


@shared_task(acks_late=True, soft_time_limit=240, time_limit=300)
def send_case_reminders(case_ids: list[int]) -> int:
    """Claim and queue the due reminders of these cases in one transaction (set-based: a few
    queries whatever their number). Idempotent: a claimed reminder is never claimed again, so
    a rerun sends nothing twice."""

    sent = sum(len(kinds) for kinds in reminders.reminders_send(case_ids=case_ids).values())
    if sent:
        logger.info("reminders: %s sent for %s case(s)", sent, len(case_ids))
    return sent


@shared_task(soft_time_limit=3300, time_limit=3600)
def sweep_retention() -> int:
    """Apply every retention rule switched on; each run is logged with what it removed."""
    from dsr.services import retention

    runs = retention.retention_sweep()
    for run in runs:
        logger.info("retention run %s: %s rows, ok=%s", run.pk, run.rows, run.succeeded)
    return sum(run.rows for run in runs)


@shared_task(soft_time_limit=240, time_limit=300)
def sweep_digests(inline: bool = False) -> int:
    """Sweeper (beat, every 15 minutes): hand out every subscription whose latest due digest
    period has not been sent. Selecting by "latest due, not yet claimed" (not "due this
    quarter of an hour") means a sweep after an outage sends the one digest that is owed."""
    from django.utils import timezone

    from dsr.selectors import digests as digest_selectors

    due = digest_selectors.digests_due(timezone.now())
    for subscription, _period in due:
        if inline:
            send_digest(subscription.pk)
        else:
            send_digest.delay(subscription.pk)
    if due:
        logger.info("digest sweep: %s due", len(due))
    return len(due)


@shared_task(acks_late=True, soft_time_limit=240, time_limit=300)
def send_digest(subscription_id: int) -> bool:
    """Claim and write one subscriber's digest for the latest due period. Idempotent: the
    period is claimed with the email, so a redelivery or a second sweep writes nothing."""
    from accounts.selectors import digest_subscriptions_active
    from dsr.services import digests

    subscription = digest_subscriptions_active().filter(pk=subscription_id).first()
    if subscription is None:
        return False
    email = digests.digest_send(subscription=subscription)
    logger.info("digest %s: %s", subscription_id, f"email {email.pk}" if email else "already sent")
    return email is not None


@shared_task(soft_time_limit=3300, time_limit=3600)
def prune_closed_cases() -> int:
    """Reduce cases closed long ago to their proof, each in its own transaction. Idempotent:
    case_prune re-checks each case under its lock, so a second run prunes nothing again."""
    from dsr.services import minimisation

    pruned = 0
    due = case_selectors.cases_due_for_pruning().values_list("pk", flat=True)
    for case_id in due.iterator():
        pruned += minimisation.case_prune(case_id=case_id)
    if pruned:
        logger.info("pruned %s closed case(s)", pruned)
    return pruned
