from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import override

from dsr import exports
from dsr.models import DsrCase


class Command(BaseCommand):
    help = (
        "Build a request's access report and data package into a folder, synchronously, with "
        "the same code the worker runs (for support staff and scripts)."
    )

    def add_arguments(self, parser):
        parser.add_argument("reference", help="The case reference, e.g. DSR-2026-000123.")
        parser.add_argument("--output", required=True, help="Folder to write the files into.")
        parser.add_argument(
            "--force", action="store_true", help="Overwrite files that already exist."
        )

    def handle(self, *args, reference, output, force, **options):
        case = DsrCase.objects.filter(reference=reference.strip().upper()).first()
        if case is None:
            raise CommandError(f"No request {reference!r}.")
        folder = Path(output)
        if folder.exists() and not folder.is_dir():
            raise CommandError(f"{folder} exists and is not a folder.")
        folder.mkdir(parents=True, exist_ok=True)
        with override(case.language):
            built = exports.build(case)
        for item in built.files:
            target = folder / item.name
            if target.exists() and not force:
                raise CommandError(f"{target} exists; pass --force to overwrite it.")
        for item in built.files:
            target = folder / item.name
            target.write_bytes(item.data)
            target.chmod(0o600)
            self.stdout.write(f"{target}  {len(item.data):,} bytes  sha256 {item.sha256}")
        self.stdout.write(self.style.SUCCESS(f"Exported {case.reference}."))
