from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DsrConfig(AppConfig):
    name = "dsr"
    verbose_name = _("Requests")

    def ready(self):
        from privacy import public_cache
        from privacy.models import DataCategory, ProcessingActivity, RetentionRule
        from processors.models import Country, Processor, Transfer

        # What the public home page summarises (dsr/public_views.py, cached whole).
        public_cache.watch(
            ProcessingActivity, DataCategory, RetentionRule, Transfer, Processor, Country
        )
