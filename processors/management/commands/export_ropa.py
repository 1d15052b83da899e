"""Write the record of processing activities (Art. 30) to a PDF or CSV file."""

import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from core.errors import ApplicationError
from privacy.models import Organisation
from processors.documents import render_ropa_csv, render_ropa_pdf
from processors.ropa import View, ropa_record

RENDERERS = {"pdf": render_ropa_pdf, "csv": render_ropa_csv}


class Command(BaseCommand):
    help = (
        "Export the record of processing activities: the controller's record (Art. 30(1)) or "
        "the processor's record for customers (Art. 30(2)), as PDF or CSV."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--format",
            choices=list(RENDERERS),
            help="pdf or csv; by default taken from the output file's extension.",
        )
        parser.add_argument(
            "--output", required=True, help="The file to write; an existing file needs --force."
        )
        parser.add_argument(
            "--force", action="store_true", help="Overwrite the output file if it exists."
        )
        parser.add_argument(
            "--view",
            choices=View.ALL,
            default=View.CONTROLLER,
            help="controller (Art. 30(1), the default) or processor (Art. 30(2)).",
        )
        parser.add_argument(
            "--organisation",
            type=int,
            metavar="ID",
            help="With --view processor: the record for one customer organisation.",
        )
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            default=settings.LANGUAGE_CODE,
            help="The language of the document.",
        )

    def handle(self, *args, **options):
        output = Path(options["output"])
        if output.is_dir():
            raise CommandError(f"{output} is a directory; name the file to write.")
        fmt = options["format"] or output.suffix.lower().lstrip(".")
        if fmt not in RENDERERS:
            raise CommandError(
                f"Cannot tell the format from {output.name!r}: pass --format pdf or --format csv."
            )
        if options["organisation"] is not None and options["view"] != View.PROCESSOR:
            raise CommandError(
                "--organisation applies to the processor's record: add --view processor."
            )
        if not output.parent.is_dir():
            raise CommandError(f"The folder {output.parent} does not exist.")
        if output.exists() and not options["force"]:
            raise CommandError(f"{output} exists; pass --force to overwrite it.")

        with translation.override(options["language"]):
            try:
                record = ropa_record(options["view"], organisation_id=options["organisation"])
            except Organisation.DoesNotExist:
                raise CommandError(
                    f"No customer organisation has the id {options['organisation']}."
                ) from None
            except ApplicationError as error:
                raise CommandError(error.message) from error
            content = RENDERERS[fmt](record)

        _write_atomically(output, content)
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {output} ({fmt.upper()}, {len(record.activities)} activities, "
                f"{len(content):,} bytes)."
            )
        )


def _write_atomically(path: Path, content: bytes) -> None:
    """Write next to the target and rename, so a failure never leaves half a file.

    The file is readable by its owner only (mkstemp), as befits an internal compliance record.
    """
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
