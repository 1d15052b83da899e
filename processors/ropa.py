"""The record of processing activities (Art. 30) as plain data, ready for a document.

Two views: the controller's record, Art. 30(1), of the activities where we decide the
purposes, and the processor's record, Art. 30(2), of what we do on behalf of customers. Both
are built with a fixed number of queries however many activities there are (the joins and
prefetches below), and every label is translated when the record is built, so build it in the
language of the document.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from privacy.choices import ActivityRole, RetentionAction
from privacy.models import ControllerProfile, DataCategory, Organisation, ProcessingActivity
from processors.choices import Derogation, ProcessorRole, TransferMechanism
from processors.models import Processor, Transfer

# A legitimate interest assessment can run to pages; the record summarises it and the full
# text stays in the register.
LIA_SUMMARY_WORDS = 120


class View:
    CONTROLLER = "controller"
    PROCESSOR = "processor"
    ALL = (CONTROLLER, PROCESSOR)


@dataclass(frozen=True)
class ControllerEntry:
    """The company: the controller in the 30(1) view, the processor in the 30(2) view."""

    name: str
    registration_number: str
    address: str
    email: str
    phone: str
    website: str
    privacy_policy_url: str
    dpo_name: str
    dpo_email: str
    representative: str
    supervisory_authority: str
    security_overview: str


@dataclass(frozen=True)
class PartyEntry:
    """A named recipient, joint controller or sub-processor."""

    name: str
    legal_entity: str
    role: str
    country: str
    country_code: str
    outside_eea: bool
    contact: str = ""

    def __str__(self) -> str:
        return f"{self.name} ({self.legal_entity}), {self.role}, {self.country}"


@dataclass(frozen=True)
class OrganisationEntry:
    """A customer on whose behalf we process, Art. 30(2)(a)."""

    name: str
    registration_number: str
    country_code: str
    website: str

    def __str__(self) -> str:
        details = [d for d in (self.registration_number, self.country_code, self.website) if d]
        return f"{self.name} ({', '.join(details)})" if details else self.name


@dataclass(frozen=True)
class RetentionEntry:
    name: str
    period: str
    action: str
    legal_reference: str
    legal_obligation: bool

    def __str__(self) -> str:
        text = _("%(name)s: %(period)s, then %(action)s") % {
            "name": self.name,
            "period": self.period,
            "action": self.action.lower(),
        }
        if self.legal_reference:
            text += f" ({self.legal_reference})"
        return text


@dataclass(frozen=True)
class DataCategoryEntry:
    name: str
    description: str
    is_special_category: bool
    retention: RetentionEntry | None

    def __str__(self) -> str:
        if self.is_special_category:
            return _("%(name)s (special category, Art. 9)") % {"name": self.name}
        return self.name


@dataclass(frozen=True)
class TransferEntry:
    exporter: str
    importer: str
    importer_entity: str
    destination: str
    destination_code: str
    mechanism: str
    scc_module: str
    derogation: str
    derogation_justification: str
    is_compelling_interests: bool
    signed_on: date | None
    tia_completed_on: date | None
    tia_outcome: str
    supplementary_measures: str
    data_categories: tuple[str, ...]

    @property
    def safeguard(self) -> str:
        """The mechanism with its module or derogation, as one phrase."""
        return ", ".join(p for p in (self.mechanism, self.scc_module, self.derogation) if p)

    def __str__(self) -> str:
        """One line per transfer, for the CSV: who, where, on which safeguard, and why."""
        text = _("%(importer)s (%(entity)s) in %(country)s (%(code)s): %(safeguard)s.") % {
            "importer": self.importer,
            "entity": self.importer_entity,
            "country": self.destination,
            "code": self.destination_code,
            "safeguard": self.safeguard,
        }
        sentences = [text]
        if self.exporter:
            sentences.append(_("Onward transfer by %(exporter)s.") % {"exporter": self.exporter})
        if self.derogation_justification:
            sentences.append(
                _("Why the derogation applies: %(text)s") % {"text": self.derogation_justification}
            )
        if self.tia_completed_on:
            sentences.append(
                _("Transfer impact assessment %(date)s: %(outcome)s.")
                % {"date": self.tia_completed_on.isoformat(), "outcome": self.tia_outcome}
            )
        return " ".join(sentences)


@dataclass(frozen=True)
class ActivityEntry:
    number: int
    anchor: str
    name: str
    description: str
    purposes: str
    legal_bases: tuple[str, ...]
    legal_obligation_reference: str
    legitimate_interest_summary: str
    legitimate_interest_assessed_on: date | None
    subject_categories: tuple[str, ...]
    data_categories: tuple[DataCategoryEntry, ...]
    recipient_categories: str
    recipients: tuple[PartyEntry, ...]
    joint_controllers: tuple[PartyEntry, ...]
    transfers: tuple[TransferEntry, ...]
    retention: RetentionEntry | None
    retention_notes: str
    security_measures: str
    security_is_general: bool
    data_source: str
    automated_decision_making: str
    dpia_reference: str
    owner: str
    last_reviewed_on: date | None
    next_review_on: date | None

    @property
    def special_categories(self) -> tuple[DataCategoryEntry, ...]:
        return tuple(c for c in self.data_categories if c.is_special_category)

    @property
    def category_retention(self) -> tuple[DataCategoryEntry, ...]:
        """Data categories that carry their own retention rule (30(1)(f) "per category")."""
        return tuple(c for c in self.data_categories if c.retention)


@dataclass(frozen=True)
class RopaRecord:
    view: str
    generated_at: datetime
    controller: ControllerEntry
    activities: tuple[ActivityEntry, ...]
    # Controller view: every joint controller named in an activity, for 30(1)(a).
    joint_controllers: tuple[PartyEntry, ...] = ()
    # Processor view: the controllers we act for, 30(2)(a); `organisation` when narrowed to one.
    customers: tuple[OrganisationEntry, ...] = ()
    organisation: OrganisationEntry | None = None

    @property
    def is_processor_view(self) -> bool:
        return self.view == View.PROCESSOR

    @property
    def title(self) -> str:
        if self.is_processor_view:
            return _("Record of processing activities carried out as processor")
        return _("Record of processing activities")

    @property
    def article(self) -> str:
        return _("Article 30(2) GDPR") if self.is_processor_view else _("Article 30(1) GDPR")


# --- Selectors ------------------------------------------------------------------------------


def ropa_controller_record() -> RopaRecord:
    """The controller's record, Art. 30(1): every active activity where we are controller."""
    controller = _controller_entry()
    activities = _activity_entries(ActivityRole.CONTROLLER, controller)
    joint = {}
    for activity in activities:
        for party in activity.joint_controllers:
            joint.setdefault(party.name, party)
    return RopaRecord(
        view=View.CONTROLLER,
        generated_at=timezone.now(),
        controller=controller,
        activities=activities,
        joint_controllers=tuple(joint[name] for name in sorted(joint)),
    )


def ropa_processor_record(*, organisation_id: int | None = None) -> RopaRecord:
    """The processor's record, Art. 30(2): what we process on behalf of customers.

    Every processor activity is done for every customer (the platform is the same for all), so
    narrowing to one organisation changes 30(2)(a) only. Raises Organisation.DoesNotExist for
    an unknown id or an organisation that is not a customer.
    """
    controller = _controller_entry()
    customers = Organisation.objects.filter(is_customer=True).order_by("name", "pk")
    organisation = None
    if organisation_id is not None:
        organisation = _organisation_entry(customers.get(pk=organisation_id))
        entries = (organisation,)
    else:
        entries = tuple(_organisation_entry(o) for o in customers)
    return RopaRecord(
        view=View.PROCESSOR,
        generated_at=timezone.now(),
        controller=controller,
        activities=_activity_entries(ActivityRole.PROCESSOR, controller),
        customers=entries,
        organisation=organisation,
    )


def ropa_record(view: str, *, organisation_id: int | None = None) -> RopaRecord:
    if view == View.PROCESSOR:
        return ropa_processor_record(organisation_id=organisation_id)
    if view == View.CONTROLLER:
        if organisation_id is not None:
            raise ApplicationError(_("Only the processor's record is made for one organisation."))
        return ropa_controller_record()
    raise ValueError(f"unknown view {view!r}")


# --- Building blocks ------------------------------------------------------------------------


def _controller_entry() -> ControllerEntry:
    profile = ControllerProfile.objects.first()
    if profile is None:
        raise ApplicationError(
            _(
                "Fill in the controller profile first: the record of processing names the "
                "controller and its contact details (Art. 30(1)(a))."
            )
        )
    return ControllerEntry(
        name=profile.name,
        registration_number=profile.registration_number,
        address=profile.address,
        email=profile.email,
        phone=profile.phone,
        website=profile.website,
        privacy_policy_url=profile.privacy_policy_url,
        dpo_name=profile.dpo_name,
        dpo_email=profile.dpo_email,
        representative=profile.representative,
        supervisory_authority=profile.supervisory_authority,
        security_overview=profile.security_overview,
    )


def _organisation_entry(organisation: Organisation) -> OrganisationEntry:
    return OrganisationEntry(
        name=organisation.name,
        registration_number=organisation.registration_number,
        country_code=organisation.country_code,
        website=organisation.website,
    )


def _activities_queryset(role: str):
    # One query per relation, whatever the number of activities.
    return (
        ProcessingActivity.objects.filter(is_active=True, role=role)
        .select_related("retention_rule", "owner")
        .prefetch_related(
            Prefetch(
                "data_categories",
                queryset=DataCategory.objects.select_related("retention_rule").order_by("name"),
            ),
            Prefetch(
                "recipients",
                queryset=Processor.objects.filter(is_active=True)
                .select_related("country")
                .order_by("name"),
            ),
            Prefetch(
                "transfers",
                queryset=Transfer.objects.filter(is_active=True)
                .select_related("exporter", "importer", "destination")
                .prefetch_related(
                    Prefetch("data_categories", queryset=DataCategory.objects.order_by("name"))
                )
                .order_by("destination__name", "importer__name", "pk"),
            ),
        )
        .order_by("name")
    )


def _activity_entries(role: str, controller: ControllerEntry) -> tuple[ActivityEntry, ...]:
    return tuple(
        _activity_entry(number, activity, controller)
        for number, activity in enumerate(_activities_queryset(role), start=1)
    )


def _activity_entry(number: int, activity, controller: ControllerEntry) -> ActivityEntry:
    named = activity.recipients.all()
    joint = tuple(_party_entry(p) for p in named if p.role == ProcessorRole.JOINT_CONTROLLER)
    recipients = tuple(_party_entry(p) for p in named if p.role != ProcessorRole.JOINT_CONTROLLER)
    owner = activity.owner
    return ActivityEntry(
        number=number,
        anchor=f"activity-{activity.pk}",
        name=activity.name,
        description=activity.description,
        purposes=activity.purpose,
        legal_bases=tuple(str(basis.label) for basis in activity.legal_bases),
        legal_obligation_reference=activity.legal_obligation_reference,
        legitimate_interest_summary=Truncator(activity.legitimate_interest_assessment).words(
            LIA_SUMMARY_WORDS
        ),
        legitimate_interest_assessed_on=activity.legitimate_interest_assessed_on,
        subject_categories=tuple(activity.get_subject_categories_display()),
        data_categories=tuple(_data_category_entry(c) for c in activity.data_categories.all()),
        recipient_categories=activity.recipient_categories,
        recipients=recipients,
        joint_controllers=joint,
        transfers=tuple(_transfer_entry(t) for t in activity.transfers.all()),
        retention=_retention_entry(activity.retention_rule),
        retention_notes=activity.retention_notes,
        security_measures=activity.security_measures or controller.security_overview,
        security_is_general=not activity.security_measures,
        data_source=activity.data_source,
        automated_decision_making=activity.automated_decision_making,
        dpia_reference=activity.dpia_reference,
        owner=(owner.get_full_name() or owner.get_username()) if owner else "",
        last_reviewed_on=activity.last_reviewed_on,
        next_review_on=activity.next_review_on,
    )


def _party_entry(processor: Processor) -> PartyEntry:
    country = processor.country
    return PartyEntry(
        name=processor.name,
        legal_entity=processor.legal_entity,
        role=str(processor.get_role_display()),
        country=country.name,
        country_code=country.code,
        outside_eea=not country.is_eea,
        contact=processor.privacy_contact,
    )


def _retention_entry(rule) -> RetentionEntry | None:
    if rule is None:
        return None
    return RetentionEntry(
        name=rule.name,
        period=rule.period_text,
        action=str(RetentionAction(rule.action).label),
        legal_reference=rule.legal_reference,
        legal_obligation=rule.legal_obligation,
    )


def _data_category_entry(category: DataCategory) -> DataCategoryEntry:
    return DataCategoryEntry(
        name=category.name,
        description=category.description,
        is_special_category=category.is_special_category,
        retention=_retention_entry(category.retention_rule),
    )


def _transfer_entry(transfer: Transfer) -> TransferEntry:
    return TransferEntry(
        exporter=transfer.exporter.name if transfer.exporter_id else "",
        importer=transfer.importer.name,
        importer_entity=transfer.importer.legal_entity,
        destination=transfer.destination.name,
        destination_code=transfer.destination.code,
        mechanism=str(TransferMechanism(transfer.mechanism).label),
        scc_module=str(transfer.get_scc_module_display()) if transfer.scc_module else "",
        derogation=str(Derogation(transfer.derogation).label) if transfer.derogation else "",
        derogation_justification=transfer.derogation_justification,
        is_compelling_interests=transfer.derogation == Derogation.COMPELLING_INTERESTS,
        signed_on=transfer.signed_on,
        tia_completed_on=transfer.tia_completed_on,
        tia_outcome=str(transfer.get_tia_outcome_display()) if transfer.tia_outcome else "",
        supplementary_measures=transfer.supplementary_measures,
        data_categories=tuple(c.name for c in transfer.data_categories.all()),
    )
