"""Deadline reminders: to the assignee (or the team) before the target date and on it, to the
managers once the legal due date has passed, and while an extension is still possible.

Exactly once per (case, kind): a reminder is claimed as a SentNotice row with a unique key in
the same transaction that writes its emails to the outbox, so a retry, a second beat or a
killed worker can neither repeat nor lose one. The sweep selects every case that has a
reminder due and not yet claimed, so after a day without beat it catches up.
"""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from accounts.roles import Role
from accounts.selectors import emails_of, staff_with_role
from dsr import deadlines
from dsr.choices import FINAL_STATUSES
from dsr.models import DsrCase
from privacy.models import SentNotice
from privacy.services import notice_claim, outbox_enqueue

CATEGORY = "case_reminder"
ESCALATION = "escalation"
EXTENSION_WINDOW = "extension-window"


def today_local() -> date:
    return deadlines.local_received_date(timezone.now())


def lead_kind(days: int) -> str:
    return f"target-{days}"


@dataclass(frozen=True)
class DueReminders:
    send: list[str]
    supersede: list[str]


def reminders_for(case: DsrCase, today: date, already: set[str]) -> DueReminders:
    """Which reminders of `case` are due today and not yet claimed. Of several lead-time
    reminders due at once (beat was down), only the most urgent is sent."""
    send, supersede = [], []
    days_left = (case.target_date - today).days
    leads = sorted({*settings.DSR_REMINDER_LEAD_DAYS, 0}, reverse=True)
    due_leads = [lead for lead in leads if days_left <= lead]
    if due_leads:
        urgent = lead_kind(due_leads[-1])
        if urgent not in already:
            send.append(urgent)
        supersede += [lead_kind(lead) for lead in due_leads[:-1] if lead_kind(lead) not in already]
    if case.effective_due_date < today and ESCALATION not in already:
        send.append(ESCALATION)
    window = (case.due_date - today).days
    if (
        case.extended_due_date is None
        and 0 <= window <= settings.DSR_EXTENSION_REMINDER_DAYS
        and EXTENSION_WINDOW not in already
    ):
        send.append(EXTENSION_WINDOW)
    return DueReminders(send=send, supersede=supersede)


def cases_with_reminders_due(today: date):
    """Open cases inside any reminder window: one indexed query over open work."""
    horizon = max([*settings.DSR_REMINDER_LEAD_DAYS, 0])
    return DsrCase.objects.exclude(status__in=sorted(FINAL_STATUSES)).filter(
        Q(target_date__lte=today.fromordinal(today.toordinal() + horizon))
        | Q(
            extended_due_date__isnull=True,
            due_date__lte=today.fromordinal(
                today.toordinal() + settings.DSR_EXTENSION_REMINDER_DAYS
            ),
        )
    )


def _key(case_id: int, kind: str) -> str:
    return f"case:{case_id}:{kind}"


def _recipients(case: DsrCase, kind: str) -> list[str]:
    if kind == ESCALATION:
        managers = emails_of(staff_with_role(Role.MANAGER))
        if managers:
            return managers
    if case.assignee_id and case.assignee.email and kind != ESCALATION:
        return [case.assignee.email]
    if settings.PRIVACY_TEAM_EMAIL:
        return [settings.PRIVACY_TEAM_EMAIL]
    return emails_of(staff_with_role(Role.PRIVACY_OFFICER))


def _when(days: int) -> str:
    if days == 0:
        return _("today")
    if days < 0:
        return _("%(days)d day(s) ago") % {"days": -days}
    return _("in %(days)d day(s)") % {"days": days}


def _message(case: DsrCase, kind: str, today: date) -> tuple[str, str]:
    values = {
        "reference": case.reference,
        "right": case.get_right_display(),
        "due": case.effective_due_date.isoformat(),
        "first_due": case.due_date.isoformat(),
        "target": case.target_date.isoformat(),
        "when": _when((case.target_date - today).days),
        "overdue": (today - case.effective_due_date).days,
        "status": case.get_status_display(),
        "url": f"{settings.SITE_URL}/admin/dsr/dsrcase/{case.pk}/change/",
    }
    if kind == ESCALATION:
        subject = _("[%(reference)s] Overdue by %(overdue)d day(s): the legal deadline passed")
        body = _(
            "Request %(reference)s (%(right)s) was due by law on %(due)s and is still open "
            "(%(status)s). Answer it now, or record why it is late.\n\n%(url)s"
        )
    elif kind == EXTENSION_WINDOW:
        subject = _("[%(reference)s] Last days to extend: first due date %(first_due)s")
        body = _(
            "Request %(reference)s (%(right)s) is due on %(first_due)s. If it needs more time, "
            "the requester must be told of the extension and its reason before then "
            "(Art. 12(3)); after that date an extension is no longer possible.\n\n%(url)s"
        )
    else:
        subject = _("[%(reference)s] Target date %(when)s: %(right)s")
        body = _(
            "Request %(reference)s (%(right)s) has its target date %(target)s (%(when)s); the "
            "legal due date is %(due)s. Status: %(status)s.\n\n%(url)s"
        )
    return subject % values, body % values


@transaction.atomic
def case_reminders_send(*, case_id: int, today: date | None = None) -> list[str]:
    """Claim and queue the reminders of one case that are due. Returns the kinds sent."""
    today = today or today_local()
    case = (
        DsrCase.objects.select_for_update(of=("self",))
        .select_related("assignee")
        .filter(pk=case_id)
        .first()
    )
    if case is None or case.status in FINAL_STATUSES:
        return []
    kinds = [lead_kind(lead) for lead in {*settings.DSR_REMINDER_LEAD_DAYS, 0}]
    kinds += [ESCALATION, EXTENSION_WINDOW]
    # Exact keys, not a prefix: an index lookup whatever the database's collation.
    prefix = f"case:{case.pk}:"
    already = {
        key.removeprefix(prefix)
        for key in SentNotice.objects.filter(
            key__in=[_key(case.pk, kind) for kind in kinds]
        ).values_list("key", flat=True)
    }
    due = reminders_for(case, today, already)
    for kind in due.supersede:
        notice_claim(key=_key(case.pk, kind), category=CATEGORY, superseded=True)
    sent = []
    with override(settings.LANGUAGE_CODE):
        for kind in due.send:
            recipients = _recipients(case, kind)
            if not notice_claim(
                key=_key(case.pk, kind), category=CATEGORY, recipients=len(recipients)
            ):
                continue
            subject, body = _message(case, kind, today)
            for address in recipients:
                outbox_enqueue(
                    to=address, subject=subject, body_text=body, reference=case.reference
                )
            sent.append(kind)
    return sent
