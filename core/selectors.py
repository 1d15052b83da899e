"""The platform's reads: when a worker was last seen, which emails are due."""

from datetime import datetime

from django.conf import settings
from django.db.models import Max, Q
from django.utils import timezone

from core.choices import OutboxStatus
from core.models import OutboxEmail, WorkerCheck


def worker_last_seen() -> datetime | None:
    """When a worker last completed a check or heartbeat, or None if never."""
    return WorkerCheck.objects.aggregate(last=Max("completed_at"))["last"]


def outbox_due_ids(*, limit: int) -> list[int]:
    """Emails ready for an attempt: pending and due, or claimed by a worker that died."""
    now = timezone.now()
    stale = now - settings.OUTBOX_CLAIM_TIMEOUT
    return list(
        OutboxEmail.objects.filter(next_attempt_at__lte=now)
        .filter(
            Q(status=OutboxStatus.PENDING) | Q(status=OutboxStatus.SENDING, claimed_at__lt=stale)
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
