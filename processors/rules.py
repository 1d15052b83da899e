"""Rules of Chapter V and Art. 28 that look beyond one row.

Pure functions raising ValidationError: model validation (and so the admin's forms) and the
services call them, so each rule is decided here and nowhere else.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from processors.choices import Adequacy, AgreementKind, ProcessorRole, TransferMechanism

ROLES_NEEDING_AGREEMENT = frozenset({ProcessorRole.PROCESSOR, ProcessorRole.SUB_PROCESSOR})
# The contracts that satisfy Art. 28(3): a DPA, or the Commission's clauses 2021/915 (28(7)).
AGREEMENT_KINDS_FOR_PROCESSORS = (AgreementKind.DPA, AgreementKind.SCC_2021_915)


def role_needs_agreement(role: str) -> bool:
    """Art. 28(3): processing by a processor is governed by a contract; an independent
    controller (Stripe, for its payments) is a recipient, not under Art. 28."""
    return role in ROLES_NEEDING_AGREEMENT


def agreement_qualifies(kind: str | None, signed_on) -> bool:
    """Whether an agreement of `kind`, signed on `signed_on`, covers a processor."""
    return kind in AGREEMENT_KINDS_FOR_PROCESSORS and signed_on is not None


def document_size(file) -> None:
    limit = settings.UPLOAD_MAX_BYTES
    if file.size > limit:
        raise ValidationError(
            _("The file is %(size)d MB; the limit is %(limit)d MB.")
            % {"size": file.size // 2**20, "limit": limit // 2**20}
        )


def validate_processor(processor) -> None:
    if processor.pk and processor.parent_id == processor.pk:
        raise ValidationError({"parent": _("A processor cannot be its own sub-processor.")})
    if processor.parent_id and processor.parent.role == ProcessorRole.INDEPENDENT_CONTROLLER:
        raise ValidationError(
            {"parent": _("Sub-processors are engaged by a processor, not by another controller.")}
        )


def validate_transfer(transfer) -> None:
    """The safeguard must fit the destination (Art. 44-49)."""
    if not transfer.destination_id or not transfer.mechanism:
        return
    country = transfer.destination
    mechanism = transfer.mechanism
    if country.is_eea:
        raise ValidationError(
            {
                "destination": _(
                    "%(country)s is in the EEA: sending data there is not a third-country transfer."
                )
                % {"country": country.name}
            }
        )
    if mechanism == TransferMechanism.ADEQUACY and country.adequacy not in (
        Adequacy.FULL,
        Adequacy.COMMERCIAL,
    ):
        if country.adequacy == Adequacy.DPF:
            message = _(
                "%(country)s's adequacy covers only organisations certified under the "
                "Data Privacy Framework: choose that mechanism, or safeguards."
            )
        else:
            message = _(
                "%(country)s has no adequacy decision: use standard contractual "
                "clauses with a module, binding corporate rules or a documented "
                "Art. 49 derogation."
            )
        raise ValidationError({"mechanism": message % {"country": country.name}})
    if mechanism == TransferMechanism.DPF:
        if country.adequacy != Adequacy.DPF:
            raise ValidationError(
                {
                    "mechanism": _(
                        "The Data Privacy Framework covers transfers to the United States only."
                    )
                }
            )
        if transfer.importer_id and not transfer.importer.dpf_certified:
            raise ValidationError(
                {
                    "mechanism": _(
                        "%(importer)s is not recorded as certified under the Data "
                        "Privacy Framework; record its certification or use safeguards."
                    )
                    % {"importer": transfer.importer.name}
                }
            )
