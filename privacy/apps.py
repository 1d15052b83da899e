from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = _("Privacy register")

    def ready(self):
        from core import public_cache
        from privacy.models import ControllerProfile, PolicyVersion

        # What the layout of every public page shows (privacy/public_cache.py).
        public_cache.watch(ControllerProfile, PolicyVersion)
