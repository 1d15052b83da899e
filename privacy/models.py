"""The privacy register: who we hold data about, why, on what basis, where, and for how long.

Rules that a single row can state are database constraints (so no code path can break them);
rules that span rows live in services.py; legal periods are computed in retention.py.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from privacy import retention
from privacy.choices import (
    ActivityRole,
    ConsentAction,
    ConsentMethod,
    ConsentTopic,
    Language,
    LegalBasis,
    PeriodUnit,
    RetentionAction,
    RetentionTrigger,
    SubjectCategory,
    SubjectSource,
)


def subject_categories_validator(value):
    from django.core.exceptions import ValidationError

    if not isinstance(value, list) or not all(v in SubjectCategory.values for v in value):
        raise ValidationError(_("Choose categories of data subjects from the list."))


class ControllerProfile(TimeStampedModel):
    """The company itself, as controller (Art. 30(1)(a)); exactly one row."""

    singleton = models.BooleanField(default=True, editable=False, unique=True)
    name = models.CharField(_("name"), max_length=200)
    registration_number = models.CharField(_("registration number"), max_length=50, blank=True)
    address = models.TextField(_("address"))
    email = models.EmailField(_("privacy contact email"))
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    website = models.URLField(_("website"), blank=True)
    privacy_policy_url = models.URLField(_("privacy policy URL"), blank=True)
    dpo_name = models.CharField(
        _("data protection officer or contact point"), max_length=200, blank=True
    )
    dpo_email = models.EmailField(_("DPO or contact point email"), blank=True)
    representative = models.TextField(
        _("representative in the Union (Art. 27)"),
        blank=True,
        help_text=_("Only for controllers established outside the EU."),
    )
    supervisory_authority = models.CharField(
        _("lead supervisory authority"),
        max_length=200,
        default="Integritetsskyddsmyndigheten (IMY)",
    )
    supervisory_authority_url = models.URLField(
        _("supervisory authority website"), default="https://www.imy.se"
    )
    security_overview = models.TextField(
        _("general description of security measures (Art. 32)"),
        help_text=_("Used in the record of processing where an activity adds nothing specific."),
    )

    class Meta:
        verbose_name = _("controller profile")
        verbose_name_plural = _("controller profile")
        constraints = [
            models.CheckConstraint(
                condition=Q(singleton=True), name="privacy_controller_singleton"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Organisation(TimeStampedModel):
    """A customer or supplier organisation that data subjects belong to."""

    name = models.CharField(_("name"), max_length=200)
    registration_number = models.CharField(_("registration number"), max_length=50, blank=True)
    country_code = models.CharField(
        _("country (ISO code)"), max_length=2, blank=True, help_text=_("For example SE.")
    )
    website = models.URLField(_("website"), blank=True)
    is_customer = models.BooleanField(_("customer"), default=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        indexes = [models.Index(Lower("name"), name="privacy_org_name_lower_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["registration_number", "country_code"],
                condition=~Q(registration_number=""),
                name="privacy_org_regno_unique",
                violation_error_message=_(
                    "An organisation with this registration number is already registered."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RetentionRule(TimeStampedModel):
    """How long a kind of data is kept, counted from what, and what happens then."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    period = models.PositiveIntegerField(_("period"))
    period_unit = models.CharField(
        _("unit"), max_length=10, choices=PeriodUnit.choices, default=PeriodUnit.MONTHS
    )
    trigger = models.CharField(_("counted"), max_length=32, choices=RetentionTrigger.choices)
    action = models.CharField(
        _("at the end"),
        max_length=16,
        choices=RetentionAction.choices,
        default=RetentionAction.DELETE,
    )
    legal_obligation = models.BooleanField(
        _("kept by legal obligation"),
        default=False,
        help_text=_(
            "A legal hold (Art. 17(3)(b)): erasure requests restrict this data instead of "
            "deleting it until the period ends."
        ),
    )
    legal_reference = models.CharField(
        _("legal reference"),
        max_length=300,
        blank=True,
        help_text=_("For example: Bokföringslagen (1999:1078) 7 kap. 2 §."),
    )
    sweep_enabled = models.BooleanField(
        _("swept automatically"),
        default=False,
        editable=False,
        help_text=_("Switched on after a dry run: the daily sweep then removes what has passed."),
    )

    class Meta:
        verbose_name = _("retention rule")
        verbose_name_plural = _("retention rules")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period__gt=0),
                name="privacy_retention_period_positive",
                violation_error_message=_("The period must be at least 1."),
            ),
            models.CheckConstraint(
                condition=Q(legal_obligation=False) | ~Q(legal_reference=""),
                name="privacy_retention_obligation_has_reference",
                violation_error_message=_(
                    "A rule kept by legal obligation must name the law that requires it."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(trigger=RetentionTrigger.FINANCIAL_YEAR_END)
                | Q(period_unit=PeriodUnit.YEARS),
                name="privacy_retention_fy_in_years",
                violation_error_message=_(
                    "A period after the end of the financial year is counted in years."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def retain_until(self, start):
        """Last day the data may be kept, given the date the period starts from."""
        return retention.retain_until(
            start, period=self.period, unit=self.period_unit, trigger=self.trigger
        )

    def expiry_cutoff(self, today):
        """Data whose period started before this date is past its period today."""
        return retention.expiry_cutoff(
            period=self.period, unit=self.period_unit, trigger=self.trigger, today=today
        )

    @property
    def period_text(self) -> str:
        return retention.describe(period=self.period, unit=self.period_unit, trigger=self.trigger)


class DataCategory(TimeStampedModel):
    """A kind of personal data (contact details, invoices, usage events...)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    is_special_category = models.BooleanField(_("special category (Art. 9)"), default=False)
    provided_by_subject = models.BooleanField(
        _("provided by the data subject"),
        default=True,
        help_text=_("Data the subject gave us or generated by using the service (Art. 20)."),
    )
    retention_rule = models.ForeignKey(
        RetentionRule,
        verbose_name=_("retention rule"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="data_categories",
    )

    class Meta:
        verbose_name = _("data category")
        verbose_name_plural = _("data categories")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProcessingActivity(TimeStampedModel):
    """One row of the record of processing activities (Art. 30)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    role = models.CharField(
        _("we act"), max_length=16, choices=ActivityRole.choices, default=ActivityRole.CONTROLLER
    )
    purpose = models.TextField(_("purposes of the processing"))
    description = models.TextField(_("description"), blank=True)
    # Art. 6(1): a boolean per basis so the database can require one and tie the
    # assessment to (f).
    basis_consent = models.BooleanField(LegalBasis.CONSENT.label, default=False)
    basis_contract = models.BooleanField(LegalBasis.CONTRACT.label, default=False)
    basis_legal_obligation = models.BooleanField(LegalBasis.LEGAL_OBLIGATION.label, default=False)
    basis_vital_interests = models.BooleanField(LegalBasis.VITAL_INTERESTS.label, default=False)
    basis_public_task = models.BooleanField(LegalBasis.PUBLIC_TASK.label, default=False)
    basis_legitimate_interests = models.BooleanField(
        LegalBasis.LEGITIMATE_INTERESTS.label, default=False
    )
    legal_obligation_reference = models.CharField(
        _("law that imposes the obligation"), max_length=300, blank=True
    )
    legitimate_interest_assessment = models.TextField(
        _("legitimate interest assessment"),
        blank=True,
        help_text=_(
            "The interest pursued, why the processing is necessary for it, and why the data "
            "subjects' interests, rights and freedoms do not override that interest."
        ),
    )
    legitimate_interest_assessed_on = models.DateField(_("assessment date"), null=True, blank=True)
    subject_categories = models.JSONField(
        _("categories of data subjects"),
        default=list,
        validators=[subject_categories_validator],
    )
    data_categories = models.ManyToManyField(
        DataCategory, verbose_name=_("categories of personal data"), related_name="activities"
    )
    recipient_categories = models.TextField(
        _("categories of recipients"),
        help_text=_(
            "Including recipients in third countries. Named recipients are linked "
            "from the processors register."
        ),
    )
    data_source = models.TextField(
        _("source of the data"),
        blank=True,
        help_text=_("Where the data comes from when it is not collected from the subject."),
    )
    automated_decision_making = models.TextField(
        _("automated decision-making, including profiling"),
        blank=True,
        help_text=_("The logic, significance and consequences; leave empty when there is none."),
    )
    retention_rule = models.ForeignKey(
        RetentionRule,
        verbose_name=_("retention rule"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="activities",
    )
    retention_notes = models.TextField(_("retention notes"), blank=True)
    security_measures = models.TextField(
        _("technical and organisational security measures"),
        blank=True,
        help_text=_("Leave empty to use the controller profile's general description."),
    )
    dpia_reference = models.CharField(_("DPIA reference"), max_length=300, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_activities",
    )
    last_reviewed_on = models.DateField(_("last reviewed"), null=True, blank=True)
    next_review_on = models.DateField(_("next review"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("processing activity")
        verbose_name_plural = _("processing activities")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(role=ActivityRole.PROCESSOR)
                | Q(basis_consent=True)
                | Q(basis_contract=True)
                | Q(basis_legal_obligation=True)
                | Q(basis_vital_interests=True)
                | Q(basis_public_task=True)
                | Q(basis_legitimate_interests=True),
                name="privacy_activity_has_legal_basis",
                violation_error_message=_(
                    "Choose at least one legal basis (Art. 6(1)) for processing as controller."
                ),
            ),
            models.CheckConstraint(
                condition=Q(basis_legitimate_interests=False)
                | ~Q(legitimate_interest_assessment=""),
                name="privacy_activity_li_assessed",
                violation_error_message=_(
                    "Legitimate interests (Art. 6(1)(f)) needs its legitimate interest assessment."
                ),
            ),
            models.CheckConstraint(
                condition=Q(basis_legal_obligation=False) | ~Q(legal_obligation_reference=""),
                name="privacy_activity_obligation_named",
                violation_error_message=_(
                    "A legal obligation (Art. 6(1)(c)) must name the law that imposes it."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def legal_bases(self) -> list[LegalBasis]:
        return [basis for basis in LegalBasis if getattr(self, f"basis_{basis.value}")]

    def get_subject_categories_display(self) -> list[str]:
        labels = dict(SubjectCategory.choices)
        return [str(labels.get(value, value)) for value in self.subject_categories]


class System(TimeStampedModel):
    """A place where personal data is stored: a database, a SaaS tool, a file share."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_systems",
    )
    owner_team = models.CharField(_("owning team"), max_length=200, blank=True)
    location = models.CharField(
        _("location"),
        max_length=300,
        help_text=_("Where the data physically is, e.g. AWS eu-north-1 (Stockholm, Sweden)."),
    )
    data_categories = models.ManyToManyField(
        DataCategory, verbose_name=_("data categories held"), related_name="systems"
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("system")
        verbose_name_plural = _("systems")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DataSubject(TimeStampedModel):
    """A person whose personal data the company processes."""

    name = models.CharField(_("name"), max_length=300, blank=True)
    category = models.CharField(_("category"), max_length=32, choices=SubjectCategory.choices)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="subjects",
    )
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default=Language.ENGLISH
    )
    is_under_16 = models.BooleanField(
        _("under 16"),
        default=False,
        help_text=_("The company does not process data of children under 16: erase it."),
    )
    source = models.CharField(
        _("source"), max_length=16, choices=SubjectSource.choices, default=SubjectSource.SUBJECT
    )

    class Meta:
        verbose_name = _("data subject")
        verbose_name_plural = _("data subjects")
        ordering = ["-pk"]
        indexes = [
            models.Index(fields=["category", "-id"], name="privacy_subject_category_idx"),
            models.Index(
                fields=["is_under_16"],
                name="privacy_subject_child_idx",
                condition=Q(is_under_16=True),
            ),
        ]

    def __str__(self) -> str:
        return self.name or _("Data subject #%(pk)s") % {"pk": self.pk}


class SubjectEmail(models.Model):
    """An email address of a data subject, stored normalised (lower case) and unique."""

    subject = models.ForeignKey(
        DataSubject,
        verbose_name=_("data subject"),
        on_delete=models.CASCADE,
        related_name="emails",
    )
    email = models.CharField(_("email"), max_length=254)
    is_primary = models.BooleanField(_("primary"), default=False)
    added_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("email address")
        verbose_name_plural = _("email addresses")
        ordering = ["-is_primary", "email"]
        constraints = [
            models.UniqueConstraint(
                fields=["email"],
                name="privacy_subject_email_unique",
                violation_error_message=_("This email address belongs to another data subject."),
            ),
            # Stored lower case, so the plain unique index is also case-insensitive.
            models.CheckConstraint(
                condition=Q(email=Lower("email")),
                name="privacy_subject_email_normalised",
                violation_error_message=_("Email addresses are stored in lower case."),
            ),
            models.UniqueConstraint(
                fields=["subject"],
                condition=Q(is_primary=True),
                name="privacy_subject_one_primary_email",
                violation_error_message=_("A data subject has one primary email address."),
            ),
        ]

    def __str__(self) -> str:
        return self.email


class PolicyVersion(TimeStampedModel):
    """The privacy policy in one language at one version. Frozen once published."""

    version = models.CharField(_("version"), max_length=50, help_text=_("For example 2024-08-19."))
    language = models.CharField(_("language"), max_length=8, choices=Language.choices)
    title = models.CharField(_("title"), max_length=200, default="Privacy Policy")
    effective_date = models.DateField(_("effective date"))
    body = models.TextField(_("text"))
    is_material_change = models.BooleanField(
        _("material change"),
        default=False,
        help_text=_("Material changes are notified to the people concerned."),
    )
    changes_summary = models.TextField(_("summary of changes"), blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        editable=False,
        related_name="+",
    )

    class Meta:
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")
        ordering = ["-effective_date", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "language"],
                name="privacy_policy_version_unique",
                violation_error_message=_("This version already exists in this language."),
            ),
            models.CheckConstraint(
                condition=Q(is_material_change=False) | ~Q(changes_summary=""),
                name="privacy_policy_material_has_summary",
                violation_error_message=_(
                    "A material change needs a summary of what changed; people are told it."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version} ({self.language})"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class ConsentRecord(models.Model):
    """One entry in the append-only ledger of marketing consent given and withdrawn.

    The database refuses UPDATE and DELETE on this table (see the migration); the current state
    of a subject's consent is their latest entry per topic.
    """

    subject = models.ForeignKey(
        DataSubject,
        verbose_name=_("data subject"),
        on_delete=models.PROTECT,
        related_name="consent_records",
    )
    topic = models.CharField(
        _("topic"),
        max_length=32,
        choices=ConsentTopic.choices,
        default=ConsentTopic.MARKETING_EMAIL,
    )
    action = models.CharField(_("action"), max_length=16, choices=ConsentAction.choices)
    recorded_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    method = models.CharField(_("how"), max_length=32, choices=ConsentMethod.choices)
    policy_version = models.ForeignKey(
        PolicyVersion,
        verbose_name=_("policy version"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    evidence = models.TextField(
        _("evidence"),
        blank=True,
        help_text=_("What proves it: the form and its wording, the email, the request."),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        ordering = ["-recorded_at", "-pk"]
        indexes = [
            models.Index(
                fields=["subject", "topic", "-recorded_at"], name="privacy_consent_latest_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_topic_display()}: {self.get_action_display()}"


class PolicyNotice(models.Model):
    """Telling people about a material change of the policy: worked through in batches, a
    cursor over the data subjects, each person claimed once (SentNotice)."""

    policy_version = models.OneToOneField(
        PolicyVersion,
        verbose_name=_("policy version"),
        on_delete=models.PROTECT,
        related_name="notice",
    )
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    last_subject_id = models.BigIntegerField(default=0, editable=False)
    sent = models.PositiveIntegerField(_("emails written"), default=0)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("policy change notice")
        verbose_name_plural = _("policy change notices")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return str(self.policy_version)
