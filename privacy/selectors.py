from datetime import date, timedelta

from django.conf import settings
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from core.identifiers import normalise_email
from privacy.choices import ConsentAction, ConsentTopic
from privacy.models import (
    ConsentRecord,
    DataSubject,
    PolicyVersion,
    ProcessingActivity,
    SubjectEmail,
)


def subject_by_email(email: str) -> DataSubject | None:
    """The data subject who owns `email` (any of their addresses, ignoring case), or None."""
    try:
        email = normalise_email(email)
    except Exception:
        return None
    return DataSubject.objects.filter(emails__email=email).select_related("organisation").first()


def subject_id_by_email(email: str) -> int | None:
    """The id of the data subject who owns `email` (already normalised), or None: one index
    lookup, for the request form's matching."""
    return (
        SubjectEmail.objects.filter(email=email)
        .order_by()
        .values_list("subject_id", flat=True)
        .first()
    )


def subjects_matching(term: str) -> QuerySet[DataSubject]:
    """Subjects found by a search term: an exact address, or a fragment of a name or address.

    An exact address is an index lookup; a fragment uses the trigram indexes (PostgreSQL).
    """
    term = term.strip()
    if not term:
        return DataSubject.objects.all()
    if "@" in term and " " not in term:
        exact = DataSubject.objects.filter(emails__email=term.lower())
        if exact.exists():
            return exact
    # A UNION lets PostgreSQL use both trigram indexes; an OR across the two tables makes it
    # read every subject (1.2 s against 16 ms at a million rows).
    by_email = SubjectEmail.objects.filter(email__contains=term.lower()).values("subject_id")
    by_name = DataSubject.objects.filter(name__icontains=term).values("pk")
    return DataSubject.objects.filter(pk__in=by_email.union(by_name))


def consent_state(subject: DataSubject, topic: str = ConsentTopic.MARKETING_EMAIL) -> str | None:
    """The subject's current consent for `topic` (their latest ledger entry), or None."""
    latest = (
        ConsentRecord.objects.filter(subject=subject, topic=topic)
        .order_by("-recorded_at", "-pk")
        .values_list("action", flat=True)
        .first()
    )
    return latest


def subjects_with_marketing_consent() -> QuerySet[DataSubject]:
    """Subjects whose latest marketing entry is a consent given (the mailing list)."""
    latest = (
        ConsentRecord.objects.filter(subject=OuterRef("pk"), topic=ConsentTopic.MARKETING_EMAIL)
        .order_by("-recorded_at", "-pk")
        .values("action")[:1]
    )
    return DataSubject.objects.annotate(marketing=Subquery(latest)).filter(
        marketing=ConsentAction.GIVEN
    )


def policy_current(language: str, *, on: date | None = None) -> PolicyVersion | None:
    """The published version in force on `on` (default today) in `language`, or None."""
    on = on or timezone.localdate()
    return (
        PolicyVersion.objects.filter(
            language=language, published_at__isnull=False, effective_date__lte=on
        )
        .order_by("-effective_date", "-published_at")
        .first()
    )


def activities_due_for_review(*, within_days: int | None = None) -> QuerySet[ProcessingActivity]:
    """Activities whose review falls within REVIEW_REMINDER_DAYS (or `within_days`), or is late."""
    days = settings.REVIEW_REMINDER_DAYS if within_days is None else within_days
    limit = timezone.localdate() + timedelta(days=days)
    return ProcessingActivity.objects.filter(is_active=True, next_review_on__lte=limit)


def policy_versions_published(language: str) -> QuerySet[PolicyVersion]:
    """Published versions in `language`, newest first."""
    return PolicyVersion.objects.filter(language=language, published_at__isnull=False).order_by(
        "-effective_date", "-published_at"
    )


def policy_version_previous(version: PolicyVersion) -> PolicyVersion | None:
    """The published version in the same language that `version` replaced."""
    return (
        policy_versions_published(version.language)
        .filter(effective_date__lt=version.effective_date)
        .first()
    )


def public_processing_summary() -> list[ProcessingActivity]:
    """What the company does with personal data as controller, for the public home page."""
    return list(
        ProcessingActivity.objects.filter(is_active=True, role="controller")
        .select_related("retention_rule")
        .prefetch_related("data_categories")
        .order_by("name")
    )
