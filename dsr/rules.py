"""What a case, a task and an export may do next: the one place that decides it.

Each rule is a pure function of the rows as they are (and of today) that returns None when the
step is allowed, or the reason it is not, in words for staff. The services refuse with that
reason (core.errors.require), and the admin offers a button only where the rule returns None,
so a button is never shown for a step its service would refuse, nor refused with other words.
"""

from collections.abc import Callable
from datetime import date, datetime, timedelta

from django.conf import settings
from django.utils.translation import gettext as _

from core.choices import OutboxStatus
from dsr import deadlines
from dsr.choices import (
    CaseStatus,
    Channel,
    ConnectorKind,
    ExportStatus,
    Right,
    TaskKind,
    TaskStatus,
)

S = CaseStatus

# Which status may follow which. Extension is not a status: it changes the dates of an open
# case. Withdrawal is possible from every open status.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.RECEIVED: frozenset({S.AWAITING_IDENTITY, S.IN_PROGRESS, S.REFUSED, S.WITHDRAWN}),
    S.AWAITING_IDENTITY: frozenset({S.IN_PROGRESS, S.REFUSED, S.WITHDRAWN}),
    S.IN_PROGRESS: frozenset(
        {S.AWAITING_REQUESTER, S.COMPLETED, S.PARTIALLY_COMPLETED, S.REFUSED, S.WITHDRAWN}
    ),
    S.AWAITING_REQUESTER: frozenset({S.IN_PROGRESS, S.REFUSED, S.WITHDRAWN}),
}

# Access and portability are answered with an export, once identity is established.
EXPORTABLE_RIGHTS = (Right.ACCESS, Right.PORTABILITY)
EXPORTABLE_STATUSES = (
    S.IN_PROGRESS,
    S.AWAITING_REQUESTER,
    S.COMPLETED,
    S.PARTIALLY_COMPLETED,
)
EXPORT_RUNNING = (ExportStatus.QUEUED, ExportStatus.BUILDING)
# A request answered with its data: what an export is offered for.
ANSWERED_STATUSES = (S.COMPLETED, S.PARTIALLY_COMPLETED)


def _status(case) -> str:
    return str(S(case.status).label).lower()


# --- The status machine -----------------------------------------------------------------------


def allowed_transitions(case) -> frozenset[str]:
    return TRANSITIONS.get(case.status, frozenset())


def transition_blocker(case, to: str) -> str | None:
    if to in allowed_transitions(case):
        return None
    return _("Request %(reference)s is %(current)s; it cannot become %(target)s.") % {
        "reference": case.reference,
        "current": _status(case),
        "target": str(S(to).label).lower(),
    }


def start_blocker(case) -> str | None:
    """Starting a request from a known requester: only a newly received one."""
    if case.status != S.RECEIVED:
        return _("Only a newly received request can be started this way; verify identity instead.")
    return None


def verify_identity_blocker(case) -> str | None:
    if case.status not in (S.RECEIVED, S.AWAITING_IDENTITY):
        return _("Request %(reference)s is not waiting for identity.") % {
            "reference": case.reference
        }
    return None


def identity_failed_blocker(case) -> str | None:
    """ "Identity not established" answers a request whose requester was asked to prove who
    they are (Art. 11(2), 12(2)), never one in progress."""
    if case.status != S.AWAITING_IDENTITY:
        return _(
            "Request %(reference)s is %(status)s: only a request waiting for the requester's "
            "identity can be refused because it could not be established."
        ) % {"reference": case.reference, "status": _status(case)}
    return None


def resume_blocker(case) -> str | None:
    if case.status != S.AWAITING_REQUESTER:
        return _(
            "Request %(reference)s is not waiting for the requester; an identity check is "
            "finished by verifying the identity."
        ) % {"reference": case.reference}
    return None


def extension_last_day(case) -> date | None:
    """The last day the requester can still be told of an extension (Art. 12(3)), or None when
    the case cannot be extended at all (closed, or extended already)."""
    if not case.is_open or case.extended_due_date:
        return None
    return deadlines.extension_notice_deadline(case.due_date)


def extend_blocker(case, *, today: date) -> str | None:
    if not case.is_open:
        return _("A closed request cannot be extended.")
    if case.extended_due_date:
        return _("This request has already been extended.")
    last_day = extension_last_day(case)
    if today > last_day:
        return _(
            "The last day to notify an extension (%(date)s, the first due date) has passed, "
            "so it is no longer possible."
        ) % {"date": last_day.isoformat()}
    return None


def assign_blocker(case) -> str | None:
    if not case.is_open:
        return _("A closed request keeps the assignment it was answered under.")
    return None


def update_request_blocker(case) -> str | None:
    if not case.is_open:
        return _("A closed request keeps the details it was answered on.")
    return None


def requester_message_blocker(case) -> str | None:
    if not case.is_open:
        return _("This request is closed.")
    return None


# The steps of the case page, by the name of each one's URL: the rule that says why each is not
# possible now (the admin's steps read their blockers from here).
CASE_STEP_RULES: dict[str, Callable[..., str | None]] = {
    "start": lambda case, today: start_blocker(case),
    "verify-identity": lambda case, today: verify_identity_blocker(case),
    "request-identity": lambda case, today: transition_blocker(case, S.AWAITING_IDENTITY),
    "identity-failed": lambda case, today: identity_failed_blocker(case),
    "ask-requester": lambda case, today: transition_blocker(case, S.AWAITING_REQUESTER),
    "resume": lambda case, today: resume_blocker(case),
    "extend": lambda case, today: extend_blocker(case, today=today),
    "complete": lambda case, today: transition_blocker(case, S.COMPLETED),
    "refuse": lambda case, today: transition_blocker(case, S.REFUSED),
    "withdraw": lambda case, today: transition_blocker(case, S.WITHDRAWN),
    "assign": lambda case, today: assign_blocker(case),
    "add-note": lambda case, today: None,
}


def case_step_blocker(name: str, case, *, today: date) -> str | None:
    return CASE_STEP_RULES[name](case, today)


# --- Receipt ----------------------------------------------------------------------------------


def received_at_blocker(received_at: datetime, *, now: datetime) -> str | None:
    """A request is received now or earlier: clocks differ a little (DSR_CLOCK_SLACK)."""
    if received_at > now + settings.DSR_CLOCK_SLACK:
        return _("A request cannot be received in the future.")
    return None


def contact_blocker(*, channel: str, email: str, phone: str, address: str) -> str | None:
    """The requester can be answered: the form's address for self-service, else any contact."""
    if channel == Channel.SELF_SERVICE and not email:
        return _("A self-service request needs an email address.")
    if not (email or phone.strip() or address.strip()):
        return _("Give at least one way to reach the requester: email, phone or postal address.")
    return None


def done_at_blocker(done_at: datetime, *, now: datetime) -> str | None:
    if done_at > now + settings.DSR_CLOCK_SLACK:
        return _("The task cannot have been done in the future.")
    return None


# --- Fulfilment tasks -------------------------------------------------------------------------


def task_retry_blocker(case, task) -> str | None:
    """Trying a task again: a failed one, a webhook still unanswered, an Art. 19 notice not yet
    sent; never a manual task (its owner completes it with evidence)."""
    if not case.is_open:
        return _("The request is closed.")
    if task.kind == TaskKind.RECIPIENT_NOTICE:
        if task.status != TaskStatus.PENDING:
            return _("This notice is not waiting to be sent.")
        return None
    if task.connector_kind == ConnectorKind.MANUAL:
        return _("A manual task is completed by its owner, with evidence.")
    retryable = {TaskStatus.FAILED}
    if task.connector_kind == ConnectorKind.WEBHOOK:
        retryable.add(TaskStatus.WAITING)
    if task.status not in retryable:
        return _("Only a failed task, or a webhook still unanswered, can be tried again.")
    return None


def task_close_blocker(case, task) -> str | None:
    """Recording a task as done by hand or as not needed."""
    if not task.is_open:
        return _("This task is already %(status)s.") % {
            "status": str(task.get_status_display()).lower()
        }
    if task.status == TaskStatus.RUNNING:
        return _("This task is running now; wait for it to finish.")
    return None


# --- Exports ----------------------------------------------------------------------------------


def export_request_blocker(case) -> str | None:
    """Building an export: of an access or portability request, once identity is established.
    (Asking again while one is on its way gives that one: see export_on_its_way.)"""
    if case.right not in EXPORTABLE_RIGHTS:
        return _("Only access and portability requests have an export.")
    if case.status not in EXPORTABLE_STATUSES:
        return _("Verify the requester's identity before building an export.")
    return None


def export_on_its_way(jobs) -> bool:
    """An export of the case is queued or being built. `jobs`: the case's exports."""
    return any(job.status in EXPORT_RUNNING for job in jobs)


def export_build_blocker(case, jobs) -> str | None:
    """A first export of the case. `jobs`: the case's exports, newest first."""
    if jobs:
        return _("This request has an export: build a new one with “Regenerate”.")
    return export_request_blocker(case)


def export_regenerate_blocker(case, jobs) -> str | None:
    """A new export from the data as it is now, once the newest one has finished (a failed
    one is retried instead, so a request never has two exports on the way)."""
    if not jobs:
        return _("This request has no export yet: build one first.")
    if jobs[0].status not in (ExportStatus.READY, ExportStatus.EXPIRED):
        return _("Only a finished export can be regenerated; retry a failed one.")
    if export_on_its_way(jobs):
        return _("An export of this request is being built; wait for it to finish.")
    return export_request_blocker(case)


def export_new_blocker(case, jobs) -> str | None:
    """Whether another export of the case may be queued: the first, or a regeneration."""
    return export_regenerate_blocker(case, jobs) if jobs else export_build_blocker(case, jobs)


def export_retry_blocker(job, jobs) -> str | None:
    """Building a failed export again: only the newest, older ones are history."""
    if job is None or not jobs or jobs[0].pk != job.pk:
        return _("Only the newest export of a request can be built again.")
    if job.status != ExportStatus.FAILED:
        return _("Only a failed export can be retried.")
    return None


def export_offered_to_requester(job, *, now: datetime) -> bool:
    """The requester may download an export once staff have answered the request with it
    (staff may build and check one before), until it expires."""
    return (
        job.status == ExportStatus.READY
        and job.expires_at is not None
        and job.expires_at > now
        and job.case.status in ANSWERED_STATUSES
    )


def export_state_for_requester(job, *, now: datetime) -> str | None:
    """What an export is to the requester: "ready" (offered now), "expired" (it was offered
    and its time is over: its files are deleted, or about to be), "preparing" (built, the open
    request not yet answered), or None (not built, or never offered and never to be)."""
    if export_offered_to_requester(job, now=now):
        return "ready"
    case = job.case
    expired = job.status == ExportStatus.EXPIRED or (
        job.status == ExportStatus.READY and job.expires_at is not None and job.expires_at <= now
    )
    if expired:
        # Offered between the answer and the expiry; one that expired before the answer was
        # never downloadable, and saying it "has expired" would not be true.
        offered = (
            case.status in ANSWERED_STATUSES
            and case.closed_at is not None
            and job.expires_at is not None
            and case.closed_at < job.expires_at
        )
        return "expired" if offered else None
    if job.status == ExportStatus.READY and case.is_open:
        return "preparing"
    return None


# --- Letters ---------------------------------------------------------------------------------


def letter_to_print(letter) -> bool:
    """A letter without an email, or whose email failed for good, reaches the requester by
    post: staff print and send it."""
    return letter.outbox_id is None or letter.outbox.status == OutboxStatus.FAILED


# --- Reminders --------------------------------------------------------------------------------


def extension_reminder_due(case, *, today: date) -> bool:
    """Staff are reminded while an extension is still possible, in the last
    DSR_EXTENSION_REMINDER_DAYS days before it no longer is."""
    last_day = extension_last_day(case)
    return last_day is not None and today <= last_day <= today + timedelta(
        days=settings.DSR_EXTENSION_REMINDER_DAYS
    )
