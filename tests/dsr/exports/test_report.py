"""The access report (dsr.exports.report) read back as text: every Art. 15 item derived from
the register and the data, long tables sent to the data package, hostile and unicode text
safe, in the requester's language."""

import csv
import hashlib
import io
import json
import re
import subprocess

import pytest
from django.utils import translation

from dsr import exports
from dsr.choices import ExportFileKind
from dsr.exports.report import pdf_page_count, rows_to_show
from tests.dsr.exports.data import (
    ACCESS_PURPOSE,
    ADM,
    CHINESE,
    EVENTS,
    FORMULA,
    IMAGE,
    INVOICES,
    LAW,
    PDFINFO,
    PERSON,
    SCRIPT,
    SERVICE_SOURCE,
    TABLE_ROWS,
    open_package,
    package_file,
)
from tests.pdf import pdf_text, squash_words

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]

# --- The access report ----------------------------------------------------------------------


def test_an_access_export_is_a_report_a_package_and_a_web_page(access_case):
    built = exports.build(access_case)

    reference = access_case.reference
    assert [(f.kind, f.name, f.content_type) for f in built.files] == [
        (ExportFileKind.REPORT, f"{reference}-access-report.pdf", "application/pdf"),
        (ExportFileKind.PACKAGE, f"{reference}-data.zip", "application/zip"),
        (ExportFileKind.HTML, f"{reference}-data.html", "text/html; charset=utf-8"),
    ]
    for item in built.files:
        assert item.sha256 == hashlib.sha256(item.data).hexdigest()
    assert built.file(ExportFileKind.REPORT).data.startswith(b"%PDF")
    stats = built.stats
    assert stats["rows"] == {
        "Platform database / users": 1,
        "Platform event store and logs / events": EVENTS,
        "Billing (Stripe) / invoices": INVOICES,
    }
    assert stats["rows_total"] == 1 + EVENTS + INVOICES
    assert stats["systems_open"] == ["Newsletter tool"]
    assert stats["access_log_entries"] == 2
    assert set(stats["seconds"]) == {"content", "report", "package", "html", "total"}
    json.dumps(stats)  # stored on the ExportJob as JSON


def test_the_report_states_every_article_15_item_from_the_register(access_case, register, tmp_path):
    built = exports.build(access_case)
    text = pdf_text(built.file(ExportFileKind.REPORT).data)

    # The cover: whose report, which request, when.
    assert PERSON in text and access_case.reference in text and "Opper Technology AB" in text
    assert "Yes: Opper Technology AB processes personal data about you." in text
    # Every item of Art. 15(1), and 15(2), has its section.
    for item in "abcdgh":
        assert f"Art. 15(1)({item})" in text, item
    assert "Art. 15(1)(e) and (f)" in text and "Art. 15(2)" in text
    # (a) The purposes that concern an organisation administrator, with their bases in words.
    assert "Providing the platform service" in text
    assert "To give customers and their users access to the platform and operate it." in text
    assert "It is necessary for a contract with you" in text
    assert "Invoicing, administration and bookkeeping" in text
    assert f"The law requires it (Art. 6(1)(c)). The law: {LAW}." in text
    assert "Our legitimate interests, which we have weighed against your interests" in text
    assert "Recruiting" not in text
    # (b) The categories, with what was found about the person.
    for category in ("Account and organisation membership", "Usage events"):
        assert category in text
    assert f"{EVENTS} rows in Platform event store and logs" in text
    assert "Job applications" not in text
    # (c) The recipients by name, with role and country; not those of other processing.
    for name in ("Amazon Web Services", "Amazon Web Services, Inc.", "Stripe", "Google"):
        assert name in text, name
    assert "Amazon Web Services EMEA SARL" in text and "Luxembourg" in text
    assert "Sub-processor" in text and "Independent controller" in text
    assert "Recruiting Agency AB" not in text
    # (d) Each retention period in the rule's own words, with the law where one applies.
    with translation.override("en"):
        periods = [r.period_text for r in vars(register.rules).values()]
    for period in periods:
        assert period in text, period
    assert LAW in text
    # (e) The rights, (f) the complaint to IMY.
    for right in ("rectification, Art. 16", "erasure, Art. 17", "restriction, Art. 18"):
        assert right in text
    assert "objection, Art. 21" in text
    assert "Integritetsskyddsmyndigheten (IMY), https://www.imy.se" in text
    # (g) Where the data comes from: the subject's source and the activities' sources.
    assert "Their organisation" in text and SERVICE_SOURCE in text
    # (h) Automated decision-making, as the register describes it.
    assert ADM in text
    # 15(2): the transfer's destination, importer and safeguard.
    assert "United States" in text
    assert (
        "Standard contractual clauses 2021/914 (Art. 46(2)(c)); Module 3: processor to processor"
        in text
    )
    assert "onward transfer by Amazon Web Services" in text
    # The access log: dates and purposes, no staff names.
    assert "2026-02-12 14:30" in text and ACCESS_PURPOSE in text
    assert "Our staff" in text and "officer" not in text
    # The data, with column headers, grouped by system and category.
    assert "Your data, system by system" in text
    assert "IP address" in text and "Occurred at" in text
    assert "Nordvind Analys AB" in text and CHINESE in text
    assert "INV-2025-0000" in text
    # Systems still being searched, and files sent as they are.
    assert "Newsletter tool" in text and "Not finished yet" in text
    assert "conversations.pdf" in text


def test_a_long_table_shows_its_first_rows_and_the_package_has_all_of_it(access_case, tmp_path):
    built = exports.build(access_case)
    text = pdf_text(built.file(ExportFileKind.REPORT).data)
    archive, root = open_package(built)

    events_file = "portable/platform-event-store-and-logs/events.csv"
    invoices_file = "appendix/billing-stripe/invoices.csv"
    assert squash_words(
        f"Only the first {TABLE_ROWS} of {EVENTS} rows are shown here; {EVENTS - TABLE_ROWS} "
        f"more rows are not. The complete table is in the data package, in the file "
        f"{events_file}."
    ) in squash_words(text)
    assert squash_words(f"in the file {invoices_file}.") in squash_words(text)
    assert "Appendix: tables in the data package" in text
    # The first rows are printed, the later ones are not.
    assert "81.2.0.1 " in text and f"81.2.0.{TABLE_ROWS + 5} " not in text
    # The package holds every row of both, invoices (not portable) in the appendix folder.
    for path, count in ((events_file, EVENTS), (invoices_file, INVOICES)):
        rows = list(csv.reader(io.StringIO(package_file(archive, root, path).decode("utf-8-sig"))))
        assert len(rows) == count + 1, path
    assert built.stats["report"]["appendix"] == [
        {"table": invoices_file, "rows_shown": TABLE_ROWS, "rows": INVOICES},
        {"table": events_file, "rows_shown": TABLE_ROWS, "rows": EVENTS},
    ]
    assert built.stats["package"]["appendix_files"] == [invoices_file]


def test_the_report_has_contents_bookmarks_page_numbers_fonts_and_tags(access_case, tmp_path):
    data = exports.build(access_case).file(ExportFileKind.REPORT).data
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    info = subprocess.run([PDFINFO, str(path)], capture_output=True, text=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert re.search(r"Tagged:\s+yes", info)
    assert pdf_page_count(data) == pages
    text = pdf_text(data)
    assert f"Page 1 of {pages}" in text and f"Page {pages} of {pages}" in text
    assert "Contents" in text and "Who receives your data" in text
    fonts = subprocess.run(
        ["/usr/bin/pdffonts", str(path)], capture_output=True, text=True
    ).stdout.splitlines()[2:]
    assert fonts and all(re.search(r"\byes\s+yes\s+(yes|no)\s+\d+\s+\d+\s*$", f) for f in fonts)
    # Bookmarks: the sections at the top level, each system and table beneath.
    xml = subprocess.run(
        ["/usr/bin/pdftohtml", "-xml", "-i", "-stdout", "-q", str(path)],
        capture_output=True,
        text=True,
    ).stdout
    outline = re.findall(r'<item page="\d+">([^<]*)</item>', xml)
    for title in ("1. In short", "4. Who receives your data", "Platform database", "users: 1 row"):
        assert title in outline, title
    assert "12. Appendix: tables in the data package" in outline


def test_hostile_cells_are_text_in_the_report(access_case, tmp_path):
    # An <img> tag read as HTML would make WeasyPrint fetch the address, which the renderer
    # refuses: the report being built at all shows the cells were escaped.
    built = exports.build(access_case)
    text = pdf_text(built.file(ExportFileKind.REPORT).data)
    squashed = squash_words(text)
    assert squash_words(SCRIPT) in squashed
    assert squash_words(IMAGE) in squashed
    assert squash_words(FORMULA) in squashed


def test_rows_are_shared_out_small_tables_first():
    assert rows_to_show([5, 10_000, 3], per_table=200, total=1000, minimum=20) == [5, 200, 3]
    assert rows_to_show([900, 900, 900], per_table=500, total=900, minimum=20) == [300] * 3
    assert rows_to_show([10] * 200, per_table=200, total=1000, minimum=20) == [10] * 200
    assert sum(rows_to_show([5000] * 100, per_table=200, total=1000, minimum=20)) == 2000
