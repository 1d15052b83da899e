from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction


class Command(BaseCommand):
    help = (
        "Load the demo company (idempotent): every installed app's demo.seed() runs in "
        "dependency order, and the demo staff account is printed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Load demo data even though DEBUG is off. Never do this on a real deployment.",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["allow_production"]:
            raise CommandError(
                "Refusing to load demo data with DEBUG off; pass --allow-production if you mean it."
            )
        # INSTALLED_APPS lists our apps in dependency order, so each seeder finds what the
        # apps below it created.
        for app_config in apps.get_app_configs():
            module_name = f"{app_config.name}.demo"
            if find_spec(module_name) is None:
                continue
            with transaction.atomic():
                import_module(module_name).seed(self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
