"""Sending deadline reminders (which are due: dsr.selectors.reminders).

Exactly once per (case, kind): a reminder is claimed as a SentNotice row with a unique key in
the same transaction that writes its emails to the outbox, so a retry, a second beat or a
killed worker can neither repeat nor lose one. The sweep selects every case that has a
reminder due and not yet claimed, so after a day without beat it catches up.
"""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from accounts.roles import Role
from accounts.selectors import emails_of, staff_with_role
from core.models import SentNotice
from core.services import outbox_enqueue
from dsr import deadlines, rules
from dsr.choices import FINAL_STATUSES
from dsr.models import DsrCase
from dsr.selectors.digests import case_admin_url
from dsr.selectors.reminders import (
    CATEGORY,
    ESCALATION,
    EXTENSION_WINDOW,
    reminder_key,
    reminders_for,
)

# Cases claimed in one transaction (and one task): a day's reminders of 200,000 cases.
CHUNK = 1000


class _Recipients:
    """Who gets each reminder; the managers and the team are looked up once per sweep chunk."""

    def __init__(self):
        self.by_role: dict[Role, list[str]] = {}

    def role(self, role: Role) -> list[str]:
        if role not in self.by_role:
            self.by_role[role] = emails_of(staff_with_role(role))
        return self.by_role[role]

    def __call__(self, case: DsrCase, kind: str) -> list[str]:
        if kind == ESCALATION:
            managers = self.role(Role.MANAGER)
            if managers:
                return managers
        if case.assignee_id and case.assignee.email and kind != ESCALATION:
            return [case.assignee.email]
        if settings.PRIVACY_TEAM_EMAIL:
            return [settings.PRIVACY_TEAM_EMAIL]
        return self.role(Role.PRIVACY_OFFICER)


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
        "url": case_admin_url(case.pk),
    }
    if kind == ESCALATION:
        subject = _("[%(reference)s] Overdue by %(overdue)d day(s): the legal deadline passed")
        body = _(
            "Request %(reference)s (%(right)s) was due by law on %(due)s and is still open "
            "(%(status)s). Answer it now, or record why it is late.\n\n%(url)s"
        )
    elif kind == EXTENSION_WINDOW:
        # The last day rules.extend_blocker allows, that day included: one rule, not a
        # second reading of the due date.
        values["last_day"] = rules.extension_last_day(case).isoformat()
        subject = _("[%(reference)s] Last days to extend: possible until %(last_day)s")
        body = _(
            "Request %(reference)s (%(right)s) is due on %(first_due)s. If it needs more time, "
            "it can be extended until %(last_day)s, that day included: the requester must be "
            "told of the extension and its reasons by then (Art. 12(3)). After that day an "
            "extension is no longer possible.\n\n%(url)s"
        )
    else:
        subject = _("[%(reference)s] Target date %(when)s: %(right)s")
        body = _(
            "Request %(reference)s (%(right)s) has its target date %(target)s (%(when)s); the "
            "legal due date is %(due)s. Status: %(status)s.\n\n%(url)s"
        )
    return subject % values, body % values


REMINDER_FIELDS = (
    "reference",
    "right",
    "status",
    "target_date",
    "due_date",
    "extended_due_date",
    "assignee",
    "assignee__email",
)


@dataclass(frozen=True)
class Claimed:
    case: DsrCase
    kind: str
    recipients: list[str]


def _notices_insert(rows: list[tuple]) -> set[str]:
    """Claim (key, category, created_at, superseded, recipients) rows in one statement; the
    keys that were not claimed before are returned: ON CONFLICT DO NOTHING skips the others,
    so of two sweeps claiming at once each key goes to exactly one."""
    table = SentNotice._meta.db_table
    columns = "(key, category, created_at, superseded, recipients)"
    conflict = "ON CONFLICT (key) DO NOTHING RETURNING key"
    if not rows:
        return set()
    with connection.cursor() as cursor:
        # Five arrays, not thousands of parameters: one short statement to parse.
        cursor.execute(
            f"INSERT INTO {table} {columns} SELECT * FROM unnest(%s::varchar[], "  # noqa: S608
            f"%s::varchar[], %s::timestamptz[], %s::boolean[], %s::integer[]) {conflict}",
            [list(column) for column in zip(*rows, strict=True)],
        )
        return {row[0] for row in cursor.fetchall()}


def reminders_claim(*, case_ids: list[int], today: date) -> list[Claimed]:
    """Claim, in the caller's transaction, the reminders of these cases that are due today.

    Set-based: the open cases are locked (one query) and every reminder due today is
    inserted as a claim in one statement that skips the keys already claimed (ON CONFLICT DO
    NOTHING) and returns the others: those are this caller's, and no reminder is claimed
    twice, whatever runs at the same time. Returns the claims to send; superseded ones are
    claimed and not returned.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("reminders_claim must run inside a transaction")
    cases = list(
        DsrCase.objects.select_for_update(of=("self",))
        .select_related("assignee")
        # What a reminder says and who gets it; no encrypted column to decrypt.
        .only(*REMINDER_FIELDS)
        .filter(pk__in=case_ids)
        .exclude(status__in=sorted(FINAL_STATUSES))
        .order_by("pk")
    )
    recipients_of = _Recipients()
    now = timezone.now()
    notices, candidates = [], {}
    for case in cases:
        # Everything due today, claimed or not: the INSERT below keeps what is new.
        due = reminders_for(case, today, set())
        for kind in due.supersede:
            notices.append((reminder_key(case.pk, kind), CATEGORY, now, True, 0))
        for kind in due.send:
            recipients = recipients_of(case, kind)
            notices.append((reminder_key(case.pk, kind), CATEGORY, now, False, len(recipients)))
            candidates[reminder_key(case.pk, kind)] = Claimed(
                case=case, kind=kind, recipients=recipients
            )
    won = _notices_insert(notices)
    to_send = [claim for key, claim in candidates.items() if key in won]
    return to_send


def reminders_queue(*, claimed: list[Claimed], today: date) -> None:
    """Write the claimed reminders' emails to the outbox, in the claim's transaction."""
    with override(settings.LANGUAGE_CODE):
        for claim in claimed:
            subject, body = _message(claim.case, claim.kind, today)
            for address in claim.recipients:
                outbox_enqueue(
                    to=address, subject=subject, body_text=body, reference=claim.case.reference
                )


@transaction.atomic
def reminders_send(*, case_ids: list[int], today: date | None = None) -> dict[int, list[str]]:
    """Claim and queue the due reminders of these cases in one transaction. Returns the kinds
    sent per case. Idempotent: a claimed reminder is never claimed again."""
    today = today or deadlines.today()
    claimed = reminders_claim(case_ids=case_ids, today=today)
    reminders_queue(claimed=claimed, today=today)
    sent: dict[int, list[str]] = {}
    for claim in claimed:
        sent.setdefault(claim.case.pk, []).append(claim.kind)
    return sent


def case_reminders_send(*, case_id: int, today: date | None = None) -> list[str]:
    """Claim and queue the reminders of one case that are due. Returns the kinds sent."""
    return reminders_send(case_ids=[case_id], today=today).get(case_id, [])
