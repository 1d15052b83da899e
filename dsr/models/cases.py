"""Submissions and their cases: what arrived, one case per right, its timeline, pauses and
confirmation links."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.fields import EncryptedTextField
from core.models import TimeStampedModel
from dsr.choices import (
    FINAL_STATUSES,
    CaseStatus,
    Channel,
    EventKind,
    IdentityMethod,
    IdentityStatus,
    PauseReason,
    RefusalBasis,
    Right,
)
from privacy.choices import Language
from privacy.models import DataSubject


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
    # them as cases (dsr.services.intake.submission_register); empty once registered, and for
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
            # The INCLUDE columns let the digest's counts (dsr.selectors.digests) read these
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
