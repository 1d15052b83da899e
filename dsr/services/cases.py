"""A case's life: receipt, identity, pauses, extension, assignment and closing.

Which status may follow which is decided here (TRANSITIONS) and nowhere else; every change
writes exactly one CaseEvent for the transition (plus events for what it caused, such as a
letter), and the dates come from dsr.deadlines.
"""

import hashlib
import json
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import crypto
from core.errors import ApplicationError
from core.identifiers import normalise_email
from dsr import deadlines
from dsr.choices import (
    FINAL_STATUSES,
    REFUSAL_BASES_NEEDING_JUSTIFICATION,
    CaseStatus,
    Channel,
    EventKind,
    IdentityMethod,
    IdentityStatus,
    LetterKind,
    PauseReason,
    RefusalBasis,
    Right,
)
from dsr.models import (
    CaseEvent,
    CasePause,
    DsrCase,
    ReferenceCounter,
    Submission,
    VerificationToken,
)
from dsr.services.letters import letter_send
from privacy import selectors as privacy_selectors

S = CaseStatus
logger = logging.getLogger(__name__)

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


class VerificationLinkError(ApplicationError):
    """The link does not exist, was used, or has expired (the page offers a new one)."""

    def __init__(self, message: str, *, reason: str, submission: Submission | None = None):
        super().__init__(message)
        self.reason = reason
        self.submission = submission


# --- Events and transitions -----------------------------------------------------------------


def event_record(
    *,
    case: DsrCase,
    kind: str,
    actor=None,
    note: str = "",
    from_status: str = "",
    to_status: str = "",
    at: datetime | None = None,
) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        kind=kind,
        actor=actor,
        note=note,
        from_status=from_status,
        to_status=to_status,
        at=at or timezone.now(),
    )


def allowed_transitions(case: DsrCase) -> frozenset[str]:
    return TRANSITIONS.get(case.status, frozenset())


def _lock(case: DsrCase) -> DsrCase:
    """Re-read the case under a row lock: two staff acting at once cannot both transition it."""
    return DsrCase.objects.select_for_update().select_related("submission").get(pk=case.pk)


def _transition(case: DsrCase, to: str, *, actor=None, note: str = "", **fields) -> DsrCase:
    """Move `case` (already locked) to `to`, or raise ApplicationError with a clear message."""
    if to not in allowed_transitions(case):
        raise ApplicationError(
            _("Request %(reference)s is %(current)s; it cannot become %(target)s.")
            % {
                "reference": case.reference,
                "current": str(S(case.status).label).lower(),
                "target": str(S(to).label).lower(),
            }
        )
    from_status = case.status
    case.status = to
    for name, value in fields.items():
        setattr(case, name, value)
    if to in FINAL_STATUSES:
        case.closed_at = timezone.now()
        _end_pause(case, actor=actor)
        _close_open_tasks(case, actor=actor)
    case.save()
    event_record(
        case=case,
        kind=EventKind.STATUS,
        actor=actor,
        note=note,
        from_status=from_status,
        to_status=to,
    )
    return case


def _close_open_tasks(case: DsrCase, *, actor) -> None:
    """A closed case needs nothing more from its systems: open tasks become "not needed"
    (case_complete has already required a recorded reason for them)."""
    from dsr.choices import OPEN_TASK_STATUSES, TaskStatus

    still_open = list(case.tasks.filter(status__in=sorted(OPEN_TASK_STATUSES)))
    if not still_open:
        return
    case.tasks.filter(pk__in=[t.pk for t in still_open]).update(
        status=TaskStatus.SKIPPED, updated_at=timezone.now()
    )
    event_record(
        case=case,
        kind=EventKind.TASK,
        actor=actor,
        note=_("Closed with the case, not needed: %(tasks)s.")
        % {"tasks": ", ".join(str(t.system or t.recipient) for t in still_open)},
    )


# --- Receipt --------------------------------------------------------------------------------


@dataclass
class RequestedRight:
    right: str
    details: str = ""
    rectification_content: str = ""


@dataclass
class ReceiptInput:
    channel: str
    rights: list[RequestedRight]
    requester_email: str = ""
    requester_name: str = ""
    requester_phone: str = ""
    requester_address: str = ""
    language: str = "en"
    message: str = ""
    received_at: datetime | None = None
    extra: dict = field(default_factory=dict)


_COUNTER_SQL = """
INSERT INTO {table} (year, last_number) VALUES (%s, %s)
ON CONFLICT (year) DO UPDATE SET last_number = {table}.last_number + EXCLUDED.last_number
RETURNING last_number
"""


def references_next(year: int, count: int = 1) -> list[str]:
    """The next `count` human references of `year`, e.g. DSR-2026-000123, in one statement;
    gap-free under concurrency because the counter row stays locked until the transaction
    ends (an insert of the year's row, or an update of it, returning the new last number)."""
    with connection.cursor() as cursor:
        cursor.execute(_COUNTER_SQL.format(table=ReferenceCounter._meta.db_table), [year, count])
        last = cursor.fetchone()[0]
    return [f"DSR-{year}-{number:06d}" for number in range(last - count + 1, last + 1)]


def reference_next(year: int) -> str:
    """The next human reference of `year` (see references_next)."""
    return references_next(year)[0]


def _dates(received_at: datetime, paused_days: int = 0) -> dict:
    return {
        "target_date": deadlines.target_date(received_at, paused_days=paused_days),
        "due_date": deadlines.due_date(received_at, paused_days=paused_days),
    }


def _checked(data: ReceiptInput) -> tuple[str, datetime]:
    """The normalised address and the moment of receipt, or ApplicationError."""
    if not data.rights:
        raise ApplicationError(_("Choose at least one right."))
    if len({r.right for r in data.rights}) != len(data.rights):
        raise ApplicationError(_("Each right is listed once."))
    for requested in data.rights:
        if requested.right not in Right.values:
            raise ApplicationError(_("Unknown right: %(right)s") % {"right": requested.right})
        if requested.right == Right.RECTIFICATION and not requested.rectification_content.strip():
            raise ApplicationError(_("Say what should be corrected, and how."))
    email = normalise_email(data.requester_email) if data.requester_email else ""
    if data.channel == Channel.SELF_SERVICE and not email:
        raise ApplicationError(_("A self-service request needs an email address."))
    received_at = data.received_at or timezone.now()
    if received_at > timezone.now() + timedelta(minutes=5):
        raise ApplicationError(_("A request cannot be received in the future."))
    return email, received_at


def _submission_write(
    data: ReceiptInput, *, email: str, received_at: datetime, actor, intake: str = ""
) -> Submission:
    status_token = secrets.token_urlsafe(32)
    return Submission.objects.create(
        status_token=status_token,
        status_token_hash=_token_hash(status_token),
        channel=data.channel,
        received_at=received_at,
        language=data.language,
        requester_name=data.requester_name.strip(),
        requester_email=email,
        requester_email_hash=crypto.keyed_hash(email) if email else "",
        requester_phone=data.requester_phone.strip(),
        requester_address=data.requester_address.strip(),
        message=data.message,
        intake=intake,
        created_by=actor,
    )


@transaction.atomic
def submission_receive(*, data: ReceiptInput, actor=None) -> Submission:
    """Register a request: one case per right, dated, matched to a data subject when the
    address is known, with its first events and its first letter in the outbox.

    Self-service requests wait for the emailed confirmation link; requests entered by staff
    are acknowledged at once. Known address or not, the requester gets the same letter.
    """
    email, received_at = _checked(data)
    submission = _submission_write(data, email=email, received_at=received_at, actor=actor)
    _register(submission, data.rights, actor=actor)
    return submission


def submission_intake(*, data: ReceiptInput) -> Submission:
    """Write down a self-service request, to be registered by the worker (submission_register)
    right after commit, or by the sweep if the broker could not take the message.

    The public form answers after this one insert: the rights asked for wait in the
    submission, encrypted. The legal clock runs from `received_at`, set here, and the
    requester's first email (the confirmation link) comes from the worker either way.
    One INSERT is atomic by itself: outside a caller's transaction it commits alone, and the
    task is queued once it has (no BEGIN and COMMIT round trips around it).
    """
    email, received_at = _checked(data)
    rights = [
        {
            "right": r.right,
            "details": r.details,
            "rectification_content": r.rectification_content,
        }
        for r in data.rights
    ]
    submission = _submission_write(
        data, email=email, received_at=received_at, actor=None, intake=json.dumps(rights)
    )
    transaction.on_commit(lambda: _queue_registration(submission.pk))
    return submission


def _queue_registration(submission_id: int) -> None:
    from dsr.tasks import register_submission

    try:
        register_submission.delay(submission_id)
    except Exception:
        # The broker is down: the submission is committed and the sweep registers it.
        logger.warning("could not queue registration of submission %s", submission_id)


def submission_register(*, submission_id: int) -> Submission | None:
    """Register a written-down request as its cases (what submission_receive does at once).

    Exactly once: the submission is locked and its intake emptied in the same transaction, so
    a redelivered message, the sweep and a second worker find nothing left to do (None).
    """
    with transaction.atomic():
        submission = (
            Submission.objects.select_for_update()
            .filter(pk=submission_id)
            .exclude(intake="")
            .first()
        )
        if submission is None:
            return None
        rights = [RequestedRight(**right) for right in json.loads(submission.intake)]
        submission.intake = ""
        submission.save(update_fields=["intake", "updated_at"])
        _register(submission, rights, actor=None)
    return submission


def submissions_awaiting_registration(limit: int = 500) -> list[int]:
    """Submissions written down and not yet registered, oldest first (the sweep's work)."""
    return list(
        Submission.objects.exclude(intake="").order_by("pk").values_list("pk", flat=True)[:limit]
    )


def submissions_register_waiting(limit: int = 500) -> int:
    """Register the submissions still waiting (the sweep); how many this call registered.
    One that fails is logged and left for the next sweep, and does not hold up the others."""
    registered = 0
    for submission_id in submissions_awaiting_registration(limit):
        try:
            if submission_register(submission_id=submission_id) is not None:
                registered += 1
        except Exception:
            logger.exception(
                "could not register submission %s; the next sweep retries", submission_id
            )
    return registered


def _register(submission: Submission, rights: list[RequestedRight], *, actor) -> list[DsrCase]:
    email = submission.requester_email
    received_at = submission.received_at
    subject_id = privacy_selectors.subject_id_by_email(email) if email else None
    year = deadlines.local_received_date(received_at).year
    self_service = submission.channel == Channel.SELF_SERVICE
    # Self-service cases are created waiting for the emailed confirmation, with the two events
    # a RECEIVED case moved on by _transition would have: one INSERT each for all cases.
    cases = DsrCase.objects.bulk_create(
        [
            DsrCase(
                reference=reference,
                submission=submission,
                right=requested.right,
                status=S.AWAITING_IDENTITY if self_service else S.RECEIVED,
                subject_id=subject_id,
                received_at=received_at,
                language=submission.language,
                details=requested.details,
                rectification_content=requested.rectification_content,
                **_dates(received_at),
            )
            for requested, reference in zip(rights, references_next(year, len(rights)), strict=True)
        ]
    )
    received = _("Received by %(channel)s.") % {"channel": Channel(submission.channel).label}
    events = [
        CaseEvent(
            case=case, kind=EventKind.CREATED, actor=actor, to_status=S.RECEIVED, note=received
        )
        for case in cases
    ]
    if self_service:
        waiting = _("Waiting for the emailed confirmation.")
        events += [
            CaseEvent(
                case=case,
                kind=EventKind.STATUS,
                from_status=S.RECEIVED,
                to_status=S.AWAITING_IDENTITY,
                note=waiting,
            )
            for case in cases
        ]
    for event in events:  # in order: each case's timeline sorts by time
        event.at = timezone.now()
    CaseEvent.objects.bulk_create(events)
    if self_service:
        _verification_write(submission=submission, cases=cases)
    elif email:
        letter_send(case=cases[0], kind=LetterKind.ACKNOWLEDGEMENT, actor=actor, linked=cases)
    return cases


# --- Identity -------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def verification_send(*, submission: Submission) -> str:
    """Email a fresh single-use confirmation link (256 random bits, valid 24 hours)."""
    return _verification_write(submission=submission, cases=list(submission.cases.order_by("pk")))


def _verification_write(*, submission: Submission, cases: list[DsrCase]) -> str:
    """verification_send inside the caller's transaction, with the cases it already has."""
    token = secrets.token_urlsafe(32)
    VerificationToken.objects.create(
        submission=submission,
        token_hash=_token_hash(token),
        expires_at=timezone.now() + settings.DSR_VERIFICATION_LINK_TTL,
    )
    url = f"{settings.SITE_URL}/privacy/verify/{token}/"
    letter_send(
        case=cases[0],
        kind=LetterKind.VERIFICATION,
        linked=cases,
        extra={"verification_url": url},
    )
    return token


def status_token_hash(token: str) -> str | None:
    """The stored hash of a status link's token, or None for what cannot be one."""
    if not token or len(token) > 100:
        return None
    return _token_hash(token)


def submission_by_status_token(token: str) -> Submission | None:
    """The submission an emailed status link leads to, or None (the page answers 404)."""
    token_hash = status_token_hash(token)
    if token_hash is None:
        return None
    return Submission.objects.filter(status_token_hash=token_hash).first()


def verification_check(*, token: str) -> VerificationToken:
    """The link's record if it can still confirm, else VerificationLinkError. Does not use it:
    opening the page only shows a button, so mail scanners that follow links confirm nothing."""
    record = (
        VerificationToken.objects.select_related("submission")
        .filter(token_hash=_token_hash(token))
        .first()
    )
    if record is None:
        raise VerificationLinkError(_("This link is not valid."), reason="unknown")
    if record.used_at is not None:
        raise VerificationLinkError(
            _("This link has already been used."), reason="used", submission=record.submission
        )
    if record.expires_at <= timezone.now():
        raise VerificationLinkError(
            _("This link has expired."), reason="expired", submission=record.submission
        )
    return record


@transaction.atomic
def verification_resend(*, token: str) -> bool:
    """Send a fresh link for an expired or used one, if the request still awaits it.

    Returns False when there is nothing to confirm any more; the page says the same either way
    about where the link went, so it reveals no address.
    """
    record = VerificationToken.objects.filter(token_hash=_token_hash(token)).first()
    if record is None:
        raise VerificationLinkError(_("This link is not valid."), reason="unknown")
    submission = record.submission
    if not submission.cases.filter(status=S.AWAITING_IDENTITY).exists():
        return False
    verification_send(submission=submission)
    return True


@transaction.atomic
def verification_confirm(*, token: str) -> Submission:
    """Confirm a self-service request by its link: identity verified for every case of it.

    Raises VerificationLinkError (reason "unknown", "used" or "expired").
    """
    record = (
        VerificationToken.objects.select_for_update()
        .select_related("submission")
        .filter(token_hash=_token_hash(token))
        .first()
    )
    if record is None:
        raise VerificationLinkError(_("This link is not valid."), reason="unknown")
    if record.used_at is not None:
        raise VerificationLinkError(
            _("This link has already been used."), reason="used", submission=record.submission
        )
    if record.expires_at <= timezone.now():
        raise VerificationLinkError(
            _("This link has expired."), reason="expired", submission=record.submission
        )
    record.used_at = timezone.now()
    record.save(update_fields=["used_at"])
    submission = record.submission
    verified = []
    for case in submission.cases.order_by("pk"):
        case = _lock(case)
        if case.status != S.AWAITING_IDENTITY:
            continue
        _verify(case, method=IdentityMethod.EMAIL_LINK, evidence="", actor=None)
        verified.append(case)
    if verified:
        letter_send(case=verified[0], kind=LetterKind.ACKNOWLEDGEMENT, linked=verified)
    return submission


def _verify(case: DsrCase, *, method: str, evidence: str, actor) -> DsrCase:
    case.identity_status = IdentityStatus.VERIFIED
    case.identity_method = method
    case.identity_verified_at = timezone.now()
    case.identity_evidence = evidence
    _end_pause(case, actor=actor)
    case = _transition(
        case,
        S.IN_PROGRESS,
        actor=actor,
        note=_("Identity verified: %(method)s.") % {"method": IdentityMethod(method).label},
    )
    duplicate_of = _open_duplicate_of(case)
    if duplicate_of is not None:
        return _close_as_duplicate(case, original=duplicate_of, actor=actor)
    _after_verification(case, actor=actor)
    return case


def _after_verification(case: DsrCase, *, actor) -> None:
    from dsr.services import fulfilment

    fulfilment.case_plan_tasks(case=case, actor=actor)


@transaction.atomic
def case_verify_identity(
    *, case: DsrCase, method: str, evidence: str, actor, all_linked: bool = True
) -> list[DsrCase]:
    """Staff record how they verified the requester (Art. 12(6)); the linked cases of the same
    submission are verified with it."""
    if method not in IdentityMethod.values or method == IdentityMethod.EMAIL_LINK:
        raise ApplicationError(_("Choose how the identity was verified."))
    if not evidence.strip():
        raise ApplicationError(_("Describe the evidence: what was checked, and how."))
    targets = [case]
    if all_linked:
        targets = list(case.submission.cases.order_by("pk"))
    done = []
    for target in targets:
        target = _lock(target)
        if target.status not in (S.RECEIVED, S.AWAITING_IDENTITY):
            if target.pk == case.pk:
                raise ApplicationError(
                    _("Request %(reference)s is not waiting for identity.")
                    % {"reference": target.reference}
                )
            continue
        done.append(_verify(target, method=method, evidence=evidence.strip(), actor=actor))
    return done


@transaction.atomic
def case_start(*, case: DsrCase, actor, note: str = "") -> DsrCase:
    """Start work on a received case whose requester is already known to be who they say
    (e.g. the request came from the address on the account): identity by known account."""
    case = _lock(case)
    if case.status != S.RECEIVED:
        raise ApplicationError(
            _("Only a newly received request can be started this way; verify identity instead.")
        )
    return _verify(
        case,
        method=IdentityMethod.KNOWN_ACCOUNT,
        evidence=note or _("Sent from the address we hold."),
        actor=actor,
    )


@transaction.atomic
def case_request_identity(
    *, case: DsrCase, actor, explanation: str, pause_reason: str = ""
) -> DsrCase:
    """Ask the requester for what is needed to confirm identity (only on reasonable doubts,
    Art. 12(6)). The clock stops only if staff give `pause_reason`."""
    if not explanation.strip():
        raise ApplicationError(_("Say what the requester must send, and why it is needed."))
    case = _lock(case)
    case = _transition(case, S.AWAITING_IDENTITY, actor=actor, note=explanation.strip())
    if pause_reason.strip():
        _start_pause(case, reason=PauseReason.IDENTITY, explanation=pause_reason, actor=actor)
    letter_send(
        case=case,
        kind=LetterKind.IDENTITY_REQUEST,
        actor=actor,
        extra={"explanation": explanation.strip()},
    )
    return case


@transaction.atomic
def case_identity_failed(*, case: DsrCase, actor, reasons: str) -> DsrCase:
    """Close a request whose requester could not be identified (Art. 11(2), 12(2))."""
    return case_refuse(
        case=case, actor=actor, basis=RefusalBasis.IDENTITY_NOT_ESTABLISHED, reasons=reasons
    )


# --- Pauses ---------------------------------------------------------------------------------


def _start_pause(case: DsrCase, *, reason: str, explanation: str, actor) -> CasePause:
    if case.pauses.filter(ended_at__isnull=True).exists():
        raise ApplicationError(_("The clock is already paused."))
    pause = CasePause.objects.create(
        case=case, reason=reason, explanation=explanation.strip(), started_at=timezone.now()
    )
    event_record(
        case=case,
        kind=EventKind.PAUSE,
        actor=actor,
        note=f"{PauseReason(reason).label}: {explanation.strip()}",
    )
    return pause


def _end_pause(case: DsrCase, *, actor) -> None:
    """End a running pause: the whole local days it lasted push every date back."""
    pause = case.pauses.filter(ended_at__isnull=True).first()
    if pause is None:
        return
    now = timezone.now()
    days = deadlines.local_received_date(now) - deadlines.local_received_date(pause.started_at)
    pause.ended_at = now
    pause.days = days.days
    pause.save(update_fields=["ended_at", "days"])
    case.paused_days += pause.days
    case.target_date = deadlines.target_date(case.received_at, paused_days=case.paused_days)
    case.due_date = deadlines.due_date(case.received_at, paused_days=case.paused_days)
    if case.extended_due_date:
        case.extended_due_date = deadlines.extended_due_date(
            case.received_at, paused_days=case.paused_days
        )
        case.target_date = case.extended_due_date
    case.save()
    event_record(
        case=case,
        kind=EventKind.RESUME,
        actor=actor,
        note=_("Clock resumed after %(days)d day(s); due %(due)s.")
        % {"days": pause.days, "due": case.effective_due_date.isoformat()},
    )


@transaction.atomic
def case_ask_requester(*, case: DsrCase, actor, question: str, pause_reason: str = "") -> DsrCase:
    """Ask the requester to clarify. The clock stops only if staff give `pause_reason`."""
    if not question.strip():
        raise ApplicationError(_("Write the question to the requester."))
    case = _lock(case)
    case = _transition(case, S.AWAITING_REQUESTER, actor=actor, note=question.strip())
    if pause_reason.strip():
        _start_pause(case, reason=PauseReason.CLARIFICATION, explanation=pause_reason, actor=actor)
    letter_send(
        case=case,
        kind=LetterKind.CLARIFICATION_REQUEST,
        actor=actor,
        extra={"explanation": question.strip()},
    )
    return case


@transaction.atomic
def case_resume(*, case: DsrCase, actor, note: str = "") -> DsrCase:
    """The requester answered: back to work, and the clock runs again."""
    case = _lock(case)
    if case.status != S.AWAITING_REQUESTER:
        raise ApplicationError(
            _(
                "Request %(reference)s is not waiting for the requester; an identity check is "
                "finished by verifying the identity."
            )
            % {"reference": case.reference}
        )
    _end_pause(case, actor=actor)
    return _transition(case, S.IN_PROGRESS, actor=actor, note=note.strip())


# --- Extension, assignment, notes -----------------------------------------------------------


@transaction.atomic
def case_extend(*, case: DsrCase, actor, reason: str) -> DsrCase:
    """Extend by two further months (Art. 12(3)): only with a reason, and only while the
    requester can still be told before the first due date; the notice goes out now."""
    case = _lock(case)
    if not case.is_open:
        raise ApplicationError(_("A closed request cannot be extended."))
    if case.extended_due_date:
        raise ApplicationError(_("This request has already been extended."))
    if not reason.strip():
        raise ApplicationError(_("An extension needs its reason; the requester is told it."))
    today = deadlines.local_received_date(timezone.now())
    if today > case.due_date:
        raise ApplicationError(
            _(
                "The first due date (%(due)s) has passed: an extension must be notified before "
                "it, so it is no longer possible."
            )
            % {"due": case.due_date.isoformat()}
        )
    case.extended_due_date = deadlines.extended_due_date(
        case.received_at, paused_days=case.paused_days
    )
    case.target_date = case.extended_due_date
    case.extension_reason = reason.strip()
    case.extension_notified_at = timezone.now()
    case.save()
    event_record(
        case=case,
        kind=EventKind.EXTENSION,
        actor=actor,
        note=_("Extended to %(date)s: %(reason)s")
        % {"date": case.extended_due_date.isoformat(), "reason": case.extension_reason},
    )
    letter_send(case=case, kind=LetterKind.EXTENSION, actor=actor)
    return case


@transaction.atomic
def cases_assign(*, cases: Iterable[DsrCase], assignee, actor) -> int:
    """Assign open cases to `assignee` (None unassigns); closed cases are left alone."""
    changed = 0
    for case in cases:
        case = _lock(case)
        if not case.is_open or case.assignee_id == (assignee.pk if assignee else None):
            continue
        case.assignee = assignee
        case.save(update_fields=["assignee", "updated_at"])
        event_record(
            case=case,
            kind=EventKind.ASSIGNMENT,
            actor=actor,
            note=(_("Assigned to %(name)s.") % {"name": assignee.get_username()})
            if assignee
            else _("Unassigned."),
        )
        changed += 1
    return changed


@transaction.atomic
def case_match_subject(*, case: DsrCase, subject, actor) -> DsrCase:
    """Link the case to the data subject it is about, or unlink it (subject None)."""
    case = _lock(case)
    if case.subject_id == (subject.pk if subject else None):
        return case
    case.subject = subject
    case.save(update_fields=["subject", "updated_at"])
    event_record(
        case=case,
        kind=EventKind.SUBJECT,
        actor=actor,
        note=(_("Matched to data subject #%(pk)s.") % {"pk": subject.pk})
        if subject
        else _("No longer matched to a data subject."),
    )
    return case


@transaction.atomic
def case_update_request(
    *, case: DsrCase, actor, details: str, rectification_content: str, language: str
) -> DsrCase:
    """Staff correct what the requester asked (a misread letter, a call's notes); the timeline
    records that it changed. Closed cases keep what they were answered on."""
    case = _lock(case)
    if not case.is_open:
        raise ApplicationError(_("A closed request keeps the details it was answered on."))
    changed = [
        str(label)
        for label, old, new in (
            (_("details"), case.details, details),
            (_("what to correct"), case.rectification_content, rectification_content),
            (_("language"), case.language, language),
        )
        if old != new
    ]
    if not changed:
        return case
    case.details = details
    case.rectification_content = rectification_content
    case.language = language
    case.save(update_fields=["details", "rectification_content", "language", "updated_at"])
    event_record(
        case=case,
        kind=EventKind.NOTE,
        actor=actor,
        note=_("Request edited: %(fields)s.") % {"fields": ", ".join(changed)},
    )
    return case


@transaction.atomic
def case_add_note(*, case: DsrCase, actor, note: str) -> CaseEvent:
    if not note.strip():
        raise ApplicationError(_("Write the note."))
    return event_record(case=case, kind=EventKind.NOTE, actor=actor, note=note.strip())


@transaction.atomic
def case_record_message(*, case: DsrCase, message: str) -> CaseEvent:
    """The requester adds information (from the status page or a reply)."""
    if not message.strip():
        raise ApplicationError(_("Write your message."))
    if not case.is_open:
        raise ApplicationError(_("This request is closed."))
    return event_record(case=case, kind=EventKind.MESSAGE, note=message.strip())


# --- Closing --------------------------------------------------------------------------------


@transaction.atomic
def case_complete(
    *,
    case: DsrCase,
    actor,
    outcome: str,
    partially: bool = False,
    open_tasks_reason: str = "",
) -> DsrCase:
    """Close a case as answered. It becomes partially completed when data was kept under a
    legal hold or staff say so; it cannot close with open tasks unless staff record why.
    The completion letter lists what was kept, why and until when."""
    from dsr.services import fulfilment

    case = _lock(case)
    if not outcome.strip():
        raise ApplicationError(_("Describe the outcome; the requester is told it."))
    open_tasks = list(case.tasks.filter(status__in=fulfilment.OPEN_TASK_STATUS_VALUES))
    if open_tasks and not open_tasks_reason.strip():
        raise ApplicationError(
            _(
                "%(count)d fulfilment task(s) are still open; finish them or record why the "
                "request can be answered without them."
            )
            % {"count": len(open_tasks)}
        )
    retained = fulfilment.case_retained_summary(case)
    final = S.PARTIALLY_COMPLETED if (partially or retained) else S.COMPLETED
    case = _transition(
        case,
        final,
        actor=actor,
        note=outcome.strip(),
        outcome=outcome.strip(),
        open_tasks_reason=open_tasks_reason.strip(),
    )
    letter_send(
        case=case,
        kind=LetterKind.COMPLETION,
        actor=actor,
        extra={
            "retained": retained,
            "recipients": fulfilment.case_notified_recipients(case),
            "download_until": _download_until(case),
        },
    )
    return case


def _download_until(case: DsrCase) -> str:
    """The last day the requester can download the export that answers `case`, if any."""
    from django.utils import formats

    from dsr.services.exports import export_latest_ready

    job = export_latest_ready(case)
    if job is None or job.expires_at is None:
        return ""
    with translation.override(case.language):  # written into the letter, in its language
        return formats.date_format(timezone.localtime(job.expires_at).date(), "DATE_FORMAT")


@transaction.atomic
def case_refuse(
    *, case: DsrCase, actor, basis: str, reasons: str, justification: str = ""
) -> DsrCase:
    """Refuse, stating the reasons, the right to complain to IMY and to a judicial remedy
    (the refusal letter always carries both). An Art. 12(5) refusal needs a written
    justification: the controller bears the burden of proof."""
    if basis not in RefusalBasis.values:
        raise ApplicationError(_("Choose the basis of the refusal."))
    if not reasons.strip():
        raise ApplicationError(_("State the reasons for the refusal; the requester is told them."))
    if basis in REFUSAL_BASES_NEEDING_JUSTIFICATION and not justification.strip():
        raise ApplicationError(
            _(
                "A request refused as manifestly unfounded or excessive needs a written "
                "justification (Art. 12(5))."
            )
        )
    case = _lock(case)
    case = _transition(
        case,
        S.REFUSED,
        actor=actor,
        note=reasons.strip(),
        refusal_basis=basis,
        refusal_reasons=reasons.strip(),
        refusal_justification=justification.strip(),
        identity_status=(
            IdentityStatus.FAILED
            if basis == RefusalBasis.IDENTITY_NOT_ESTABLISHED
            else case.identity_status
        ),
    )
    letter_send(case=case, kind=LetterKind.REFUSAL, actor=actor)
    return case


@transaction.atomic
def case_withdraw(*, case: DsrCase, actor=None, note: str = "", notify: bool = True) -> DsrCase:
    """The requester withdrew the request (or staff record that they did)."""
    case = _lock(case)
    case = _transition(
        case, S.WITHDRAWN, actor=actor, note=note.strip() or _("Withdrawn by the requester.")
    )
    if notify:
        letter_send(case=case, kind=LetterKind.WITHDRAWAL, actor=actor)
    return case


# --- Duplicates and unconfirmed requests ----------------------------------------------------


def _open_duplicate_of(case: DsrCase) -> DsrCase | None:
    """An earlier open, verified case of the same right by the same person, if any."""
    same_person = DsrCase.objects.none()
    if case.subject_id:
        same_person = DsrCase.objects.filter(subject_id=case.subject_id)
    email_hash = case.submission.requester_email_hash
    if email_hash:
        same_person = same_person | DsrCase.objects.filter(
            submission__requester_email_hash=email_hash
        )
    return (
        same_person.filter(
            right=case.right,
            identity_status=IdentityStatus.VERIFIED,
            status__in=[S.IN_PROGRESS, S.AWAITING_REQUESTER],
            received_at__lte=case.received_at,
        )
        .exclude(pk=case.pk)
        .exclude(submission_id=case.submission_id)
        .order_by("received_at", "pk")
        .first()
    )


def _close_as_duplicate(case: DsrCase, *, original: DsrCase, actor) -> DsrCase:
    case.duplicate_of = original
    event_record(
        case=case,
        kind=EventKind.DUPLICATE,
        actor=actor,
        note=_("Same request as %(reference)s, which is open; answered there.")
        % {"reference": original.reference},
    )
    event_record(
        case=original,
        kind=EventKind.DUPLICATE,
        actor=actor,
        note=_("The requester sent it again as %(reference)s.") % {"reference": case.reference},
    )
    case = _transition(
        case,
        S.WITHDRAWN,
        actor=actor,
        note=_("Duplicate of %(reference)s.") % {"reference": original.reference},
    )
    letter_send(
        case=case,
        kind=LetterKind.DUPLICATE,
        actor=actor,
        extra={"original_reference": original.reference},
    )
    return case


def cases_unconfirmed_due(now: datetime | None = None):
    """Self-service cases whose confirmation link was never used within the allowed time."""
    now = now or timezone.now()
    return DsrCase.objects.filter(
        status=S.AWAITING_IDENTITY,
        identity_status=IdentityStatus.UNVERIFIED,
        submission__channel=Channel.SELF_SERVICE,
        received_at__lte=now - settings.DSR_UNCONFIRMED_CLOSE_AFTER,
        pauses__isnull=True,
    )


@transaction.atomic
def case_close_unconfirmed(*, case: DsrCase) -> DsrCase | None:
    """Close one never-confirmed request with a logged reason and a notice. Idempotent: a case
    that was confirmed or closed meanwhile is left alone (returns None)."""
    case = _lock(case)
    if case.status != S.AWAITING_IDENTITY or case.identity_status != IdentityStatus.UNVERIFIED:
        return None
    days = settings.DSR_UNCONFIRMED_CLOSE_AFTER.days
    return case_refuse(
        case=case,
        actor=None,
        basis=RefusalBasis.NOT_CONFIRMED,
        reasons=_(
            "The request was not confirmed with the link we emailed, within %(days)d days. "
            "Without confirmation we cannot be sure the request came from the person whose "
            "data it concerns. You are welcome to make the request again."
        )
        % {"days": days},
    )
