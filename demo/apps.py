from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The reference company's demo data and its platform database (`seed_demo`). Installed
    by the local and test settings only: production has neither the command nor the data."""

    name = "demo"
    verbose_name = _("Demo data")
