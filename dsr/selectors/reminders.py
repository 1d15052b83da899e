"""Which deadline reminders are due: to the assignee (or the team) before the target date and on
it, to the managers once the legal due date has passed, and while an extension is still
possible (dsr.rules.extension_reminder_due).

One case is judged in Python (reminders_for, when its reminders are claimed); the sweep's
select step asks the same in one query (cases_needing_reminders), from the same dates: the
extension's last day is the first due date (dsr.deadlines.extension_notice_deadline), the
column `due_date` of a case not extended.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Case, CharField, Exists, OuterRef, Q, Value, When
from django.db.models.functions import Cast, Concat

from core.models import SentNotice
from dsr import rules
from dsr.choices import FINAL_STATUSES
from dsr.models import DsrCase

CATEGORY = "case_reminder"


ESCALATION = "escalation"


EXTENSION_WINDOW = "extension-window"


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
    if rules.extension_reminder_due(case, today=today) and EXTENSION_WINDOW not in already:
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


def reminder_key(case_id: int, kind: str) -> str:
    return f"case:{case_id}:{kind}"


def reminder_kinds() -> list[str]:
    """Every kind of reminder a case can have, as the settings define the lead times."""
    leads = sorted({*settings.DSR_REMINDER_LEAD_DAYS, 0}, reverse=True)
    return [*(lead_kind(lead) for lead in leads), ESCALATION, EXTENSION_WINDOW]


def _unclaimed(kind) -> Exists:
    """No claim yet of the reminder `kind` (a value, or a reference to an annotation) for the
    case of the outer query: looked up by its exact key."""
    key = Concat(
        Value("case:"),
        Cast(OuterRef("pk"), CharField()),
        Value(":"),
        kind,
        output_field=CharField(),
    )
    return ~Exists(SentNotice.objects.filter(key=key))


def cases_needing_reminders(today: date) -> list[int]:
    """Ids of the open cases that have a reminder due today and not yet claimed: the sweep's
    select step, one query. The most urgent lead-time reminder, the escalation and the
    extension-window reminder are computed in SQL from the dates, as reminders_for() does, and
    each is looked up among the claims by its exact key (the unique index); a case whose due
    reminders were all claimed on earlier days (an overdue case already escalated) drops out
    here instead of being locked and read again."""
    leads = sorted({*settings.DSR_REMINDER_LEAD_DAYS, 0})
    urgent = Case(
        *(
            When(target_date__lte=today + timedelta(days=lead), then=Value(lead_kind(lead)))
            for lead in leads
        ),
        default=Value(None),
        output_field=CharField(),
    )
    escalation = Q(extended_due_date__lt=today) | Q(
        extended_due_date__isnull=True, due_date__lt=today
    )
    # rules.extension_reminder_due, over the columns: open and not extended, its last day
    # (the first due date) within the window.
    extension = Q(
        extended_due_date__isnull=True,
        due_date__gte=today,
        due_date__lte=today + timedelta(days=settings.DSR_EXTENSION_REMINDER_DAYS),
    )
    return list(
        cases_with_reminders_due(today)
        .alias(_urgent=urgent)
        .alias(
            _urgent_missing=_unclaimed(OuterRef("_urgent")),
            _escalation_missing=_unclaimed(Value(ESCALATION)),
            _extension_missing=_unclaimed(Value(EXTENSION_WINDOW)),
        )
        .filter(
            Q(_urgent__isnull=False, _urgent_missing=True)
            | (escalation & Q(_escalation_missing=True))
            | (extension & Q(_extension_missing=True))
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
