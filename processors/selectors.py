import gettext
from datetime import date, datetime, timedelta
from functools import cache

import pycountry
from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from processors.choices import Adequacy, ProcessorRole, SubprocessorDecision
from processors.models import Processor, ProcessorAgreement, SubprocessorChange, Transfer
from processors.rules import AGREEMENT_KINDS_FOR_PROCESSORS


def processors_missing_agreement() -> QuerySet[Processor]:
    """Processors and sub-processors in use without a signed Art. 28 agreement."""
    signed = ProcessorAgreement.objects.filter(
        processor=OuterRef("pk"), kind__in=AGREEMENT_KINDS_FOR_PROCESSORS, signed_on__isnull=False
    )
    return Processor.objects.filter(
        is_active=True, role__in=[ProcessorRole.PROCESSOR, ProcessorRole.SUB_PROCESSOR]
    ).exclude(Exists(signed))


def _review_limit(within_days: int | None, today: date | None) -> date:
    days = settings.REVIEW_REMINDER_DAYS if within_days is None else within_days
    return (today or timezone.localdate()) + timedelta(days=days)


def agreements_due_for_review(*, within_days: int | None = None, today: date | None = None):
    """Agreements whose review falls within REVIEW_REMINDER_DAYS (or `within_days`), or is late."""
    limit = _review_limit(within_days, today)
    return ProcessorAgreement.objects.filter(
        processor__is_active=True, review_due_on__lte=limit
    ).select_related("processor")


def transfers_due_for_review(*, within_days: int | None = None, today: date | None = None):
    """Transfers whose review falls within REVIEW_REMINDER_DAYS (or `within_days`), or is late."""
    limit = _review_limit(within_days, today)
    return Transfer.objects.filter(is_active=True, next_review_on__lte=limit).select_related(
        "importer", "destination"
    )


def subprocessor_changes_awaiting_decision():
    return (
        SubprocessorChange.objects.filter(decision=SubprocessorDecision.PENDING)
        .select_related("processor", "subprocessor")
        .order_by("objection_deadline")
    )


def public_subprocessors() -> QuerySet[Processor]:
    """Processors and sub-processors shown on the public list, with their transfers."""
    return (
        Processor.objects.filter(
            is_active=True,
            listed_publicly=True,
            role__in=[ProcessorRole.PROCESSOR, ProcessorRole.SUB_PROCESSOR],
        )
        .select_related("country", "parent")
        .prefetch_related(
            Prefetch(
                "transfers_in",
                queryset=Transfer.objects.filter(is_active=True).select_related("destination"),
            )
        )
        .order_by("name")
    )


@cache
def _country_catalogue(language: str) -> gettext.NullTranslations:
    """pycountry's ISO 3166-1 names in `language`; English names when it has no catalogue."""
    return gettext.translation(
        "iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True
    )


def country_name(country) -> str:
    """The country's name in the active language (the register stores the English name)."""
    language = (get_language() or "en").split("-")[0]
    if language == "en":
        return country.name
    return _country_catalogue(language).gettext(country.name)


def _mechanisms(processor) -> list[str]:
    """How data reaches the processor lawfully: its active transfers' safeguards, or why none
    is needed."""
    texts = []
    for transfer in processor.transfers_in.all():
        text = str(transfer.get_mechanism_display())
        if transfer.scc_module:
            text = _("%(mechanism)s, %(module)s") % {
                "mechanism": text,
                "module": transfer.get_scc_module_display(),
            }
        if transfer.destination_id != processor.country_id:
            text = _("%(country)s: %(mechanism)s") % {
                "country": country_name(transfer.destination),
                "mechanism": text,
            }
        texts.append(text)
    if texts:
        return texts
    country = processor.country
    if country.is_eea:
        return [_("Within the EEA")]
    if country.adequacy in (Adequacy.FULL, Adequacy.COMMERCIAL):
        return [_("Adequacy decision")]
    if country.adequacy == Adequacy.DPF and processor.dpf_certified:
        return [_("EU-US Data Privacy Framework")]
    return []


def public_subprocessor_list(*, language: str) -> tuple[list[dict], datetime | None]:
    """Rows of the public sub-processor list in `language`, and when a listed row last changed."""
    # Each sub-processor right after the processor that engaged it.
    processors = sorted(
        public_subprocessors(),
        key=lambda p: (p.parent.name if p.parent_id else p.name, p.parent_id is not None, p.name),
    )
    swedish = language.startswith("sv")
    rows = [
        {
            "name": processor.name,
            "legal_entity": processor.legal_entity,
            "engaged_by": processor.parent.name if processor.parent_id else "",
            "purpose": (swedish and processor.public_purpose_sv) or processor.public_purpose,
            "location": country_name(processor.country),
            "mechanisms": _mechanisms(processor),
        }
        for processor in processors
    ]
    last_updated = max(
        [processor.updated_at for processor in processors]
        + [t.updated_at for processor in processors for t in processor.transfers_in.all()],
        default=None,
    )
    return rows, last_updated


def transfers_public():
    """Active third-country transfers, for the public pages: where data goes and on what basis."""
    return (
        Transfer.objects.filter(is_active=True)
        .select_related("importer", "destination")
        .order_by("destination__name", "importer__name")
    )
