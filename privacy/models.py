from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from privacy.choices import WorkerCheckOrigin


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
        indexes = [models.Index(fields=["-completed_at"], name="privacy_wc_completed_idx")]

    def __str__(self) -> str:
        return f"{self.get_origin_display()} #{self.pk}"

    @property
    def latency(self):
        if self.completed_at is None:
            return None
        return self.completed_at - self.requested_at
