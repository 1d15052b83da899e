from datetime import timedelta

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.utils import timezone

from processors.choices import ProcessorRole, SubprocessorDecision
from processors.models import Processor, ProcessorAgreement, SubprocessorChange, Transfer
from processors.services import AGREEMENT_KINDS_FOR_PROCESSORS

REVIEW_WINDOW_DAYS = 30


def processors_missing_agreement() -> QuerySet[Processor]:
    """Processors and sub-processors in use without a signed Art. 28 agreement."""
    signed = ProcessorAgreement.objects.filter(
        processor=OuterRef("pk"), kind__in=AGREEMENT_KINDS_FOR_PROCESSORS, signed_on__isnull=False
    )
    return Processor.objects.filter(
        is_active=True, role__in=[ProcessorRole.PROCESSOR, ProcessorRole.SUB_PROCESSOR]
    ).exclude(Exists(signed))


def agreements_due_for_review(*, within_days: int = REVIEW_WINDOW_DAYS):
    limit = timezone.localdate() + timedelta(days=within_days)
    return ProcessorAgreement.objects.filter(
        processor__is_active=True, review_due_on__lte=limit
    ).select_related("processor")


def transfers_due_for_review(*, within_days: int = REVIEW_WINDOW_DAYS):
    limit = timezone.localdate() + timedelta(days=within_days)
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
