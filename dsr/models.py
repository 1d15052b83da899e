"""Data subject requests from receipt to proof.

A Submission is what arrived (a form, a letter, a call); it holds one DsrCase per right, which
are answered together. Every state change goes through dsr.services, which writes a CaseEvent
(append-only, see the migration) so the timeline proves what was done and when.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.fields import EncryptedTextField
from core.models import TimeStampedModel
from dsr.choices import (
    FINAL_STATUSES,
    OPEN_TASK_STATUSES,
    CaseStatus,
    Channel,
    ConnectorKind,
    EventKind,
    ExportFileKind,
    ExportStatus,
    IdentityMethod,
    IdentityStatus,
    LetterKind,
    Operation,
    PauseReason,
    RefusalBasis,
    Right,
    TaskKind,
    TaskStatus,
)
from privacy.choices import Language
from privacy.models import DataCategory, DataSubject, RetentionRule, System
from processors.models import Processor


class ReferenceCounter(models.Model):
    """The last case number used in a year (references read DSR-2026-000123)."""

    year = models.PositiveIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("reference counter")

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class Submission(TimeStampedModel):
    """One request as it arrived: who sent it, how, when, in which language."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    received_at = models.DateTimeField(_("received at"))
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default=Language.ENGLISH
    )
    requester_name = EncryptedTextField(_("requester's name"), blank=True)
    requester_email = EncryptedTextField(_("requester's email"), blank=True)
    # Keyed hash of the normalised address: finds resubmissions without a plaintext column.
    requester_email_hash = models.CharField(
        max_length=64, blank=True, db_index=True, editable=False
    )
    # The unguessable link to the public status page: kept encrypted so every letter can carry
    # it, and as a hash so that a visit finds the submission without decrypting anything.
    status_token = EncryptedTextField(blank=True, editable=False)
    status_token_hash = models.CharField(max_length=64, blank=True, editable=False)
    requester_phone = EncryptedTextField(_("requester's phone"), blank=True)
    requester_address = EncryptedTextField(_("requester's postal address"), blank=True)
    message = EncryptedTextField(
        _("the request as received"),
        blank=True,
        help_text=_("The text of the letter, email or form, or notes of the call."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The rights asked for on the public form (JSON, encrypted) until the worker registers
    # them as cases (dsr.services.cases.submission_register); empty once registered, and for
    # requests entered by staff, which are registered at once.
    intake = EncryptedTextField(blank=True, default="", db_default="", editable=False)

    class Meta:
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        ordering = ["-received_at"]
        indexes = [
            # The registration sweep's few waiting rows, among millions registered.
            models.Index(fields=["id"], condition=~Q(intake=""), name="dsr_submission_awaiting"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["status_token_hash"],
                condition=~Q(status_token_hash=""),
                name="dsr_submission_status_token_unique",
            ),
        ]

    @property
    def status_url(self) -> str:
        if not self.status_token:
            return ""
        return f"{settings.SITE_URL}/privacy/status/{self.status_token}/"

    def __str__(self) -> str:
        references = ", ".join(case.reference for case in self.cases.all())
        return references or str(self.public_id)


class DsrCase(TimeStampedModel):
    """One right exercised by one person: the unit that has a deadline and an outcome."""

    reference = models.CharField(_("reference"), max_length=32, unique=True, editable=False)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    submission = models.ForeignKey(
        Submission, verbose_name=_("submission"), on_delete=models.PROTECT, related_name="cases"
    )
    right = models.CharField(_("right"), max_length=32, choices=Right.choices)
    status = models.CharField(
        _("status"),
        max_length=32,
        choices=CaseStatus.choices,
        default=CaseStatus.RECEIVED,
        editable=False,
    )
    subject = models.ForeignKey(
        DataSubject,
        verbose_name=_("data subject"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    received_at = models.DateTimeField(_("received at"), editable=False)
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default=Language.ENGLISH
    )
    # Identity (Art. 12(6)).
    identity_status = models.CharField(
        _("identity"),
        max_length=16,
        choices=IdentityStatus.choices,
        default=IdentityStatus.UNVERIFIED,
        editable=False,
    )
    identity_method = models.CharField(
        _("identity verified by"),
        max_length=32,
        choices=IdentityMethod.choices,
        blank=True,
        editable=False,
    )
    identity_verified_at = models.DateTimeField(
        _("identity verified at"), null=True, blank=True, editable=False
    )
    identity_evidence = EncryptedTextField(_("identity evidence"), blank=True, editable=False)
    # Dates, all decided by dsr.deadlines and stored for queues and reminders.
    target_date = models.DateField(_("target date"), editable=False)
    due_date = models.DateField(_("legal due date"), editable=False)
    extended_due_date = models.DateField(
        _("extended due date"), null=True, blank=True, editable=False
    )
    paused_days = models.PositiveIntegerField(_("days paused"), default=0, editable=False)
    extension_reason = EncryptedTextField(_("reason for the extension"), blank=True, editable=False)
    extension_notified_at = models.DateTimeField(
        _("extension notified at"), null=True, blank=True, editable=False
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_cases",
    )
    # What the requester asked.
    details = EncryptedTextField(_("details"), blank=True)
    rectification_content = EncryptedTextField(
        _("what to correct"),
        blank=True,
        help_text=_("For rectification: the data to correct and the correct values."),
    )
    # The answer.
    outcome = EncryptedTextField(_("outcome"), blank=True, editable=False)
    refusal_basis = models.CharField(
        _("refusal basis"),
        max_length=32,
        choices=RefusalBasis.choices,
        blank=True,
        editable=False,
    )
    refusal_reasons = EncryptedTextField(_("reasons for refusal"), blank=True, editable=False)
    refusal_justification = EncryptedTextField(
        _("justification of the refusal (internal)"),
        blank=True,
        editable=False,
        help_text=_(
            "Art. 12(5): the controller proves a request manifestly unfounded or excessive."
        ),
    )
    open_tasks_reason = EncryptedTextField(
        _("why the case closed with open tasks"), blank=True, editable=False
    )
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("duplicate of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
        editable=False,
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    pruned_at = models.DateTimeField(
        _("pruned at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("When the closed case was reduced to what proof needs."),
    )

    class Meta:
        verbose_name = _("data subject request")
        verbose_name_plural = _("data subject requests")
        ordering = ["-received_at", "-pk"]
        indexes = [
            # The queue: open work by deadline.
            # The INCLUDE columns let the digest's counts (dsr.services.digests) read these
            # three indexes alone, without visiting the rows (an index-only scan).
            models.Index(
                fields=["target_date"],
                name="dsr_case_open_target_idx",
                condition=~Q(status__in=sorted(FINAL_STATUSES)),
                include=["right", "status", "due_date", "extended_due_date"],
            ),
            models.Index(fields=["status", "-received_at"], name="dsr_case_status_idx"),
            # Every request, newest first (the list's order once closed work is shown).
            models.Index(
                fields=["-received_at", "-id"],
                name="dsr_case_received_idx",
                include=["right", "status"],
            ),
            # The digest's cases closed in a period.
            models.Index(
                fields=["closed_at"],
                name="dsr_case_closed_idx",
                condition=Q(closed_at__isnull=False),
                include=["right", "status", "received_at", "due_date", "extended_due_date"],
            ),
            models.Index(fields=["right", "-received_at"], name="dsr_case_right_idx"),
            models.Index(fields=["assignee", "status"], name="dsr_case_assignee_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(target_date__lte=F("due_date"))
                | Q(extended_due_date__isnull=False, target_date__lte=F("extended_due_date")),
                name="dsr_case_target_not_after_due",
                violation_error_message=_("The target date never runs past the legal date."),
            ),
            models.CheckConstraint(
                condition=Q(extended_due_date__isnull=True)
                | (~Q(extension_reason="") & Q(extension_notified_at__isnull=False)),
                name="dsr_case_extension_reasoned",
                violation_error_message=_(
                    "An extension records its reason and when the requester was told."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(status=CaseStatus.REFUSED) | ~Q(refusal_basis=""),
                name="dsr_case_refusal_has_basis",
                violation_error_message=_("A refusal states its basis."),
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | Q(status__in=sorted(FINAL_STATUSES)),
                name="dsr_case_closed_when_final",
                violation_error_message=_("Only a finished case has a closing time."),
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status not in FINAL_STATUSES

    @property
    def effective_due_date(self):
        """The date the answer is legally due: the extended date once extended."""
        return self.extended_due_date or self.due_date

    @property
    def requester_email(self) -> str:
        return self.submission.requester_email


class CaseEvent(models.Model):
    """One entry of a case's timeline. Append-only: the database refuses UPDATE and DELETE."""

    case = models.ForeignKey(
        DsrCase, verbose_name=_("case"), on_delete=models.PROTECT, related_name="events"
    )
    at = models.DateTimeField(_("when"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty when the portal itself acted (a scheduled task, the requester)."),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=EventKind.choices)
    from_status = models.CharField(_("from"), max_length=32, choices=CaseStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=32, choices=CaseStatus.choices, blank=True)
    note = EncryptedTextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["case", "at"], name="dsr_event_case_idx")]

    def __str__(self) -> str:
        return f"{self.case} {self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"


class CasePause(models.Model):
    """A period in which the clock stood still, and why (recorded by staff)."""

    case = models.ForeignKey(
        DsrCase, verbose_name=_("case"), on_delete=models.PROTECT, related_name="pauses"
    )
    reason = models.CharField(_("reason"), max_length=16, choices=PauseReason.choices)
    explanation = EncryptedTextField(_("why"))
    started_at = models.DateTimeField(_("started"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    days = models.PositiveIntegerField(_("days"), default=0)

    class Meta:
        verbose_name = _("pause")
        verbose_name_plural = _("pauses")
        ordering = ["started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(ended_at__isnull=True),
                name="dsr_one_running_pause_per_case",
                violation_error_message=_("The clock is already paused."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case}: {self.get_reason_display()}"


class VerificationToken(models.Model):
    """A single-use link emailed to confirm a self-service request. Only its hash is stored."""

    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, related_name="verification_tokens"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("verification link")
        verbose_name_plural = _("verification links")

    def __str__(self) -> str:
        return f"{self.submission_id} until {self.expires_at:%Y-%m-%d %H:%M}"


class SystemConnector(TimeStampedModel):
    """How the portal reaches a System's data for a case."""

    system = models.OneToOneField(
        System, verbose_name=_("system"), on_delete=models.PROTECT, related_name="connector"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ConnectorKind.choices)
    is_enabled = models.BooleanField(_("enabled"), default=True)
    # PostgreSQL: a DSN, and parameterised SQL per operation (ConnectorQuery).
    dsn = EncryptedTextField(
        _("connection string"),
        blank=True,
        help_text=_("postgresql://user:password@host:5432/database (stored encrypted)."),
    )
    # Webhook.
    webhook_url = models.URLField(_("webhook URL"), blank=True)
    webhook_secret = EncryptedTextField(
        _("webhook signing secret"),
        blank=True,
        help_text=_("Shared secret for the HMAC-SHA256 signature of requests and callbacks."),
    )
    # Manual.
    manual_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner of manual tasks"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    manual_instructions = models.TextField(_("instructions"), blank=True)

    class Meta:
        verbose_name = _("system connector")
        verbose_name_plural = _("system connectors")
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind=ConnectorKind.WEBHOOK)
                | (~Q(webhook_url="") & ~Q(webhook_secret="")),
                name="dsr_connector_webhook_configured",
                violation_error_message=_("A webhook connector needs its URL and secret."),
            ),
            models.CheckConstraint(
                condition=~Q(kind=ConnectorKind.POSTGRESQL) | ~Q(dsn=""),
                name="dsr_connector_postgresql_configured",
                violation_error_message=_("A PostgreSQL connector needs its connection string."),
            ),
            models.CheckConstraint(
                condition=~Q(kind=ConnectorKind.MANUAL)
                | (Q(manual_owner__isnull=False) & ~Q(manual_instructions="")),
                name="dsr_connector_manual_configured",
                violation_error_message=_("A manual connector names its owner and instructions."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.system} ({self.get_kind_display()})"


class ConnectorQuery(TimeStampedModel):
    """Parameterised SQL for one operation on one category of data in a PostgreSQL system.

    Parameters: %(email)s (primary address), %(emails)s (every address, as an array: write
    `= ANY(%(emails)s)`), %(reference)s (the case), %(rectification)s (JSON of corrections).
    A find or export query
    returns rows; other operations return the affected rows' count (or rows, which are counted).
    A restrict query may return a column `retention_start`, from which the retention rule
    computes until when the data is kept.
    """

    connector = models.ForeignKey(
        SystemConnector,
        verbose_name=_("connector"),
        on_delete=models.CASCADE,
        related_name="queries",
    )
    operation = models.CharField(_("operation"), max_length=16, choices=Operation.choices)
    data_category = models.ForeignKey(
        DataCategory,
        verbose_name=_("data category"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    label = models.CharField(
        _("label"), max_length=100, help_text=_("Names the result, e.g. the table: events.")
    )
    sql = models.TextField(_("SQL"))

    class Meta:
        verbose_name = _("connector query")
        verbose_name_plural = _("connector queries")
        ordering = ["connector", "data_category", "operation", "label"]
        constraints = [
            models.UniqueConstraint(
                fields=["connector", "data_category", "operation", "label"],
                name="dsr_connector_query_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.connector.system}: {self.get_operation_display()} {self.label}"


class CaseTask(TimeStampedModel):
    """One piece of fulfilment: run a system's connector, or tell a recipient (Art. 19)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(
        DsrCase, verbose_name=_("case"), on_delete=models.PROTECT, related_name="tasks"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=TaskKind.choices)
    system = models.ForeignKey(
        System,
        verbose_name=_("system"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recipient = models.ForeignKey(
        Processor,
        verbose_name=_("recipient"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    operation = models.CharField(
        _("operation"), max_length=16, choices=Operation.choices, blank=True
    )
    connector_kind = models.CharField(
        _("connector"), max_length=16, choices=ConnectorKind.choices, blank=True
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=TaskStatus.choices,
        default=TaskStatus.PENDING,
        editable=False,
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0, editable=False)
    started_at = models.DateTimeField(_("started"), null=True, blank=True, editable=False)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True, editable=False)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("completed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    result = models.JSONField(
        _("result"),
        default=dict,
        blank=True,
        editable=False,
        help_text=_("Counts and labels only; exported data is kept in the result file."),
    )
    result_file = models.FileField(
        _("result file"), upload_to="case-results/%Y/", blank=True, editable=False
    )
    error = models.TextField(_("last error"), blank=True, editable=False)
    evidence = EncryptedTextField(_("evidence"), blank=True, editable=False)
    evidence_file = models.FileField(
        _("evidence attachment"), upload_to="case-evidence/%Y/", blank=True, editable=False
    )

    class Meta:
        verbose_name = _("fulfilment task")
        verbose_name_plural = _("fulfilment tasks")
        ordering = ["case", "pk"]
        indexes = [
            models.Index(
                fields=["status"],
                name="dsr_task_open_idx",
                condition=Q(status__in=sorted(OPEN_TASK_STATUSES)),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind=TaskKind.SYSTEM) & Q(system__isnull=False))
                | (Q(kind=TaskKind.RECIPIENT_NOTICE) & Q(recipient__isnull=False)),
                name="dsr_task_target",
                violation_error_message=_(
                    "A system task names its system; a notice names its recipient."
                ),
            ),
            models.UniqueConstraint(
                fields=["case", "system", "operation"],
                condition=Q(kind=TaskKind.SYSTEM),
                name="dsr_task_one_per_system_operation",
            ),
            models.UniqueConstraint(
                fields=["case", "recipient"],
                condition=Q(kind=TaskKind.RECIPIENT_NOTICE),
                name="dsr_task_one_notice_per_recipient",
            ),
        ]

    def __str__(self) -> str:
        target = self.system or self.recipient
        return f"{self.case}: {target} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_TASK_STATUSES


class RetainedData(models.Model):
    """Data kept despite an erasure request, why, and until when (Art. 17(3))."""

    case = models.ForeignKey(
        DsrCase, verbose_name=_("case"), on_delete=models.PROTECT, related_name="retained"
    )
    task = models.ForeignKey(
        CaseTask, verbose_name=_("task"), on_delete=models.PROTECT, related_name="retained"
    )
    data_category = models.ForeignKey(
        DataCategory, verbose_name=_("data category"), on_delete=models.PROTECT, related_name="+"
    )
    retention_rule = models.ForeignKey(
        RetentionRule,
        verbose_name=_("retention rule"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    rows = models.PositiveIntegerField(_("rows restricted"), default=0)
    retained_until = models.DateField(_("kept until"), null=True, blank=True)

    class Meta:
        verbose_name = _("retained data")
        verbose_name_plural = _("retained data")
        constraints = [
            models.UniqueConstraint(
                fields=["task", "data_category"], name="dsr_retained_once_per_category"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case}: {self.data_category}"


class LetterTemplate(TimeStampedModel):
    """The wording of a letter in one language, editable by staff.

    Subject and body use Django's template language over a fixed set of plain values (see
    dsr.letters); required placeholders are checked when a template is saved.
    """

    kind = models.CharField(_("kind"), max_length=32, choices=LetterKind.choices)
    language = models.CharField(_("language"), max_length=8, choices=Language.choices)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("body"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last edited by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name = _("letter template")
        verbose_name_plural = _("letter templates")
        ordering = ["kind", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "language"],
                name="dsr_letter_template_unique",
                violation_error_message=_("This letter already has a template in this language."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.language})"


class Letter(models.Model):
    """A communication sent about a case (Art. 12): what was said, to whom, when."""

    case = models.ForeignKey(
        DsrCase, verbose_name=_("case"), on_delete=models.PROTECT, related_name="letters"
    )
    task = models.ForeignKey(
        CaseTask,
        verbose_name=_("task"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="letters",
    )
    kind = models.CharField(_("kind"), max_length=32, choices=LetterKind.choices)
    language = models.CharField(_("language"), max_length=8, choices=Language.choices)
    recipient = EncryptedTextField(_("to"))
    subject = EncryptedTextField(_("subject"))
    body = EncryptedTextField(_("body"))
    body_sha256 = models.CharField(_("body hash"), max_length=64, editable=False)
    created_at = models.DateTimeField(_("written"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    outbox = models.OneToOneField(
        "core.OutboxEmail",
        verbose_name=_("email"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="letter",
    )

    class Meta:
        verbose_name = _("letter")
        verbose_name_plural = _("letters")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.case}: {self.get_kind_display()}"


class ExportJob(TimeStampedModel):
    """Building a case's access report and data package in the background (Art. 15, 20)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(
        DsrCase, verbose_name=_("case"), on_delete=models.PROTECT, related_name="exports"
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ExportStatus.choices,
        default=ExportStatus.QUEUED,
        editable=False,
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0, editable=False)
    started_at = models.DateTimeField(_("started"), null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True, editable=False)
    error = models.TextField(_("error"), blank=True, editable=False)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True, editable=False)
    stats = models.JSONField(_("figures"), default=dict, blank=True, editable=False)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["expires_at"],
                name="dsr_export_expiry_idx",
                condition=Q(status=ExportStatus.READY),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case}: {self.get_status_display()}"


class ExportFile(models.Model):
    """One file of an export, stored encrypted. When it expires the file goes and the row,
    with the file's hash, stays as proof of what was sent."""

    job = models.ForeignKey(
        ExportJob, verbose_name=_("export"), on_delete=models.PROTECT, related_name="files"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ExportFileKind.choices)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    storage_name = models.CharField(max_length=300, blank=True, editable=False)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True)
    download_count = models.PositiveIntegerField(_("downloads"), default=0)

    class Meta:
        verbose_name = _("export file")
        verbose_name_plural = _("export files")
        ordering = ["job", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["job", "kind"], name="dsr_export_file_once"),
        ]

    def __str__(self) -> str:
        return self.name


class DownloadCode(models.Model):
    """A one-time code emailed to the requester before a download (10 minutes, single use).
    Only its hash is stored."""

    job = models.ForeignKey(ExportJob, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("download code")
        verbose_name_plural = _("download codes")

    def __str__(self) -> str:
        return f"{self.job_id} until {self.expires_at:%H:%M}"


class RetentionRun(models.Model):
    """One application of a retention rule to the systems holding its categories: a dry run
    (counted, rolled back) or a real one, with what it removed by category and count."""

    rule = models.ForeignKey(
        RetentionRule,
        verbose_name=_("retention rule"),
        on_delete=models.PROTECT,
        related_name="runs",
    )
    dry_run = models.BooleanField(_("dry run"))
    cutoff = models.DateField(_("removed what started before"))
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    succeeded = models.BooleanField(_("succeeded"), default=False)
    rows = models.PositiveBigIntegerField(_("rows"), default=0)
    results = models.JSONField(
        _("by system and category"),
        default=list,
        blank=True,
        help_text=_("System, data category, statement and rows for each."),
    )
    error = models.TextField(_("error"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty for the scheduled sweep."),
    )

    class Meta:
        verbose_name = _("retention run")
        verbose_name_plural = _("retention runs")
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        kind = _("dry run") if self.dry_run else _("run")
        return f"{self.rule}: {kind} {self.started_at:%Y-%m-%d %H:%M}"
