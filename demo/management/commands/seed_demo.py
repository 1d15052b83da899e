from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from demo import connectors, platform, recipients, register, requests, staff


class Command(BaseCommand):
    help = (
        "Load the demo company (idempotent): the staff account, the register, the recipients, "
        "the demo platform database with the connectors that reach it, and a queue of requests."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Load demo data even though DEBUG is off. Never do this on a real deployment.",
        )
        parser.add_argument(
            "--platform-database",
            metavar="URL",
            help="The PostgreSQL database to fill as the demo platform's (default: a database "
            "named after the portal's, on the same server, created when missing).",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["allow_production"]:
            raise CommandError(
                "Refusing to load demo data with DEBUG off; pass --allow-production if you mean it."
            )
        # Each step finds what the steps before it created.
        with transaction.atomic():
            staff.seed(self.stdout)
        with transaction.atomic():
            register.seed(self.stdout)
        with transaction.atomic():
            recipients.seed(self.stdout)
        url = options["platform_database"] or platform.platform_url()
        counts = platform.ensure(url, platform.people_from_register())
        self.stdout.write(
            "Demo platform database: " + ", ".join(f"{n} {table}" for table, n in counts.items())
        )
        with transaction.atomic():
            connectors.seed(self.stdout, platform_url=url)
        with transaction.atomic():
            requests.seed(self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
