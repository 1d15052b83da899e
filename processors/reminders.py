"""Review reminders: agreements and transfers coming due, and sub-processor changes whose
objection deadline approaches. Each item is claimed once per due date (core.SentNotice),
and the newly claimed items of a sweep go to the team in one email."""

from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from accounts.roles import Role
from accounts.selectors import emails_of, staff_with_role
from core.selectors import admin_url
from core.services import notice_claim, outbox_enqueue
from processors.choices import SubprocessorDecision
from processors.models import ProcessorAgreement, SubprocessorChange, Transfer

CATEGORY = "review_reminder"


def _items(today: date) -> list[tuple[str, str]]:
    """(key, line) for every item due within its window, claimed or not."""
    window = today + timedelta(days=settings.REVIEW_REMINDER_DAYS)
    objection_window = today + timedelta(days=settings.OBJECTION_REMINDER_DAYS)
    items = []
    for agreement in ProcessorAgreement.objects.filter(
        Q(review_due_on__lte=window) | Q(ends_on__lte=window), processor__is_active=True
    ).select_related("processor"):
        if agreement.review_due_on and agreement.review_due_on <= window:
            items.append(
                (
                    f"agreement:{agreement.pk}:review:{agreement.review_due_on}",
                    _("Agreement review due %(date)s: %(agreement)s %(url)s")
                    % {
                        "date": agreement.review_due_on,
                        "agreement": agreement,
                        "url": admin_url(ProcessorAgreement, "change", agreement.pk),
                    },
                )
            )
        if agreement.ends_on and agreement.ends_on <= window:
            items.append(
                (
                    f"agreement:{agreement.pk}:ends:{agreement.ends_on}",
                    _("Agreement ends %(date)s: %(agreement)s %(url)s")
                    % {
                        "date": agreement.ends_on,
                        "agreement": agreement,
                        "url": admin_url(ProcessorAgreement, "change", agreement.pk),
                    },
                )
            )
    for transfer in Transfer.objects.filter(
        is_active=True, next_review_on__lte=window
    ).select_related("importer", "destination"):
        items.append(
            (
                f"transfer:{transfer.pk}:review:{transfer.next_review_on}",
                _(
                    "Transfer impact assessment and safeguard due for review %(date)s: "
                    "%(transfer)s (%(mechanism)s) %(url)s"
                )
                % {
                    "date": transfer.next_review_on,
                    "transfer": transfer,
                    "mechanism": transfer.get_mechanism_display(),
                    "url": admin_url(Transfer, "change", transfer.pk),
                },
            )
        )
    for change in SubprocessorChange.objects.filter(
        decision=SubprocessorDecision.PENDING, objection_deadline__lte=objection_window
    ).select_related("processor", "subprocessor"):
        items.append(
            (
                f"subprocessor-change:{change.pk}:deadline:{change.objection_deadline}",
                _(
                    "Objection deadline %(date)s for the announced sub-processor change: "
                    "%(change)s %(url)s"
                )
                % {
                    "date": change.objection_deadline,
                    "change": change,
                    "url": admin_url(SubprocessorChange, "change", change.pk),
                },
            )
        )
    return items


@transaction.atomic
def review_reminders_send(*, today: date | None = None) -> int:
    """Claim the review items that are due and not yet reminded, and email them in one list.
    Returns how many items were new."""
    today = today or timezone.localdate()
    recipients = (
        [settings.PRIVACY_TEAM_EMAIL]
        if settings.PRIVACY_TEAM_EMAIL
        else emails_of(staff_with_role(Role.PRIVACY_OFFICER))
    )
    with override(settings.LANGUAGE_CODE):
        fresh = [
            line
            for key, line in _items(today)
            if notice_claim(key=key, category=CATEGORY, recipients=len(recipients))
        ]
        if fresh and recipients:
            subject = _("Register reviews coming due: %(count)d") % {"count": len(fresh)}
            body = (
                _("These are due within the next days:")
                + "\n\n"
                + "\n".join(f"- {line}" for line in fresh)
            )
            for address in recipients:
                outbox_enqueue(
                    to=address, subject=subject, body_text=body + "\n", reference="reviews"
                )
    return len(fresh)
