"""Changes to the processors register, each validating the rules in rules.py."""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError, require
from privacy.rules import review_dates_blocker
from processors import rules
from processors.choices import (
    SubprocessorAuthorisation,
    SubprocessorDecision,
)
from processors.models import Processor, ProcessorAgreement, SubprocessorChange, Transfer


def processor_has_agreement(processor: Processor) -> bool:
    """Whether a signed Art. 28 contract (a DPA or the 2021/915 clauses) is on record."""
    return processor.agreements.filter(
        kind__in=rules.AGREEMENT_KINDS_FOR_PROCESSORS, signed_on__isnull=False
    ).exists()


def processor_require_agreement(processor: Processor) -> None:
    """Raise ApplicationError when a processor or sub-processor has no signed agreement."""
    if rules.role_needs_agreement(processor.role) and not processor_has_agreement(processor):
        raise ApplicationError(
            _(
                "%(name)s is a %(role)s: record its signed data processing agreement (Art. 28(3))"
                " before it receives personal data."
            )
            % {"name": processor.name, "role": processor.get_role_display().lower()}
        )


@transaction.atomic
def processor_register(*, agreement: dict | None = None, data_categories=(), **fields) -> Processor:
    """Add a recipient to the register, with its agreement when its role needs one.

    `agreement` holds ProcessorAgreement fields. Raises ValidationError for bad fields and
    ApplicationError when a processor or sub-processor comes without a signed agreement.
    """
    processor = Processor(**fields)
    processor.full_clean()
    processor.save()
    processor.data_categories.set(data_categories)
    if agreement is not None:
        agreement_record(processor=processor, **agreement)
    processor_require_agreement(processor)
    return processor


@transaction.atomic
def agreement_record(*, processor: Processor, **fields) -> ProcessorAgreement:
    agreement = ProcessorAgreement(processor=processor, **fields)
    agreement.full_clean()
    agreement.save()
    return agreement


def agreement_check_change(
    *, agreement: ProcessorAgreement, processor: Processor | None, kind: str | None, signed_on
) -> None:
    """Refuse an edit that would leave a processor without a qualifying agreement.

    `processor`, `kind` and `signed_on` are the values the edit would give the agreement.
    """
    if agreement.pk is None or not rules.agreement_qualifies(agreement.kind, agreement.signed_on):
        return
    current = agreement.processor
    if processor == current and rules.agreement_qualifies(kind, signed_on):
        return
    if not rules.role_needs_agreement(current.role):
        return
    others = current.agreements.exclude(pk=agreement.pk).filter(
        kind__in=rules.AGREEMENT_KINDS_FOR_PROCESSORS, signed_on__isnull=False
    )
    if not others.exists():
        raise ApplicationError(
            _(
                "This is %(name)s's only signed data processing agreement; a processor "
                "keeps one (Art. 28(3)). Record the new agreement first."
            )
            % {"name": current.name}
        )


@transaction.atomic
def agreement_remove(*, agreement: ProcessorAgreement) -> None:
    """Remove an agreement entered by mistake, unless its processor would be left without one."""
    processor = agreement.processor
    agreement.delete()
    processor_require_agreement(processor)


@transaction.atomic
def agreement_review_complete(
    *, agreement: ProcessorAgreement, reviewed_on: date | None = None, next_review_on: date
) -> ProcessorAgreement:
    """Record that the agreement was reviewed (default today) and when it is reviewed next."""
    reviewed_on = reviewed_on or timezone.localdate()
    require(review_dates_blocker(reviewed_on, next_review_on))
    agreement.last_reviewed_on = reviewed_on
    agreement.review_due_on = next_review_on
    agreement.save(update_fields=["last_reviewed_on", "review_due_on", "updated_at"])
    return agreement


@transaction.atomic
def transfer_register(*, data_categories=(), processing_activities=(), **fields) -> Transfer:
    """Record a third-country transfer; its safeguard must fit the destination."""
    transfer = Transfer(**fields)
    transfer.full_clean()
    transfer.save()
    transfer.data_categories.set(data_categories)
    transfer.processing_activities.set(processing_activities)
    return transfer


@transaction.atomic
def transfer_review_complete(
    *,
    transfer: Transfer,
    tia_completed_on: date | None = None,
    tia_outcome: str,
    supplementary_measures: str | None = None,
    next_review_on: date,
) -> Transfer:
    """Record a re-evaluated transfer impact assessment (EDPB Rec. 01/2020, step 6)."""
    tia_completed_on = tia_completed_on or timezone.localdate()
    require(review_dates_blocker(tia_completed_on, next_review_on))
    transfer.tia_completed_on = tia_completed_on
    transfer.tia_outcome = tia_outcome
    if supplementary_measures is not None:
        transfer.supplementary_measures = supplementary_measures
    transfer.next_review_on = next_review_on
    transfer.full_clean()
    transfer.save()
    return transfer


def objection_deadline(*, processor: Processor, announced_on: date) -> date:
    """Art. 28(2): under a general authorisation we may object within the agreed notice period;
    under a specific one nothing changes before we authorise it, so the answer is due at once."""
    agreement = (
        processor.agreements.filter(kind__in=rules.AGREEMENT_KINDS_FOR_PROCESSORS)
        .order_by("-signed_on", "-pk")
        .first()
    )
    if agreement is None:
        raise ApplicationError(
            _(
                "%(name)s has no data processing agreement, so there is no notice period to count "
                "from; record the agreement first."
            )
            % {"name": processor.name}
        )
    if agreement.subprocessor_authorisation == SubprocessorAuthorisation.SPECIFIC:
        return announced_on
    return announced_on + timedelta(days=agreement.subprocessor_notice_days)


@transaction.atomic
def subprocessor_change_record(
    *, processor: Processor, announced_on: date, change_type: str, **fields
) -> SubprocessorChange:
    """Record an announced sub-processor change with its objection deadline."""
    change = SubprocessorChange(
        processor=processor,
        announced_on=announced_on,
        change_type=change_type,
        objection_deadline=objection_deadline(processor=processor, announced_on=announced_on),
        **fields,
    )
    change.full_clean()
    change.save()
    return change


@transaction.atomic
def subprocessor_change_decide(
    *, change: SubprocessorChange, decision: str, decided_by, notes: str = ""
) -> SubprocessorChange:
    """Accept or object to an announced change; a decision is made once."""
    if decision not in (SubprocessorDecision.ACCEPTED, SubprocessorDecision.OBJECTED):
        raise ValidationError({"decision": _("Accept or object.")})
    if decision == SubprocessorDecision.OBJECTED and not notes.strip():
        raise ValidationError({"decision_notes": _("An objection states its reasons.")})
    updated = SubprocessorChange.objects.filter(
        pk=change.pk, decision=SubprocessorDecision.PENDING
    ).update(
        decision=decision,
        decided_on=timezone.localdate(),
        decided_by=decided_by,
        decision_notes=notes,
        updated_at=timezone.now(),
    )
    if not updated:
        raise ApplicationError(_("This change has already been decided."))
    change.refresh_from_db()
    return change
