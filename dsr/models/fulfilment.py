"""Reaching the systems: connectors and their statements, the tasks of a case and what
they kept; the retention sweep's runs."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.fields import EncryptedTextField
from core.models import TimeStampedModel
from dsr.choices import (
    OPEN_TASK_STATUSES,
    ConnectorKind,
    Operation,
    TaskKind,
    TaskStatus,
)
from dsr.models.cases import DsrCase
from privacy.models import DataCategory, RetentionRule, System
from processors.models import Processor


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
