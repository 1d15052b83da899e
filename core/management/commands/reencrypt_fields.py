from django.core.management.base import BaseCommand

from core.rotation import reencrypt_all


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted column and file under the newest key of "
        "FIELD_ENCRYPTION_KEYS. Put the new key first (keeping the old ones), run this, then "
        "remove the old keys."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args, batch_size, **options):
        report = reencrypt_all(batch_size=batch_size, log=self.stdout.write)
        self.stdout.write(
            self.style.SUCCESS(
                f"Re-encrypted {sum(report.rows.values())} row(s) and {report.files} file(s)."
            )
        )
