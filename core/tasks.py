"""The platform's tasks: worker checks and heartbeats, sending the outbox."""

import logging
import socket

from celery import shared_task

from core import emails, selectors, services

logger = logging.getLogger(__name__)


def _worker_name(task) -> str:
    return task.request.hostname or socket.gethostname()


@shared_task(bind=True, acks_late=True, soft_time_limit=20, time_limit=30)
def complete_worker_check(self, check_id: int) -> None:
    """Complete a worker check. Idempotent (a redelivery finds it done), hence acks_late."""
    done = services.worker_check_complete(check_id=check_id, worker=_worker_name(self))
    logger.info("worker check %s %s", check_id, "completed" if done else "already complete")


@shared_task(bind=True, soft_time_limit=20, time_limit=30)
def worker_heartbeat(self) -> None:
    """Beat's proof of life for /healthz; also prunes old checks."""
    check = services.worker_heartbeat_record(worker=_worker_name(self))
    logger.info("worker heartbeat %s", check.pk)


@shared_task(bind=True, acks_late=True, soft_time_limit=60, time_limit=90)
def send_outbox_email(self, email_id: int) -> None:
    """Send one outbox email. Claims it first, so a duplicate message or a second worker does
    nothing; a transient SMTP error schedules a retry, a permanent one marks it failed."""
    if not services.outbox_claim(email_id=email_id):
        logger.info("outbox email %s not due or already taken", email_id)
        return
    try:
        emails.deliver(email_id)
    except emails.PermanentFailure as error:
        services.outbox_mark_failed(email_id=email_id, error=str(error), permanent=True)
        logger.warning("outbox email %s failed permanently", email_id)
    except Exception as error:
        email = services.outbox_mark_failed(
            email_id=email_id, error=f"{type(error).__name__}: {error}", permanent=False
        )
        logger.warning("outbox email %s attempt %s failed", email_id, email.attempts)
    else:
        services.outbox_mark_sent(email_id=email_id)
        logger.info("outbox email %s sent", email_id)


@shared_task(soft_time_limit=50, time_limit=60)
def outbox_sweep() -> int:
    """Queue every due email: retries whose time has come, and those a lost task or an
    unreachable broker left behind. Safe to run twice: sending claims each email."""
    due = list(selectors.outbox_due_ids(limit=500))
    for email_id in due:
        send_outbox_email.delay(email_id)
    if due:
        logger.info("outbox sweep queued %s email(s)", len(due))
    return len(due)
