"""Every change to the register that has a rule: each validates, writes and returns."""

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import public_cache
from core.errors import ApplicationError, require
from core.identifiers import normalise_email
from core.models import OutboxEmail
from core.services import outbox_enqueue
from privacy import rules
from privacy.choices import ConsentAction, SubjectCategory, SubjectSource
from privacy.models import (
    ConsentRecord,
    DataSubject,
    Organisation,
    PolicyVersion,
    ProcessingActivity,
    SubjectEmail,
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
    require(
        rules.subject_addresses_blocker(
            [(email, index == 0) for index, email in enumerate(normalised)], new=True
        )
    )
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


SUBJECT_FIELDS = ("name", "category", "organisation", "language", "source", "is_under_16")


@transaction.atomic
def subject_update(*, subject: DataSubject, **fields) -> DataSubject:
    """Change a data subject's own fields (not its addresses: subject_emails_set)."""
    unknown = set(fields) - set(SUBJECT_FIELDS)
    if unknown:
        raise ApplicationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(unknown)})
    for name, value in fields.items():
        setattr(subject, name, value.strip() if name == "name" else value)
    subject.full_clean()
    subject.save()
    return subject


@transaction.atomic
def subject_emails_set(*, subject: DataSubject, addresses: list[tuple[str, bool]]) -> None:
    """Make the subject's addresses exactly `addresses` ((address, primary) pairs): those no
    longer listed are removed, new ones added, the primary mark moved."""
    wanted = [(normalise_email(address), primary) for address, primary in addresses]
    require(rules.subject_addresses_blocker(wanted, new=False))
    emails = {email for email, _primary in wanted}
    subject.emails.exclude(email__in=emails).delete()
    # No primary while the mark moves: the database allows one per subject at any moment.
    subject.emails.update(is_primary=False)
    existing = set(subject.emails.values_list("email", flat=True))
    for email, primary in wanted:
        if email in existing:
            subject.emails.filter(email=email).update(is_primary=primary)
        else:
            subject_add_email(subject=subject, email=email, primary=primary)


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
    # As stored: the instance at hand may carry a form's unsaved values.
    stored = PolicyVersion.objects.filter(pk=version.pk).first() if version.pk else None
    require(rules.policy_version_frozen(stored) if stored else None)


@transaction.atomic
def policy_version_draft(**fields) -> PolicyVersion:
    """A new draft of the policy, to be edited until it is published."""
    version = PolicyVersion(**fields)
    version.full_clean()
    version.save()
    return version


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
    """Record that the activity's entry was reviewed (on `reviewed_on`, default today) and when
    it is reviewed next."""
    reviewed_on = reviewed_on or timezone.localdate()
    require(rules.review_dates_blocker(reviewed_on, next_review_on))
    activity.last_reviewed_on = reviewed_on
    activity.next_review_on = next_review_on
    activity.save(update_fields=["last_reviewed_on", "next_review_on", "updated_at"])
    return activity


# --- Worker checks --------------------------------------------------------------------------


# --- Outbox ---------------------------------------------------------------------------------


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
