"""Telling people about a material change of the privacy policy.

Publishing a material version opens a PolicyNotice; the sweep writes its emails a batch at a
time (POLICY_NOTICE_BATCH_SIZE per run, so a million people are told over hours, not in one
burst at the mail server), each person once, in their language where the version exists.
The self-service pages show a banner for POLICY_BANNER_DAYS after the change takes effect.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from core.services import notice_claim, outbox_enqueue
from privacy.models import DataSubject, PolicyNotice, PolicyVersion, SubjectEmail

CATEGORY = "policy_notice"


def notice_open(*, version: PolicyVersion) -> PolicyNotice | None:
    """Called when a version is published: material changes are told to everyone."""
    if not version.is_material_change:
        return None
    # One release in several languages is one notice: each person hears of it once.
    existing = PolicyNotice.objects.filter(policy_version__version=version.version).first()
    if existing is not None:
        return existing
    notice, _created = PolicyNotice.objects.get_or_create(policy_version=version)
    return notice


def _versions_by_language(version: PolicyVersion) -> dict[str, PolicyVersion]:
    """The same release in every language it was published in (same version string)."""
    return {
        v.language: v
        for v in PolicyVersion.objects.filter(version=version.version, published_at__isnull=False)
    }


@transaction.atomic
def notice_send_batch(*, notice_id: int, batch_size: int | None = None) -> int:
    """Write the next batch of emails of a notice. Returns how many; 0 when it is done."""
    notice = (
        PolicyNotice.objects.select_for_update().select_related("policy_version").get(pk=notice_id)
    )
    if notice.finished_at:
        return 0
    batch_size = batch_size or settings.POLICY_NOTICE_BATCH_SIZE
    versions = _versions_by_language(notice.policy_version)
    subjects = list(
        DataSubject.objects.filter(pk__gt=notice.last_subject_id, is_under_16=False)
        .order_by("pk")
        .values_list("pk", "language")[:batch_size]
    )
    if not subjects:
        notice.finished_at = timezone.now()
        notice.save(update_fields=["finished_at"])
        return 0
    addresses = dict(
        SubjectEmail.objects.filter(
            subject_id__in=[pk for pk, _ in subjects], is_primary=True
        ).values_list("subject_id", "email")
    )
    written = 0
    for subject_id, language in subjects:
        address = addresses.get(subject_id)
        version = versions.get(language) or versions.get("en") or notice.policy_version
        if not address or not notice_claim(
            key=f"policy:{notice.policy_version.version}:{subject_id}",
            category=CATEGORY,
            recipients=1,
        ):
            continue
        with override(version.language):
            outbox_enqueue(
                to=address,
                subject=_("Changes to our privacy policy"),
                body_text=_(
                    "We have updated our privacy policy. The new version %(version)s takes "
                    "effect on %(date)s.\n\nWhat changed: %(summary)s\n\nRead what changed, "
                    "word by word: %(url)s\n"
                )
                % {
                    "version": version.version,
                    "date": version.effective_date.isoformat(),
                    "summary": version.changes_summary,
                    "url": f"{settings.SITE_URL}/privacy/policy/{version.version}/changes/",
                },
                reference=f"policy:{version.version}",
            )
        written += 1
    notice.last_subject_id = subjects[-1][0]
    notice.sent += written
    notice.save(update_fields=["last_subject_id", "sent"])
    return written


def notices_open_ids() -> list[int]:
    return list(PolicyNotice.objects.filter(finished_at__isnull=True).values_list("pk", flat=True))


def banner_version(language: str) -> PolicyVersion | None:
    """The material change to announce on the public pages, if one took effect recently."""
    today = timezone.localdate()
    recent = PolicyVersion.objects.filter(
        is_material_change=True,
        published_at__isnull=False,
        effective_date__lte=today,
        effective_date__gte=today - timedelta(days=settings.POLICY_BANNER_DAYS),
    ).order_by("-effective_date")
    # One query for both: the visitor's language first, English otherwise.
    candidates = list(recent.filter(language__in={language, "en"})[:4])
    preferred = [v for v in candidates if v.language == language]
    return (preferred or candidates or [None])[0]
