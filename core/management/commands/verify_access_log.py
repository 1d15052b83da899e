from django.core.management.base import BaseCommand, CommandError

from core.access_log import verify_chain


class Command(BaseCommand):
    help = "Check the access log's hash chain and report the first row that breaks it."

    def handle(self, *args, **options):
        report = verify_chain()
        if report.intact:
            self.stdout.write(
                self.style.SUCCESS(f"Access log intact: {report.checked} entries checked.")
            )
            return
        raise CommandError(
            f"Access log broken at entry {report.first_broken_id}: {report.problem} "
            f"({report.checked} entries before it are intact)."
        )
