from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def countries_after_flush(sender, using, **kwargs):
    """The country list is reference data a migration loads; `flush` (a transactional test's
    clean-up, or an operator's) empties it and then sends post_migrate: load it again."""
    from processors.countries import seed_countries
    from processors.models import Country

    if not Country.objects.using(using).exists():
        seed_countries(Country)


class ProcessorsConfig(AppConfig):
    name = "processors"
    verbose_name = _("Processors and transfers")

    def ready(self):
        post_migrate.connect(
            countries_after_flush, sender=self, dispatch_uid="processors.countries_after_flush"
        )
