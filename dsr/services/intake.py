"""Receipt of a request: from the public form (written down, registered by the worker), or
entered by staff (registered at once); the reference, the dates, the first events and the
first letter; and the emailed link that confirms a self-service request.
"""

import json
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import crypto
from core.errors import ApplicationError, require
from core.identifiers import normalise_email
from core.queue import enqueue_on_commit
from dsr import deadlines, rules
from dsr.choices import CaseStatus, Channel, EventKind, IdentityMethod, LetterKind, Right
from dsr.events import case_lock
from dsr.models import CaseEvent, DsrCase, ReferenceCounter, Submission, VerificationToken
from dsr.selectors import cases as case_selectors
from dsr.services.letters import letter_send
from dsr.services.transitions import verify
from privacy import selectors as privacy_selectors

S = CaseStatus
logger = logging.getLogger(__name__)


class VerificationLinkError(ApplicationError):
    """The link does not exist, was used, or has expired (the page offers a new one)."""

    def __init__(self, message: str, *, reason: str, submission: Submission | None = None):
        super().__init__(message)
        self.reason = reason
        self.submission = submission


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
    require(
        rules.contact_blocker(
            channel=data.channel,
            email=email,
            phone=data.requester_phone,
            address=data.requester_address,
        )
    )
    now = timezone.now()
    received_at = data.received_at or now
    require(rules.received_at_blocker(received_at, now=now))
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
    from dsr.tasks import register_submission

    # The sweep registers what the broker could not take.
    enqueue_on_commit(register_submission, submission.pk)
    return submission


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


def submissions_register_waiting(limit: int = 500) -> int:
    """Register the submissions still waiting (the sweep); how many this call registered.
    One that fails is logged and left for the next sweep, and does not hold up the others."""
    registered = 0
    for submission_id in case_selectors.submissions_awaiting_registration(limit):
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
    dates = deadlines.case_dates(received_at)
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
                target_date=dates.target,
                due_date=dates.due,
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


def _token_hash(token: str) -> str:
    return case_selectors.token_hash(token)


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


def verification_check(*, token: str) -> VerificationToken:
    """The link's record if it can still confirm, else VerificationLinkError. Does not use it:
    opening the page only shows a button, so mail scanners that follow links confirm nothing."""
    return _usable(
        VerificationToken.objects.select_related("submission")
        .filter(token_hash=_token_hash(token))
        .first()
    )


def _usable(record: VerificationToken | None) -> VerificationToken:
    """The link's record if it can still confirm, else VerificationLinkError."""
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
    record = _usable(
        VerificationToken.objects.select_for_update()
        .select_related("submission")
        .filter(token_hash=_token_hash(token))
        .first()
    )
    record.used_at = timezone.now()
    record.save(update_fields=["used_at"])
    submission = record.submission
    verified = []
    for case in submission.cases.order_by("pk"):
        case = case_lock(case.pk)
        if case.status != S.AWAITING_IDENTITY:
            continue
        verify(case, method=IdentityMethod.EMAIL_LINK, evidence="", actor=None)
        verified.append(case)
    if verified:
        letter_send(case=verified[0], kind=LetterKind.ACKNOWLEDGEMENT, linked=verified)
    return submission
