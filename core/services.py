"""The platform's own writes: worker checks, the outbox, notices claimed once.

Each is safe to call from any app's service inside its transaction: what is written commits
with the caller's change, and what is queued goes to the broker only after that commit.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.choices import OutboxStatus, WorkerCheckOrigin
from core.errors import ApplicationError
from core.models import OutboxEmail, SentNotice, WorkerCheck
from core.queue import enqueue_on_commit

logger = logging.getLogger(__name__)


def worker_check_request(*, origin: str, requested_by=None) -> WorkerCheck:
    """Record a check and queue it for a worker once the caller's transaction commits.

    The check exists to test the broker, so unlike other tasks (core.queue) a broker error is
    not left to a sweep: it is raised, as an ApplicationError, once the check is recorded."""
    from core.tasks import complete_worker_check

    check = WorkerCheck.objects.create(origin=origin, requested_by=requested_by)

    def send() -> None:
        try:
            complete_worker_check.delay(check.pk)
        except Exception as error:
            logger.warning("worker check %s not queued: %r", check.pk, error)
            raise ApplicationError(
                _(
                    "Test task #%(id)s could not be queued: the broker did not take it, so no "
                    "worker will run it."
                )
                % {"id": check.pk}
            ) from error

    transaction.on_commit(send)
    return check


def worker_check_complete(*, check_id: int, worker: str) -> bool:
    """Mark the check done by `worker`. Idempotent: only the first completion counts."""
    updated = WorkerCheck.objects.filter(pk=check_id, completed_at__isnull=True).update(
        completed_at=timezone.now(), worker=worker[:255]
    )
    return updated == 1


@transaction.atomic
def worker_heartbeat_record(*, worker: str) -> WorkerCheck:
    """Record that `worker` ran the scheduled heartbeat, and prune old checks."""
    now = timezone.now()
    check = WorkerCheck.objects.create(
        origin=WorkerCheckOrigin.BEAT, completed_at=now, worker=worker[:255]
    )
    WorkerCheck.objects.filter(requested_at__lt=now - settings.WORKER_CHECK_RETENTION).delete()
    return check


def outbox_enqueue(
    *,
    to: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    headers: dict | None = None,
    attachments: list[dict] | None = None,
    reference: str = "",
) -> OutboxEmail:
    """Write an email to the outbox in the caller's transaction; it is sent after commit.

    If the broker cannot take the send task, the outbox sweep sends the email later: the
    caller's change never fails because of email.
    """
    email = OutboxEmail.objects.create(
        to=to,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        headers=headers or {},
        attachments=attachments or [],
        reference=reference[:100],
    )
    _enqueue_send(email.pk)
    return email


def _enqueue_send(email_id: int) -> None:
    from core.tasks import send_outbox_email

    enqueue_on_commit(send_outbox_email, email_id)


def outbox_claim(*, email_id: int, now=None) -> bool:
    """Claim a due email for sending. Only one worker wins; a claim older than
    OUTBOX_CLAIM_TIMEOUT (a worker that died mid-send) can be taken over."""
    now = now or timezone.now()
    stale = now - settings.OUTBOX_CLAIM_TIMEOUT
    claimed = (
        OutboxEmail.objects.filter(pk=email_id, next_attempt_at__lte=now)
        .filter(
            Q(status=OutboxStatus.PENDING) | Q(status=OutboxStatus.SENDING, claimed_at__lt=stale)
        )
        .update(status=OutboxStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    )
    return claimed == 1


def outbox_mark_sent(*, email_id: int) -> None:
    """Record the send; files made only for this email (marked "delete_after_send") go."""
    marked = OutboxEmail.objects.filter(pk=email_id, status=OutboxStatus.SENDING).update(
        status=OutboxStatus.SENT, sent_at=timezone.now(), last_error=""
    )
    if not marked:
        return
    from django.core.files.storage import default_storage

    attachments = OutboxEmail.objects.filter(pk=email_id).values_list("attachments", flat=True)
    for attachment in attachments.first() or []:
        if attachment.get("delete_after_send"):
            default_storage.delete(attachment["path"])


def outbox_mark_failed(*, email_id: int, error: str, permanent: bool) -> OutboxEmail:
    """Record a failed attempt: retry later with backoff, or give up on a permanent error or
    after OUTBOX_MAX_ATTEMPTS."""
    email = OutboxEmail.objects.get(pk=email_id)
    give_up = permanent or email.attempts >= settings.OUTBOX_MAX_ATTEMPTS
    delay = min(
        settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** max(email.attempts - 1, 0),
        settings.OUTBOX_RETRY_MAX_SECONDS,
    )
    email.status = OutboxStatus.FAILED if give_up else OutboxStatus.PENDING
    email.next_attempt_at = timezone.now() + timedelta(seconds=delay)
    email.last_error = error[:2000]
    email.claimed_at = None
    email.save(update_fields=["status", "next_attempt_at", "last_error", "claimed_at"])
    return email


def outbox_retry(*, email: OutboxEmail) -> None:
    """Staff send a permanently failed email again (after fixing the address, say)."""
    OutboxEmail.objects.filter(pk=email.pk, status=OutboxStatus.FAILED).update(
        status=OutboxStatus.PENDING, next_attempt_at=timezone.now(), attempts=0
    )
    _enqueue_send(email.pk)


def notice_claim(*, key: str, category: str, superseded: bool = False, recipients: int = 0) -> bool:
    """Claim the notice `key` inside the caller's transaction. True for the one caller that
    inserts it; False if it exists (sent before, or by a concurrent sweep)."""
    try:
        with transaction.atomic():
            SentNotice.objects.create(
                key=key[:200], category=category, superseded=superseded, recipients=recipients
            )
    except IntegrityError:
        return False
    return True
