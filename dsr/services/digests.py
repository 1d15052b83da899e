"""Sending the managers' digests: each due period once, claimed as a SentNotice in the
transaction that writes its email (which digests are due and what they say: dsr.selectors.digests,
dsr.emails)."""

import uuid
from datetime import datetime

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from accounts.models import DigestSubscription
from core.models import OutboxEmail, SentNotice
from core.services import notice_claim, outbox_enqueue
from dsr import deadlines
from dsr.emails import digest_compose
from dsr.selectors.digests import CATEGORY, claim_key, digest_figures, period_due, period_preview


def digest_send(
    *, subscription: DigestSubscription, now: datetime | None = None, preview: bool = False
) -> OutboxEmail | None:
    """Write one subscriber's digest to the outbox, with its chart as an inline PNG (stored in
    default storage under digests/).

    Not a preview: the period is the latest due at `now`, claimed as a SentNotice in the
    transaction that writes the email, so a second call (a retry, a second beat) writes
    nothing and returns None. A preview covers the period ending `now` and claims nothing.
    """
    now = now or timezone.now()
    period = period_preview(subscription, now) if preview else period_due(subscription, now)
    key = claim_key(subscription, period)
    # A cheap look before computing the figures; the claim below is what decides.
    if not preview and SentNotice.objects.filter(key=key).exists():
        return None
    figures = digest_figures(
        start=period.start,
        end=period.end,
        previous_start=period.previous_start,
        today=deadlines.local_received_date(now),
    )
    message = digest_compose(
        subscription=subscription, period=period, figures=figures, preview=preview
    )
    path = default_storage.save(
        f"digests/{period.first_day:%Y/%m}/{uuid.uuid4().hex}.png",
        ContentFile(message.chart_png),
    )
    with transaction.atomic():
        if preview or notice_claim(key=key, category=CATEGORY, recipients=1):
            return outbox_enqueue(
                to=subscription.user.email,
                subject=message.subject,
                body_text=message.text,
                body_html=message.html,
                headers={"Auto-Submitted": "auto-generated"},
                attachments=[
                    {
                        "name": "trend.png",
                        "path": path,
                        "content_type": "image/png",
                        "content_id": message.chart_cid,
                        "inline": True,
                        "delete_after_send": True,
                    }
                ],
                reference=key if not preview else f"digest:{subscription.pk}:preview",
            )
    default_storage.delete(path)
    return None
