from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkerCheckOrigin(models.TextChoices):
    WEB = "web", _("Staff, from the admin")
    BEAT = "beat", _("Scheduled heartbeat")
    COMMAND = "command", _("Command line")
