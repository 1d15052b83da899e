"""The platform's reads: when a worker was last seen, which emails are due, the address of an
admin page for emails."""

from datetime import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Max, Model, Q
from django.urls import reverse
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


def admin_url(model: type[Model], view: str = "change", *args, query: dict | None = None) -> str:
    """The absolute address of an admin page of `model` ("change" with its pk, "changelist"
    with an optional query), for emails. Reversed by the model's app and name, so the link
    follows a model that moves to another app instead of going dead."""
    meta = model._meta
    path = reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)
    return f"{settings.SITE_URL}{path}" + (f"?{urlencode(query)}" if query else "")
