"""The access report (Art. 15): a PDF a person can read, built from ExportContent.

The information of Art. 15(1)(a)-(h) and 15(2), the log of access to the person's data, then
their data system by system as tables. A table longer than REPORT_TABLE_ROWS shows its first
rows and says how many more there are and which file of the data package holds all of it, so
the report stays readable (and WeasyPrint's time and memory bounded: a 10,000-row table alone
is some 435 pages and a gigabyte of memory). The rows shown are shared out so that the whole
report holds at most REPORT_TOTAL_ROWS, small tables first, none fewer than REPORT_MIN_ROWS.
"""

import math
import re
import zlib
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from core.pdf import render_pdf
from dsr.choices import ExportFileKind
from dsr.exports.files import BuiltFile
from dsr.exports.pieces import ExportContent, Table, cell_text

REPORT_TEMPLATE = "pdf/dsr/access_report.html"
# At most this many rows of one table in the report; the data package has all of them.
REPORT_TABLE_ROWS = 200
# At most this many rows of data in the whole report (some 20 pages of tables).
REPORT_TOTAL_ROWS = 600
# However many tables there are, each shows at least this many rows.
REPORT_MIN_ROWS = 20
# A longer value is shortened in the report (the data package has it whole).
REPORT_CELL_CHARS = 600
# Tables with more columns than this are printed on landscape pages.
REPORT_WIDE_COLUMNS = 6
# Column widths, in characters of the tables' type: a line holds about LINE_CHARACTERS
# (portrait) or WIDE_LINE_CHARACTERS (landscape, smaller type); each column gets room for its
# longest word up to COLUMN_WORD_CHARACTERS, and wants room for its longest value up to
# COLUMN_MAX_CHARACTERS (longer text wraps), judged on its first COLUMN_SAMPLE_ROWS rows.
LINE_CHARACTERS = 94
WIDE_LINE_CHARACTERS = 170
COLUMN_SAMPLE_ROWS = 50
COLUMN_WORD_CHARACTERS = 16
COLUMN_MAX_CHARACTERS = 40
COLUMN_MIN_CHARACTERS = 4
COLUMN_PADDING_CHARACTERS = 3
BOLD_WIDTH = 1.15


@dataclass
class ShownTable:
    """A table as the report prints it: its first rows as text, and what was left out."""

    table: Table
    anchor: str
    rows: list[list[str]]
    shortened_cells: bool = False

    @property
    def shown(self) -> int:
        return len(self.rows)

    @property
    def more(self) -> int:
        return self.table.row_count - len(self.rows)

    @property
    def in_appendix(self) -> bool:
        return bool(self.more or self.shortened_cells)

    @property
    def wide(self) -> bool:
        return len(self.table.columns) > REPORT_WIDE_COLUMNS

    @property
    def column_widths(self) -> list[str]:
        """Each column's share of the width, from what it shows in its first rows. The table is
        laid out with these (table-layout: fixed), which spares WeasyPrint measuring every
        cell. Each column first gets room for its longest word (up to a limit), so that short
        words stay whole; what is left goes to the columns with longer text."""
        sample = self.rows[:COLUMN_SAMPLE_ROWS]
        needs, wants = [], []
        for index, title in enumerate(self.table.column_titles):
            word = max(
                max((len(w) for row in sample for w in row[index].split()), default=0),
                # Headings are bold, so wider.
                math.ceil(BOLD_WIDTH * max((len(w) for w in title.split()), default=0)),
            )
            longest = max((len(row[index]) for row in sample), default=0)
            need = min(max(word, COLUMN_MIN_CHARACTERS), COLUMN_WORD_CHARACTERS)
            needs.append(need + COLUMN_PADDING_CHARACTERS)
            wants.append(max(min(longest, COLUMN_MAX_CHARACTERS), need) + COLUMN_PADDING_CHARACTERS)
        room = WIDE_LINE_CHARACTERS if self.wide else LINE_CHARACTERS
        if sum(wants) <= room or sum(needs) >= room:
            widths = wants if sum(wants) <= room else needs
        else:
            share = (room - sum(needs)) / (sum(wants) - sum(needs))
            widths = [n + (w - n) * share for n, w in zip(needs, wants, strict=True)]
        total = sum(widths) or 1
        return [f"{100 * width / total:.2f}%" for width in widths]

    @property
    def note(self) -> str:
        if self.more:
            return _(
                "Only the first %(shown)d of %(total)d rows are shown here; %(more)d more rows "
                "are not. The complete table is in the data package, in the file %(file)s."
            ) % {
                "shown": self.shown,
                "total": self.table.row_count,
                "more": self.more,
                "file": self.table.path,
            }
        if self.shortened_cells:
            return _(
                "Some long values are shortened here. The complete table is in the data "
                "package, in the file %(file)s."
            ) % {"file": self.table.path}
        return ""


@dataclass
class ReportResult:
    file: BuiltFile
    pages: int
    rows_shown: int
    appendix: list[ShownTable] = field(default_factory=list)


def rows_to_show(counts: list[int], *, per_table: int, total: int, minimum: int) -> list[int]:
    """How many rows of each table to print: small tables whole, the budget shared evenly
    among the rest (water-filling), never more than `per_table` nor fewer than `minimum`."""
    shown = [0] * len(counts)
    remaining = total
    order = sorted(range(len(counts)), key=lambda i: counts[i])
    for position, index in enumerate(order):
        share = remaining // (len(order) - position) if remaining > 0 else 0
        shown[index] = min(counts[index], per_table, max(share, minimum))
        remaining -= shown[index]
    return shown


def _shown_rows(table: Table, count: int) -> tuple[list[list[str]], bool]:
    yes, no = _("yes"), _("no")
    shortened = False
    rows = []
    for row in table.rows[:count]:
        cells = []
        for value in row:
            text = yes if value is True else no if value is False else cell_text(value)
            if len(text) > REPORT_CELL_CHARS:
                text = text[:REPORT_CELL_CHARS].rstrip() + " …"
                shortened = True
            cells.append(text)
        rows.append(cells)
    return rows, shortened


def plan_tables(content: ExportContent) -> tuple[dict[str, ShownTable], ShownTable]:
    """The data tables (by key) and the access log as the report shows them."""
    tables = content.tables
    counts = rows_to_show(
        [t.row_count for t in tables] + [content.access_log.row_count],
        per_table=REPORT_TABLE_ROWS,
        total=REPORT_TOTAL_ROWS,
        minimum=REPORT_MIN_ROWS,
    )
    shown = {}
    for number, (table, count) in enumerate(zip(tables, counts, strict=False), start=1):
        rows, shortened = _shown_rows(table, count)
        shown[table.key] = ShownTable(table, f"table-{number}", rows, shortened)
    rows, shortened = _shown_rows(content.access_log, counts[-1])
    return shown, ShownTable(content.access_log, "access-log-table", rows, shortened)


_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.DOTALL)
_PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![A-Za-z])")


def pdf_page_count(pdf: bytes) -> int:
    """Pages of a PDF WeasyPrint wrote: its page objects, which sit in compressed object
    streams (/ObjStm) or, in an uncompressed file, in the body."""
    pages = len(_PAGE_OBJECT.findall(pdf))
    for match in _STREAM.finditer(pdf):
        if b"/ObjStm" not in pdf[max(0, match.start() - 300) : match.start()]:
            continue
        try:
            pages += len(_PAGE_OBJECT.findall(zlib.decompress(match.group(1))))
        except zlib.error:
            continue
    return pages


def build_report(content: ExportContent, *, name: str) -> ReportResult:
    shown, access_log = plan_tables(content)
    systems = [
        {
            "system": system,
            "categories": [
                {"category": category, "tables": [shown[t.key] for t in category.tables]}
                for category in system.categories
                if category.tables
            ],
        }
        for system in content.systems
    ]
    appendix = [t for t in [*shown.values(), access_log] if t.in_appendix]
    title = _("Access report %(reference)s") % {"reference": content.reference}
    pdf = render_pdf(
        REPORT_TEMPLATE,
        {
            "content": content,
            "systems": systems,
            "access_log": access_log,
            "appendix": appendix,
            "document_title": title,
            "document_author": content.controller_name,
            "document_description": _("Right of access, Article 15 GDPR"),
            "generated_at": content.generated_at,
            "limits": {"per_table": REPORT_TABLE_ROWS, "cell": REPORT_CELL_CHARS},
        },
    )
    return ReportResult(
        file=BuiltFile(
            kind=ExportFileKind.REPORT, name=name, content_type="application/pdf", data=pdf
        ),
        pages=pdf_page_count(pdf),
        rows_shown=sum(t.shown for t in shown.values()) + access_log.shown,
        appendix=appendix,
    )
