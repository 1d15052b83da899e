"""Every change to the register that has a rule: each validates, writes and returns."""

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from privacy import public_cache
from privacy.choices import (
    ConsentAction,
    OutboxStatus,
    SubjectCategory,
    SubjectSource,
    WorkerCheckOrigin,
)
from privacy.errors import ApplicationError
from privacy.identifiers import normalise_email
from privacy.models import (
    ConsentRecord,
    DataSubject,
    Organisation,
    OutboxEmail,
    PolicyVersion,
    ProcessingActivity,
    SentNotice,
    SubjectEmail,
    WorkerCheck,
)

logger = logging.getLogger(__name__)

# --- Data subjects --------------------------------------------------------------------------


@transaction.atomic
def subject_create(
    *,
    emails: Iterable[str],
    name: str = "",
    category: str = SubjectCategory.PLATFORM_USER,
    organisation: Organisation | None = None,
    language: str = "en",
    source: str = SubjectSource.SUBJECT,
    is_under_16: bool = False,
) -> DataSubject:
    """Create a data subject with one or more addresses; the first is primary.

    Raises ValidationError for a malformed address and ApplicationError if an address already
    belongs to someone (addresses are unique, ignoring case).
    """
    normalised = list(dict.fromkeys(normalise_email(e) for e in emails))
    if not normalised:
        raise ApplicationError(_("A data subject needs at least one email address."))
    subject = DataSubject(
        name=name.strip(),
        category=category,
        organisation=organisation,
        language=language,
        source=source,
        is_under_16=is_under_16,
    )
    subject.full_clean()
    subject.save()
    for index, email in enumerate(normalised):
        subject_add_email(subject=subject, email=email, primary=index == 0)
    return subject


@transaction.atomic
def subject_add_email(*, subject: DataSubject, email: str, primary: bool = False) -> SubjectEmail:
    email = normalise_email(email)
    owner = SubjectEmail.objects.filter(email=email).values_list("subject_id", flat=True).first()
    if owner is not None:
        if owner == subject.pk:
            raise ApplicationError(_("This data subject already has that address."))
        raise ApplicationError(_("This email address belongs to another data subject."))
    if primary:
        subject.emails.filter(is_primary=True).update(is_primary=False)
    try:
        with transaction.atomic():
            return SubjectEmail.objects.create(subject=subject, email=email, is_primary=primary)
    except IntegrityError as error:  # a concurrent insert of the same address
        raise ApplicationError(_("This email address belongs to another data subject.")) from error


# --- Consent ledger -------------------------------------------------------------------------


@transaction.atomic
def consent_record(
    *,
    subject: DataSubject,
    action: str,
    method: str,
    topic: str = "marketing_email",
    evidence: str = "",
    policy_version: PolicyVersion | None = None,
    recorded_by=None,
    recorded_at=None,
) -> ConsentRecord:
    """Append an entry to the consent ledger; entries are never edited or deleted."""
    if action not in ConsentAction.values:
        raise ApplicationError(_("Unknown consent action."))
    record = ConsentRecord(
        subject=subject,
        topic=topic,
        action=action,
        method=method,
        evidence=evidence,
        policy_version=policy_version,
        recorded_by=recorded_by,
        recorded_at=recorded_at or timezone.now(),
    )
    record.full_clean()
    record.save()
    return record


# --- Policy versions ------------------------------------------------------------------------


def _refuse_if_published(version: PolicyVersion) -> None:
    if PolicyVersion.objects.filter(pk=version.pk, published_at__isnull=False).exists():
        raise ApplicationError(
            _(
                "Version %(version)s (%(language)s) is published and cannot be changed; create a "
                "new version instead."
            )
            % {"version": version.version, "language": version.language}
        )


@transaction.atomic
def policy_version_update(*, version: PolicyVersion, **fields) -> PolicyVersion:
    """Change a draft policy version. Published versions are frozen (ApplicationError)."""
    _refuse_if_published(version)
    for name, value in fields.items():
        setattr(version, name, value)
    version.full_clean()
    version.save()
    return version


@transaction.atomic
def policy_version_publish(*, version: PolicyVersion, published_by=None) -> PolicyVersion:
    """Publish a draft: from now on it is what people were told, and it never changes."""
    _refuse_if_published(version)
    version.full_clean()
    now = timezone.now()
    PolicyVersion.objects.filter(pk=version.pk, published_at__isnull=True).update(
        published_at=now, published_by=published_by
    )
    # update() sends no post_save: the public pages' cache is told here.
    public_cache.register_changed()
    version.refresh_from_db()
    from privacy.policy_notices import notice_open

    notice_open(version=version)
    return version


@transaction.atomic
def policy_version_delete(*, version: PolicyVersion) -> None:
    _refuse_if_published(version)
    version.delete()


# --- Processing activities ------------------------------------------------------------------


@transaction.atomic
def activity_mark_reviewed(
    *, activity: ProcessingActivity, reviewed_on=None, next_review_on=None
) -> ProcessingActivity:
    reviewed_on = reviewed_on or timezone.localdate()
    if next_review_on is not None and next_review_on <= reviewed_on:
        raise ApplicationError(_("The next review must come after this one."))
    activity.last_reviewed_on = reviewed_on
    activity.next_review_on = next_review_on
    activity.save(update_fields=["last_reviewed_on", "next_review_on", "updated_at"])
    return activity


# --- Worker checks --------------------------------------------------------------------------


@transaction.atomic
def worker_check_request(*, origin: str, requested_by=None) -> WorkerCheck:
    """Record a check and queue it for a worker once this transaction commits."""
    from privacy.tasks import complete_worker_check

    check = WorkerCheck.objects.create(origin=origin, requested_by=requested_by)
    complete_worker_check.delay_on_commit(check.pk)
    return check


def worker_check_complete(*, check_id: int, worker: str) -> bool:
    """Mark the check done by `worker`. Idempotent: only the first completion counts."""
    updated = WorkerCheck.objects.filter(pk=check_id, completed_at__isnull=True).update(
        completed_at=timezone.now(), worker=worker[:255]
    )
    return updated == 1


@transaction.atomic
def worker_heartbeat_record(*, worker: str) -> WorkerCheck:
    """Record that `worker` ran the scheduled heartbeat, and prune old checks."""
    now = timezone.now()
    check = WorkerCheck.objects.create(
        origin=WorkerCheckOrigin.BEAT, completed_at=now, worker=worker[:255]
    )
    WorkerCheck.objects.filter(requested_at__lt=now - settings.WORKER_CHECK_RETENTION).delete()
    return check


# --- Outbox ---------------------------------------------------------------------------------


def outbox_enqueue(
    *,
    to: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    headers: dict | None = None,
    attachments: list[dict] | None = None,
    reference: str = "",
) -> OutboxEmail:
    """Write an email to the outbox in the caller's transaction; it is sent after commit.

    If the broker cannot take the send task, the outbox sweep sends the email later: the
    caller's change never fails because of email.
    """
    email = OutboxEmail.objects.create(
        to=to,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        headers=headers or {},
        attachments=attachments or [],
        reference=reference[:100],
    )
    transaction.on_commit(lambda: _enqueue_send(email.pk))
    return email


def _enqueue_send(email_id: int) -> None:
    from privacy.tasks import send_outbox_email

    try:
        send_outbox_email.delay(email_id)
    except Exception:
        # The broker is down: the row is committed and the sweep will pick it up.
        logger.warning("outbox: could not queue email %s; the sweep will send it", email_id)


def outbox_claim(*, email_id: int, now=None) -> bool:
    """Claim a due email for sending. Only one worker wins; a claim older than
    OUTBOX_CLAIM_TIMEOUT (a worker that died mid-send) can be taken over."""
    now = now or timezone.now()
    stale = now - settings.OUTBOX_CLAIM_TIMEOUT
    claimed = (
        OutboxEmail.objects.filter(pk=email_id, next_attempt_at__lte=now)
        .filter(
            Q(status=OutboxStatus.PENDING) | Q(status=OutboxStatus.SENDING, claimed_at__lt=stale)
        )
        .update(status=OutboxStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    )
    return claimed == 1


def outbox_mark_sent(*, email_id: int) -> None:
    """Record the send; files made only for this email (marked "delete_after_send") go."""
    marked = OutboxEmail.objects.filter(pk=email_id, status=OutboxStatus.SENDING).update(
        status=OutboxStatus.SENT, sent_at=timezone.now(), last_error=""
    )
    if not marked:
        return
    from django.core.files.storage import default_storage

    attachments = OutboxEmail.objects.filter(pk=email_id).values_list("attachments", flat=True)
    for attachment in attachments.first() or []:
        if attachment.get("delete_after_send"):
            default_storage.delete(attachment["path"])


def outbox_mark_failed(*, email_id: int, error: str, permanent: bool) -> OutboxEmail:
    """Record a failed attempt: retry later with backoff, or give up on a permanent error or
    after OUTBOX_MAX_ATTEMPTS."""
    email = OutboxEmail.objects.get(pk=email_id)
    give_up = permanent or email.attempts >= settings.OUTBOX_MAX_ATTEMPTS
    delay = min(
        settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** max(email.attempts - 1, 0),
        settings.OUTBOX_RETRY_MAX_SECONDS,
    )
    email.status = OutboxStatus.FAILED if give_up else OutboxStatus.PENDING
    email.next_attempt_at = timezone.now() + timedelta(seconds=delay)
    email.last_error = error[:2000]
    email.claimed_at = None
    email.save(update_fields=["status", "next_attempt_at", "last_error", "claimed_at"])
    return email


def outbox_retry(*, email: OutboxEmail) -> None:
    """Staff send a permanently failed email again (after fixing the address, say)."""
    OutboxEmail.objects.filter(pk=email.pk, status=OutboxStatus.FAILED).update(
        status=OutboxStatus.PENDING, next_attempt_at=timezone.now(), attempts=0
    )
    transaction.on_commit(lambda: _enqueue_send(email.pk))


# --- Marketing preferences ------------------------------------------------------------------

MARKETING_SALT = "privacy.marketing-preferences"


def marketing_token(subject: DataSubject) -> str:
    """A signed, non-expiring token naming the subject, for unsubscribe and preference links."""
    return signing.dumps(subject.pk, salt=MARKETING_SALT)


def subject_from_marketing_token(token: str) -> DataSubject | None:
    try:
        pk = signing.loads(token, salt=MARKETING_SALT)
    except signing.BadSignature:
        return None
    return DataSubject.objects.filter(pk=pk).first()


def marketing_links(subject: DataSubject) -> dict[str, str]:
    token = marketing_token(subject)
    return {
        "unsubscribe": f"{settings.SITE_URL}/privacy/unsubscribe/{token}/",
        "preferences": f"{settings.SITE_URL}/privacy/preferences/{token}/",
    }


def marketing_headers(subject: DataSubject) -> dict[str, str]:
    """RFC 2369 and RFC 8058 headers: mail clients offer one-click unsubscribe with them."""
    return {
        "List-Unsubscribe": f"<{marketing_links(subject)['unsubscribe']}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


@transaction.atomic
def marketing_set(
    *, subject: DataSubject, consent: bool, method: str, evidence: str, recorded_by=None
) -> ConsentRecord | None:
    """Record a change of marketing consent. A choice equal to the current state records
    nothing (the ledger holds changes); returns the new entry, or None."""
    from privacy.selectors import consent_state

    action = ConsentAction.GIVEN if consent else ConsentAction.WITHDRAWN
    DataSubject.objects.select_for_update().filter(pk=subject.pk).first()
    current = consent_state(subject)
    if current == action or (current is None and not consent):
        return None
    from privacy.selectors import policy_current

    return consent_record(
        subject=subject,
        action=action,
        method=method,
        evidence=evidence,
        policy_version=policy_current(subject.language) if consent else None,
        recorded_by=recorded_by,
    )


@transaction.atomic
def marketing_email_enqueue(
    *, subject: DataSubject, subject_line: str, body_text: str, body_html: str = ""
) -> OutboxEmail | None:
    """Queue a marketing email to a subject who consents, with the one-click unsubscribe
    headers and the links in the text. Returns None (and sends nothing) without consent."""
    from privacy.selectors import consent_state

    if consent_state(subject) != ConsentAction.GIVEN:
        return None
    address = subject.emails.filter(is_primary=True).values_list("email", flat=True).first()
    if not address:
        return None
    links = marketing_links(subject)
    footer = _("Unsubscribe: %(unsubscribe)s\nYour preferences: %(preferences)s") % links
    return outbox_enqueue(
        to=address,
        subject=subject_line,
        body_text=f"{body_text.rstrip()}\n\n--\n{footer}\n",
        body_html=body_html,
        headers=marketing_headers(subject),
        reference=f"marketing:{subject.pk}",
    )


# --- Notices sent once ----------------------------------------------------------------------


def notice_claim(*, key: str, category: str, superseded: bool = False, recipients: int = 0) -> bool:
    """Claim the notice `key` inside the caller's transaction. True for the one caller that
    inserts it; False if it exists (sent before, or by a concurrent sweep)."""
    try:
        with transaction.atomic():
            SentNotice.objects.create(
                key=key[:200], category=category, superseded=superseded, recipients=recipients
            )
    except IntegrityError:
        return False
    return True
