"""Who receives personal data, under which contract, and where it goes outside the EEA.

Rules within one row are database constraints; rules that look at another row (the
destination country's adequacy, the importer's certification, whether a processor has an
agreement) are in rules.py, which model validation and the services both call.
"""

from django.conf import settings
from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core import uploads
from core.fields import StaffDownloadFileField
from core.models import TimeStampedModel
from privacy.models import DataCategory, ProcessingActivity, System
from processors import rules
from processors.choices import (
    Adequacy,
    AgreementKind,
    Derogation,
    ProcessorRole,
    SccModule,
    SubprocessorAuthorisation,
    SubprocessorChangeType,
    SubprocessorDecision,
    TiaOutcome,
    TransferMechanism,
)

AGREEMENT_DOCUMENT_EXTENSIONS = ["pdf", "docx", "odt"]


class Country(models.Model):
    """A country and what Chapter V says about transfers to it."""

    code = models.CharField(_("ISO code"), max_length=2, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    is_eea = models.BooleanField(_("EEA member"), default=False)
    adequacy = models.CharField(
        _("adequacy"), max_length=16, choices=Adequacy.choices, default=Adequacy.NONE
    )
    adequacy_decision = models.CharField(
        _("adequacy decision"),
        max_length=200,
        blank=True,
        help_text=_("For example: Commission Implementing Decision (EU) 2023/1795."),
    )
    adequacy_date = models.DateField(_("adequacy decision date"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("country")
        verbose_name_plural = _("countries")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_eea=False) | Q(adequacy=Adequacy.NONE),
                name="processors_country_eea_needs_no_adequacy",
                violation_error_message=_("EEA countries need no adequacy decision."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def needs_safeguards(self) -> bool:
        """Whether a transfer here needs Art. 46 safeguards or an Art. 49 derogation."""
        return not self.is_eea and self.adequacy == Adequacy.NONE


class Processor(TimeStampedModel):
    """Any recipient of personal data: processor, sub-processor or another controller."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    legal_entity = models.CharField(
        _("legal entity"),
        max_length=300,
        help_text=_("For example: Amazon Web Services EMEA SARL."),
    )
    registration_number = models.CharField(_("registration number"), max_length=100, blank=True)
    country = models.ForeignKey(
        Country,
        verbose_name=_("country of establishment"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    role = models.CharField(_("role"), max_length=32, choices=ProcessorRole.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("engaged by (for sub-processors)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="subprocessors",
    )
    services = models.TextField(_("services provided"))
    public_purpose = models.CharField(
        _("purpose (public list, English)"),
        max_length=300,
        blank=True,
        help_text=_("Shown on the public sub-processor list."),
    )
    public_purpose_sv = models.CharField(
        _("purpose (public list, Swedish)"), max_length=300, blank=True
    )
    listed_publicly = models.BooleanField(_("on the public sub-processor list"), default=True)
    data_categories = models.ManyToManyField(
        DataCategory,
        verbose_name=_("data categories received"),
        blank=True,
        related_name="processors",
    )
    processing_activities = models.ManyToManyField(
        ProcessingActivity,
        verbose_name=_("processing activities"),
        blank=True,
        related_name="recipients",
    )
    hosted_systems = models.ManyToManyField(
        System,
        verbose_name=_("systems hosted or operated"),
        blank=True,
        related_name="hosting_processors",
    )
    privacy_contact = models.CharField(_("privacy contact"), max_length=300, blank=True)
    privacy_policy_url = models.URLField(_("privacy policy URL"), blank=True)
    website = models.URLField(_("website"), blank=True)
    dpf_certified = models.BooleanField(
        _("certified under the EU-US Data Privacy Framework"), default=False
    )
    dpf_checked_on = models.DateField(
        _("DPF certification checked on"),
        null=True,
        blank=True,
        help_text=_("The date the Data Privacy Framework list was last checked."),
    )
    is_active = models.BooleanField(_("in use"), default=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("processor or recipient")
        verbose_name_plural = _("processors and recipients")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(role=ProcessorRole.SUB_PROCESSOR) & Q(parent__isnull=False))
                | (~Q(role=ProcessorRole.SUB_PROCESSOR) & Q(parent__isnull=True)),
                name="processors_subprocessor_has_parent",
                violation_error_message=_(
                    "A sub-processor names the processor that engaged it; other roles do not."
                ),
            ),
            models.CheckConstraint(
                condition=Q(dpf_certified=False) | Q(dpf_checked_on__isnull=False),
                name="processors_dpf_checked",
                violation_error_message=_(
                    "Record the date the Data Privacy Framework certification was checked."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        super().clean()
        rules.validate_processor(self)

    @property
    def needs_agreement(self) -> bool:
        return rules.role_needs_agreement(self.role)


class ProcessorAgreement(TimeStampedModel):
    """A contract with a recipient: the Art. 28(3) checklist for processors."""

    processor = models.ForeignKey(
        Processor,
        verbose_name=_("processor"),
        on_delete=models.PROTECT,
        related_name="agreements",
    )
    title = models.CharField(_("title"), max_length=300)
    kind = models.CharField(
        _("kind"), max_length=32, choices=AgreementKind.choices, default=AgreementKind.DPA
    )
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    document = StaffDownloadFileField(
        _("document"),
        upload_to="agreements/%Y/",
        download_url_name="register:agreement_document",
        blank=True,
        validators=[
            FileExtensionValidator(AGREEMENT_DOCUMENT_EXTENSIONS),
            rules.document_size,
            uploads.document,
        ],
    )
    # Art. 28(3)(a)-(h): whether the contract has the term, and where.
    instructions = models.BooleanField(_("(a) documented instructions only"), default=False)
    instructions_clause = models.CharField(_("clause"), max_length=100, blank=True)
    confidentiality = models.BooleanField(_("(b) confidentiality of staff"), default=False)
    confidentiality_clause = models.CharField(_("clause"), max_length=100, blank=True)
    security = models.BooleanField(_("(c) security measures (Art. 32)"), default=False)
    security_clause = models.CharField(_("clause"), max_length=100, blank=True)
    subprocessing = models.BooleanField(_("(d) conditions for sub-processors"), default=False)
    subprocessing_clause = models.CharField(_("clause"), max_length=100, blank=True)
    subject_rights_assistance = models.BooleanField(
        _("(e) assistance with data subject requests"), default=False
    )
    subject_rights_assistance_clause = models.CharField(_("clause"), max_length=100, blank=True)
    compliance_assistance = models.BooleanField(_("(f) assistance with Art. 32-36"), default=False)
    compliance_assistance_clause = models.CharField(_("clause"), max_length=100, blank=True)
    deletion_or_return = models.BooleanField(_("(g) deletion or return at the end"), default=False)
    deletion_or_return_clause = models.CharField(_("clause"), max_length=100, blank=True)
    audits = models.BooleanField(_("(h) information and audits"), default=False)
    audits_clause = models.CharField(_("clause"), max_length=100, blank=True)
    subprocessor_authorisation = models.CharField(
        _("sub-processor authorisation"),
        max_length=16,
        choices=SubprocessorAuthorisation.choices,
        default=SubprocessorAuthorisation.GENERAL,
    )
    subprocessor_notice_days = models.PositiveIntegerField(
        _("notice of sub-processor changes (days)"),
        default=30,
        help_text=_("Days we have to object to an announced change."),
    )
    last_reviewed_on = models.DateField(_("last reviewed"), null=True, blank=True)
    review_due_on = models.DateField(_("review due"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    ART_28_ITEMS = (
        "instructions",
        "confidentiality",
        "security",
        "subprocessing",
        "subject_rights_assistance",
        "compliance_assistance",
        "deletion_or_return",
        "audits",
    )

    class Meta:
        verbose_name = _("processor agreement")
        verbose_name_plural = _("processor agreements")
        ordering = ["processor__name", "-signed_on"]
        indexes = [models.Index(fields=["review_due_on"], name="processors_agr_review_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True)
                | Q(signed_on__isnull=True)
                | Q(ends_on__gte=F("signed_on")),
                name="processors_agreement_ends_after_signing",
                violation_error_message=_("An agreement cannot end before it was signed."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.processor}: {self.title}"

    @property
    def art28_missing(self) -> list[str]:
        """Labels of the Art. 28(3) terms the contract lacks."""
        return [
            str(self._meta.get_field(item).verbose_name)
            for item in self.ART_28_ITEMS
            if not getattr(self, item)
        ]


class SubprocessorChange(TimeStampedModel):
    """A processor's announcement that it adds, replaces or removes a sub-processor."""

    processor = models.ForeignKey(
        Processor,
        verbose_name=_("announced by"),
        on_delete=models.PROTECT,
        related_name="subprocessor_changes",
    )
    subprocessor = models.ForeignKey(
        Processor,
        verbose_name=_("sub-processor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Leave empty if it is not in the register yet and name it below."),
    )
    subprocessor_name = models.CharField(_("sub-processor name"), max_length=200, blank=True)
    change_type = models.CharField(
        _("change"), max_length=16, choices=SubprocessorChangeType.choices
    )
    description = models.TextField(_("what changes"), blank=True)
    announced_on = models.DateField(_("announced on"))
    objection_deadline = models.DateField(_("objection deadline"), editable=False)
    decision = models.CharField(
        _("decision"),
        max_length=16,
        choices=SubprocessorDecision.choices,
        default=SubprocessorDecision.PENDING,
        editable=False,
    )
    decided_on = models.DateField(_("decided on"), null=True, blank=True, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    decision_notes = models.TextField(_("reasons for the decision"), blank=True)

    class Meta:
        verbose_name = _("sub-processor change")
        verbose_name_plural = _("sub-processor changes")
        ordering = ["-announced_on"]
        indexes = [
            models.Index(
                fields=["objection_deadline"],
                name="processors_spc_deadline_idx",
                condition=Q(decision=SubprocessorDecision.PENDING),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(subprocessor__isnull=False) | ~Q(subprocessor_name=""),
                name="processors_spc_names_subprocessor",
                violation_error_message=_("Choose the sub-processor or write its name."),
            ),
            models.CheckConstraint(
                condition=Q(objection_deadline__gte=F("announced_on")),
                name="processors_spc_deadline_after_notice",
                violation_error_message=_("The objection deadline cannot precede the notice."),
            ),
            models.CheckConstraint(
                condition=Q(decision=SubprocessorDecision.PENDING) | Q(decided_on__isnull=False),
                name="processors_spc_decision_dated",
                violation_error_message=_("A decision records when it was made."),
            ),
        ]

    def __str__(self) -> str:
        name = self.subprocessor.name if self.subprocessor_id else self.subprocessor_name
        return f"{self.processor}: {self.get_change_type_display()} {name}"


class Transfer(TimeStampedModel):
    """A transfer of personal data to a third country (Chapter V) and its safeguard."""

    exporter = models.ForeignKey(
        Processor,
        verbose_name=_("exporter"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transfers_out",
        help_text=_(
            "Leave empty when the company itself exports; name a processor for an onward transfer."
        ),
    )
    importer = models.ForeignKey(
        Processor,
        verbose_name=_("importer"),
        on_delete=models.PROTECT,
        related_name="transfers_in",
    )
    destination = models.ForeignKey(
        Country,
        verbose_name=_("destination country"),
        on_delete=models.PROTECT,
        related_name="transfers",
    )
    mechanism = models.CharField(
        _("transfer mechanism"), max_length=32, choices=TransferMechanism.choices
    )
    scc_module = models.PositiveSmallIntegerField(
        _("SCC module"), choices=SccModule.choices, null=True, blank=True
    )
    derogation = models.CharField(
        _("Art. 49 derogation"), max_length=16, choices=Derogation.choices, blank=True
    )
    derogation_justification = models.TextField(_("why the derogation applies"), blank=True)
    data_categories = models.ManyToManyField(
        DataCategory, verbose_name=_("data categories transferred"), related_name="transfers"
    )
    processing_activities = models.ManyToManyField(
        ProcessingActivity,
        verbose_name=_("processing activities"),
        blank=True,
        related_name="transfers",
    )
    signed_on = models.DateField(_("safeguard signed on"), null=True, blank=True)
    tia_completed_on = models.DateField(
        _("transfer impact assessment completed on"), null=True, blank=True
    )
    tia_outcome = models.CharField(
        _("transfer impact assessment outcome"),
        max_length=16,
        choices=TiaOutcome.choices,
        blank=True,
    )
    supplementary_measures = models.TextField(_("supplementary measures"), blank=True)
    next_review_on = models.DateField(_("next review"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["importer__name"]
        indexes = [models.Index(fields=["next_review_on"], name="processors_tr_review_idx")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(mechanism=TransferMechanism.SCC) & Q(scc_module__isnull=False))
                | (~Q(mechanism=TransferMechanism.SCC) & Q(scc_module__isnull=True)),
                name="processors_transfer_scc_module",
                violation_error_message=_(
                    "Standard contractual clauses need their module (1-4); other mechanisms "
                    "have none."
                ),
            ),
            models.CheckConstraint(
                condition=(
                    Q(mechanism=TransferMechanism.DEROGATION)
                    & ~Q(derogation="")
                    & ~Q(derogation_justification="")
                )
                | (~Q(mechanism=TransferMechanism.DEROGATION) & Q(derogation="")),
                name="processors_transfer_derogation_documented",
                violation_error_message=_(
                    "An Art. 49 derogation names which one applies and documents why."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(tia_outcome=TiaOutcome.WITH_MEASURES) | ~Q(supplementary_measures=""),
                name="processors_transfer_measures_described",
                violation_error_message=_(
                    "Describe the supplementary measures the assessment relies on."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.importer} → {self.destination.name}"

    def clean(self):
        super().clean()
        rules.validate_transfer(self)
