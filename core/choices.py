"""Choices of the platform's own records: outgoing email, the access log, worker checks."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed permanently")


class AccessAction(models.TextChoices):
    VIEW = "view", _("Viewed")
    SEARCH = "search", _("Searched")
    DOWNLOAD = "download", _("Downloaded")
    EXPORT = "export", _("Exported")
    CHANGE = "change", _("Changed")


class WorkerCheckOrigin(models.TextChoices):
    WEB = "web", _("Staff, from the admin")
    BEAT = "beat", _("Scheduled heartbeat")
    COMMAND = "command", _("Command line")
