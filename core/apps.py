from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """What every app shares beneath the register (see core/models.py)."""

    name = "core"
    verbose_name = _("Audit and operations")
