"""Exports of access and portability requests: the job, its files and the download codes."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from dsr.choices import (
    ExportFileKind,
    ExportStatus,
)
from dsr.models.cases import DsrCase


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
