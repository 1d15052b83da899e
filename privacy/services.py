"""Every change to the register that has a rule: each validates, writes and returns."""

from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from privacy.choices import (
    ConsentAction,
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
    PolicyVersion,
    ProcessingActivity,
    SubjectEmail,
    WorkerCheck,
)

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
    version.refresh_from_db()
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
