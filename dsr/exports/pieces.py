"""The pieces an export is made of, as plain data (built by dsr.exports.content, written out by
the report, the package and the web page): tables of cells, what a system held, the entries
about purposes, categories, recipients, transfers and retention."""

import json
import re
from dataclasses import dataclass, field
from datetime import datetime

from dsr.choices import Right

# Where the files go inside the data package (dsr.exports.package). Decided here because the
# report names the file that holds each table it shortens.
PORTABLE_FOLDER = "portable"
APPENDIX_FOLDER = "appendix"
ACCESS_LOG_FILE = f"{APPENDIX_FOLDER}/access-log.csv"
SYSTEM_JSON_FILE = "data.json"


# --- Cells ----------------------------------------------------------------------------------


def cell_text(value) -> str:
    """A JSON value as text, the same in the CSV files, the report and the web page."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return json.dumps(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


# Words a column name spells in lower case that read better as the abbreviation they are.
ABBREVIATIONS = {"id": "ID", "ip": "IP", "url": "URL", "api": "API", "vat": "VAT", "sek": "SEK"}


def column_title(name: str) -> str:
    """A column name as a heading: "occurred_at" -> "Occurred at", "ip_address" -> "IP
    address"."""
    words = re.sub(r"[_\s]+", " ", str(name)).strip().split(" ")
    words = [ABBREVIATIONS.get(w.lower(), w) if w.islower() else w for w in words]
    text = " ".join(words)
    return text[:1].upper() + text[1:] if text else str(name)


# --- The pieces -----------------------------------------------------------------------------


@dataclass
class Table:
    """Rows of one query (a connector's label), or the access log. `rows` hold the exported
    JSON values in column order; `path` is the table's CSV file in the data package, when it
    is there."""

    key: str
    title: str
    columns: list[str]
    rows: list[list]
    system: str = ""
    category: str = ""
    label: str = ""
    provided: bool = False
    path: str = ""

    @property
    def row_count(self) -> int:
        return len(self.rows)

    @property
    def column_titles(self) -> list[str]:
        return [column_title(c) for c in self.columns]

    def row_dicts(self):
        for row in self.rows:
            yield dict(zip(self.columns, row, strict=True))


@dataclass
class CategoryData:
    name: str
    description: str
    provided: bool
    tables: list[Table] = field(default_factory=list)

    @property
    def row_count(self) -> int:
        return sum(t.row_count for t in self.tables)


@dataclass
class ReceivedFile:
    """A file a system sent back that is not the portal's JSON of rows (a webhook's PDF, a
    ZIP): passed on as it is."""

    name: str
    data: bytes
    path: str = ""
    portable: bool = False

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class SystemData:
    """One system to search for the person, what came of it, and the data it exported.
    `complete`: nothing more will come of it; `searched`: the search was done (not skipped,
    failed or still under way), so finding nothing there is a finding."""

    name: str
    slug: str
    description: str
    location: str
    outcome: str
    complete: bool
    searched: bool = False
    categories: list[CategoryData] = field(default_factory=list)
    files: list[ReceivedFile] = field(default_factory=list)
    all_categories_provided: bool = False

    @property
    def tables(self) -> list[Table]:
        return [t for c in self.categories for t in c.tables]

    @property
    def row_count(self) -> int:
        return sum(c.row_count for c in self.categories)

    @property
    def anchor(self) -> str:
        return f"system-{self.slug}"


@dataclass(frozen=True)
class RetentionEntry:
    period: str
    action: str
    legal_reference: str
    legal_obligation: bool
    description: str


@dataclass(frozen=True)
class PurposeEntry:
    name: str
    purpose: str
    legal_bases: tuple[str, ...]
    categories: tuple[str, ...]
    recipient_categories: str
    retention: RetentionEntry | None
    retention_notes: str
    data_source: str
    automated_decision_making: str


@dataclass(frozen=True)
class CategoryEntry:
    name: str
    description: str
    special: bool
    provided: bool
    rows_found: int
    systems: tuple[str, ...]
    retention: RetentionEntry | None


@dataclass(frozen=True)
class RecipientEntry:
    name: str
    legal_entity: str
    role: str
    country: str
    outside_eea: bool
    what: str
    categories: tuple[str, ...]


@dataclass(frozen=True)
class TransferEntry:
    importer: str
    importer_entity: str
    exporter: str
    destination: str
    mechanism: str
    safeguard_detail: str
    signed_on: str
    categories: tuple[str, ...]


@dataclass
class ExportContent:
    """Everything the report, the package and the web page say about one request."""

    reference: str
    right: str
    generated_at: datetime
    person_name: str
    emails: list[str]
    received_on: str
    controller_name: str
    controller_email: str
    controller_address: str
    dpo: str
    authority: str
    authority_url: str
    subject_source: str
    purposes: list[PurposeEntry]
    processor_purposes: list[str]
    categories: list[CategoryEntry]
    recipients: list[RecipientEntry]
    transfers: list[TransferEntry]
    sources: list[tuple[str, str]]
    automated_decisions: list[tuple[str, str]]
    access_log: Table
    systems: list[SystemData]

    @property
    def is_access(self) -> bool:
        return self.right == Right.ACCESS

    @property
    def tables(self) -> list[Table]:
        return [t for s in self.systems for t in s.tables]

    @property
    def row_count(self) -> int:
        return sum(s.row_count for s in self.systems)

    @property
    def has_data(self) -> bool:
        return self.row_count > 0 or any(s.files for s in self.systems)

    @property
    def portable_systems(self) -> list[SystemData]:
        """Systems with data the person provided (Art. 20), each with only that data."""
        portable = []
        for system in self.systems:
            categories = [c for c in system.categories if c.provided and c.tables]
            files = [f for f in system.files if f.portable]
            if categories or files:
                portable.append(
                    SystemData(
                        name=system.name,
                        slug=system.slug,
                        description=system.description,
                        location=system.location,
                        outcome=system.outcome,
                        complete=system.complete,
                        searched=system.searched,
                        categories=categories,
                        files=files,
                    )
                )
        return portable

    @property
    def open_systems(self) -> list[SystemData]:
        return [s for s in self.systems if not s.complete]

    @property
    def searched_systems(self) -> list[SystemData]:
        return [s for s in self.systems if s.searched]
