"""The data package: a ZIP of the data the person provided (Art. 20), machine-readable.

Layout, inside one folder named after the file (DSR-2026-000123-data/):

    README.txt                      what each file is, in the case's language
    manifest.json                   every file with its size and SHA-256
    SHA256SUMS                      the same hashes, for `sha256sum -c SHA256SUMS`
    schema/package-v1.json          the JSON Schema of the data.json files
    portable/<system>/data.json     per system: the provided data, by category and table
    portable/<system>/<table>.csv   per table: the same rows as CSV
    appendix/...                    access requests only: complete tables the report
                                    shortened that are not portable data (data we did not get
                                    from the person, the access log), and files a system sent

Only categories whose DataCategory.provided_by_subject is true are portable. The archive is
written entry by entry into one buffer (deflate), each CSV and JSON file streamed row by row,
so no file is ever held whole beside the archive.
"""

import csv
import hashlib
import io
import json
import re
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dsr.choices import ExportFileKind
from dsr.exports.files import BuiltFile
from dsr.exports.pieces import (
    PORTABLE_FOLDER,
    SYSTEM_JSON_FILE,
    ExportContent,
    SystemData,
    Table,
    cell_text,
)
from processors.documents import FORMULA_PREFIXES

SCHEMA_VERSION = "1"
SCHEMA_FILE = Path(__file__).resolve().parent / "schema" / "package-v1.json"
SCHEMA_PATH = "schema/package-v1.json"
README_TEMPLATE = "dsr/exports/README.txt"
# Rows written to the archive at a time.
CSV_CHUNK_ROWS = 500
# A plain number is never a formula, even with a leading minus.
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?\Z")


def csv_cell(value) -> str:
    """A value as a CSV cell: its text, with an apostrophe in front when a spreadsheet would
    read it as a formula (OWASP "CSV injection"); the JSON keeps the value as it is."""
    text = cell_text(value)
    if text.startswith(FORMULA_PREFIXES) and not _NUMBER.match(text):
        return "'" + text
    return text


@dataclass(frozen=True)
class ManifestEntry:
    path: str
    size: int
    sha256: str
    description: str


class _Writer:
    """Writes text or bytes to one archive entry, counting and hashing what it writes."""

    def __init__(self, raw):
        self.raw = raw
        self.hash = hashlib.sha256()
        self.size = 0

    def write(self, data: str | bytes) -> None:
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.raw.write(data)
        self.hash.update(data)
        self.size += len(data)


class _Archive:
    def __init__(self, buffer: io.BytesIO, root: str, when):
        self.zip = zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6)
        self.root = root
        self.date_time = when.timetuple()[:6]
        self.entries: list[ManifestEntry] = []

    @contextmanager
    def entry(self, path: str, description: str):
        info = zipfile.ZipInfo(f"{self.root}/{path}", date_time=self.date_time)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        with self.zip.open(info, "w", force_zip64=True) as raw:
            writer = _Writer(raw)
            yield writer
        self.entries.append(ManifestEntry(path, writer.size, writer.hash.hexdigest(), description))

    def close(self) -> None:
        self.zip.close()


def _write_csv(writer: _Writer, table: Table) -> None:
    buffer = io.StringIO()
    rows = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    # The byte order mark makes spreadsheet programs read UTF-8 (å, ä, ö) correctly.
    buffer.write("\ufeff")
    rows.writerow([csv_cell(c) for c in table.columns])
    for number, row in enumerate(table.rows, start=1):
        rows.writerow([csv_cell(v) for v in row])
        if number % CSV_CHUNK_ROWS == 0:
            writer.write(buffer.getvalue())
            buffer.seek(0)
            buffer.truncate()
    writer.write(buffer.getvalue())


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _open_object(fields: dict, list_key: str) -> str:
    """'{"a": 1, "list_key": [': an object whose last member, a list, is written next."""
    return _dumps(fields)[:-1] + (", " if fields else "") + f"{_dumps(list_key)}: ["


def _write_system_json(writer: _Writer, content: ExportContent, system: SystemData, files):
    """portable/<system>/data.json, streamed: the head, then each table's rows one by one."""
    head = {
        "schema_version": SCHEMA_VERSION,
        "case_reference": content.reference,
        "generated_at": timezone.localtime(content.generated_at).isoformat(),
        "controller": content.controller_name,
        "system": {
            "name": system.name,
            "description": system.description,
            "location": system.location,
        },
        "files": files,
    }
    writer.write(_open_object(head, "categories"))
    for c_index, category in enumerate(system.categories):
        writer.write(",\n  " if c_index else "\n  ")
        writer.write(
            _open_object({"name": category.name, "description": category.description}, "tables")
        )
        for t_index, table in enumerate(category.tables):
            writer.write(",\n   " if t_index else "\n   ")
            fields = {
                "label": table.label,
                "csv": table.path,
                "columns": table.columns,
                "row_count": table.row_count,
            }
            writer.write(_open_object(fields, "rows"))
            for r_index, row in enumerate(table.rows):
                writer.write(",\n    " if r_index else "\n    ")
                writer.write(_dumps(dict(zip(table.columns, row, strict=True))))
            writer.write("\n   ]}")
        writer.write("\n  ]}")
    writer.write("\n]}\n")


def build_package(
    content: ExportContent, *, name: str, appendix: list[Table] = ()
) -> tuple[BuiltFile, dict]:
    """The ZIP, and figures about it. `appendix` are the tables the access report shortened:
    those not already in the portable part are added under appendix/."""
    root = name.removesuffix(".zip")
    buffer = io.BytesIO()
    archive = _Archive(buffer, root, timezone.localtime(content.generated_at))
    portable = content.portable_systems
    for system in portable:
        files = []
        for received in system.files:
            with archive.entry(
                received.path,
                _("%(system)s: a file the system sent, as it is") % {"system": system.name},
            ) as writer:
                writer.write(received.data)
            entry = archive.entries[-1]
            files.append(
                {
                    "name": received.name,
                    "path": received.path,
                    "size": entry.size,
                    "sha256": entry.sha256,
                }
            )
        for table in system.tables:
            with archive.entry(
                table.path,
                ngettext(
                    "%(system)s, %(category)s: %(label)s (CSV, %(rows)d row)",
                    "%(system)s, %(category)s: %(label)s (CSV, %(rows)d rows)",
                    table.row_count,
                )
                % {
                    "system": system.name,
                    "category": table.category,
                    "label": table.label,
                    "rows": table.row_count,
                },
            ) as writer:
                _write_csv(writer, table)
        with archive.entry(
            f"{PORTABLE_FOLDER}/{system.slug}/{SYSTEM_JSON_FILE}",
            _("%(system)s: all the tables as JSON (schema version %(version)s)")
            % {"system": system.name, "version": SCHEMA_VERSION},
        ) as writer:
            _write_system_json(writer, content, system, files)

    extra = [t for t in appendix if not t.path.startswith(f"{PORTABLE_FOLDER}/")]
    for table in extra:
        source = f"{table.system}, {table.category}: {table.label}" if table.system else table.title
        with archive.entry(
            table.path,
            ngettext(
                "%(table)s (CSV, %(rows)d row): complete table from the access report",
                "%(table)s (CSV, %(rows)d rows): complete table from the access report",
                table.row_count,
            )
            % {"table": source, "rows": table.row_count},
        ) as writer:
            _write_csv(writer, table)
    if content.is_access:
        for system in content.systems:
            for received in system.files:
                if received.portable:
                    continue
                with archive.entry(
                    received.path,
                    _("%(system)s: a file the system sent, as it is") % {"system": system.name},
                ) as writer:
                    writer.write(received.data)

    with archive.entry(SCHEMA_PATH, _("The JSON Schema of the data.json files")) as writer:
        writer.write(SCHEMA_FILE.read_bytes())
    readme = render_to_string(
        README_TEMPLATE,
        {
            "content": content,
            "root": root,
            "portable": portable,
            "entries": archive.entries,
            "appendix": extra,
            "schema_version": SCHEMA_VERSION,
            "schema_path": SCHEMA_PATH,
        },
    )
    with archive.entry("README.txt", _("What is in this package (this file)")) as writer:
        writer.write(readme.replace("\r\n", "\n").replace("\n", "\r\n"))
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "case_reference": content.reference,
        "generated_at": timezone.localtime(content.generated_at).isoformat(),
        "language": translation.get_language() or "",
        "hash_algorithm": "sha256",
        "files": [
            {"path": e.path, "size": e.size, "sha256": e.sha256, "description": e.description}
            for e in archive.entries
        ],
    }
    with archive.entry("manifest.json", _("Every file with its size and SHA-256")) as writer:
        writer.write(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n")
    sums = "".join(f"{e.sha256}  {e.path}\n" for e in archive.entries)
    with archive.entry("SHA256SUMS", _("SHA-256 of every file, for sha256sum -c")) as writer:
        writer.write(sums)
    archive.close()
    data = buffer.getvalue()
    buffer.close()
    stats = {
        "files": len(archive.entries),
        "portable_tables": sum(len(s.tables) for s in portable),
        "portable_rows": sum(s.row_count for s in portable),
        "appendix_files": [t.path for t in extra],
        "bytes": len(data),
    }
    return (
        BuiltFile(
            kind=ExportFileKind.PACKAGE, name=name, content_type="application/zip", data=data
        ),
        stats,
    )
