"""What every app shares beneath the register: the access log, the outbox, notices sent once,
and the worker checks behind the system status page.

The access log and the outbox are the portal's own proof (who saw what, what was sent); they
name the rows they are about by id and reference only, so they outlive what they describe.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.choices import AccessAction, OutboxStatus, WorkerCheckOrigin
from core.fields import EncryptedTextField


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, editable=False)

    class Meta:
        abstract = True


class AccessLogEntry(models.Model):
    """One access to personal data: who, when, what, for which case, from where.

    Append-only (a database trigger refuses UPDATE and DELETE) and hash-chained: each row's
    hash covers its content and the previous row's hash, so a changed or removed row breaks
    the chain (`manage.py verify_access_log`). Subjects and cases are referenced by id only:
    the log outlives what it describes.
    """

    at = models.DateTimeField(_("when"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty for the data subject themselves (a download from the self-service)."),
    )
    action = models.CharField(_("action"), max_length=16, choices=AccessAction.choices)
    object_type = models.CharField(_("what"), max_length=50)
    object_id = models.CharField(_("which"), max_length=64, blank=True)
    subject_id = models.BigIntegerField(_("data subject"), null=True, blank=True, db_index=True)
    case_reference = models.CharField(_("case"), max_length=32, blank=True, db_index=True)
    purpose = models.CharField(_("purpose"), max_length=300, blank=True)
    query = EncryptedTextField(_("search terms"), blank=True)
    ip_address = models.CharField(_("from"), max_length=64, blank=True)
    previous_hash = models.CharField(max_length=64, editable=False)
    row_hash = models.CharField(max_length=64, editable=False, unique=True)

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-pk"]
        indexes = [
            models.Index(fields=["actor", "-at"], name="core_access_actor_idx"),
            # The list's filters: a filtered page and its count read an index, not the log.
            models.Index(fields=["action", "-id"], name="core_access_action_idx"),
            models.Index(fields=["object_type", "-id"], name="core_access_type_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_action_display()} {self.object_type}"


class SentNotice(models.Model):
    """A notice that must go out once: a reminder, a digest, a policy notice. Its key names
    what and for which period ("case:42:target-3"); the unique key is what makes "once" true,
    whatever retries, second schedulers or crashed workers do."""

    key = models.CharField(_("key"), max_length=200, unique=True)
    category = models.CharField(_("category"), max_length=32, db_index=True)
    created_at = models.DateTimeField(_("sent"), auto_now_add=True, db_index=True)
    # A notice claimed but not sent: a later, more urgent one made it pointless.
    superseded = models.BooleanField(_("superseded"), default=False)
    recipients = models.PositiveIntegerField(_("recipients"), default=0)

    class Meta:
        verbose_name = _("sent notice")
        verbose_name_plural = _("sent notices")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.key


class OutboxEmail(models.Model):
    """An email written in the same transaction as the change that caused it, sent afterwards.

    A worker sends it after commit, retrying with backoff; the outbox sweep re-sends what a lost
    task or an unreachable broker left behind, so nothing written here is ever dropped.
    """

    to = EncryptedTextField(_("to"))
    subject = EncryptedTextField(_("subject"))
    body_text = EncryptedTextField(_("text"))
    body_html = EncryptedTextField(_("HTML"), blank=True)
    headers = models.JSONField(_("extra headers"), default=dict, blank=True)
    attachments = models.JSONField(
        _("attachments"),
        default=list,
        blank=True,
        help_text=_("Files in storage: name, path and content type of each."),
    )
    reference = models.CharField(
        _("about"),
        max_length=100,
        blank=True,
        db_index=True,
        help_text=_("What the email is about, e.g. a case reference."),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("written"), auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing email")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="core_outbox_due_idx",
                condition=Q(status__in=["pending", "sending"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference or self.pk}: {self.get_status_display()}"


class WorkerCheck(models.Model):
    """Proof that a Celery worker is consuming the queue: requested here, completed by a worker.

    Beat records a heartbeat every WORKER_HEARTBEAT_SECONDS; staff can send one from the admin.
    """

    origin = models.CharField(_("origin"), max_length=16, choices=WorkerCheckOrigin.choices)
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    worker = models.CharField(_("worker"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("worker check")
        verbose_name_plural = _("worker checks")
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["-completed_at"], name="core_wc_completed_idx")]

    def __str__(self) -> str:
        return f"{self.get_origin_display()} #{self.pk}"

    @property
    def latency(self):
        if self.completed_at is None:
            return None
        return self.completed_at - self.requested_at
