"""The record of processing activities (Art. 30) as PDF and CSV: what it says, for the
controller and as a processor, and the queries it takes."""

import re
import subprocess

import pytest

from core.errors import ApplicationError
from core.pdf import StaticFilesFetcher
from privacy.models import Organisation
from processors import ropa
from processors.documents import render_ropa_csv, render_ropa_pdf
from tests.factories import (
    ControllerProfileFactory,
    DataCategoryFactory,
    OrganisationFactory,
    ProcessingActivityFactory,
    ProcessorWithAgreementFactory,
    RetentionRuleFactory,
    TransferFactory,
    UserFactory,
)
from tests.helpers import count_queries
from tests.pdf import pdf_pages, squash
from tests.processors.records import (
    CONTROLLER_LABELS,
    expected_values,
    pdf_catalog,
    read_csv,
    section_texts,
)

pytestmark = pytest.mark.django_db

# --- The controller's record as PDF ---------------------------------------------------------


def test_pdf_contains_every_article_30_1_item_for_every_activity(register):
    profile = register["profile"]
    activities = sorted(register["activities"], key=lambda a: a.name)

    pages = pdf_pages(render_ropa_pdf(ropa.ropa_controller_record()))

    headings = [f"{n}. {a.name}" for n, a in enumerate(activities, start=1)]
    sections = section_texts(pages, ["The controller", *headings])
    for heading, activity in zip(headings, activities, strict=True):
        section = squash(sections[heading])
        for label, article in CONTROLLER_LABELS:
            assert squash(label) in section, (activity.name, label)
            assert squash(article) in section, (activity.name, article)
        for value in expected_values(activity, profile):
            assert squash(value) in section, (activity.name, value)
    # Only active activities where we are controller.
    text = " ".join(pages)
    assert "Retired activity" not in text
    assert "Customer workspaces" not in text


def test_pdf_states_the_details_an_authority_checks(register):
    pages = pdf_pages(render_ropa_pdf(ropa.ropa_controller_record()))
    sections = section_texts(
        pages, ["The controller", "1. Customer billing", "2. Newsletter", "4. Recruitment"]
    )

    controller = squash(sections["The controller"])
    for value in [
        "Opper Technology AB (559446-3720)",
        "Västerängsvägen 51 A, 182 47 Enebyberg, Sweden",
        "support@opper.ai, +46 8 123 45 67, https://opper.ai",
        "Privacy team, privacy@opper.ai",
        "Representative in the Union",
        "Integritetsskyddsmyndigheten (IMY)",
        "Partner Media AB (Partner Media AB Ltd), Sweden: privacy@partner.example",
    ]:
        assert squash(value) in controller, value
    # The joint controller is named in its activity, not among the recipients.
    newsletter = squash(sections["2. Newsletter"])
    assert squash("Joint controllers • Partner Media AB") in newsletter
    assert squash("Legitimate interest assessment (2025-11-03)") in newsletter
    # Special categories are flagged.
    recruitment = squash(sections["4. Recruitment"])
    assert squash("Workplace adjustment needs special category (Art. 9)") in recruitment
    assert squash("Contact details special category") not in recruitment
    # Art. 49(1): which derogation, and why it applies.
    assert squash("Derogation: 49(1)(b) contract with the data subject") in recruitment
    assert squash("Why the derogation applies: The applicant asked") in recruitment
    # Retention by legal obligation names the law; the general security text is marked so.
    billing = squash(sections["1. Customer billing"])
    assert squash("Kept by legal obligation: Bokföringslagen (1999:1078) 7 kap. 2 §") in billing
    assert squash("The general description of the company's security measures.") in billing
    assert squash("Stripe (Stripe Payments Europe Ltd), Independent controller, Sweden") in billing


def test_scc_transfer_names_country_importer_and_module(register):
    pages = pdf_pages(render_ropa_pdf(ropa.ropa_controller_record()))
    hosting = squash(
        section_texts(pages, ["3. Platform accounts", "4. Recruitment"])["3. Platform accounts"]
    )

    assert squash("United States (US): Cloud Vendor Inc (Cloud Vendor Inc Ltd)") in hosting
    assert squash("Standard contractual clauses 2021/914 (Art. 46(2)(c))") in hosting
    assert squash("Module 2: controller to processor") in hosting
    assert squash("Transfer impact assessment: 2024-02-01, Essentially equivalent") in hosting
    assert squash("AWS (AWS Ltd), Processor (Art. 28), Ireland") in hosting


def test_pdf_has_cover_contents_page_numbers_and_generation_date(register):
    pages = pdf_pages(render_ropa_pdf(ropa.ropa_controller_record()))

    cover = pages[0]
    assert "ARTICLE 30(1) GDPR" in cover
    assert "Record of processing activities" in cover
    assert "Opper Technology AB" in cover
    assert "Processing activities 4" in cover
    # Frozen at 13:05 UTC: the document speaks Stockholm time.
    assert "Generated 2026-03-12 14:05 CET" in cover
    for number, page in enumerate(pages, start=1):
        assert page.endswith(f"Generated 2026-03-12 14:05 CET Page {number} of {len(pages)}")

    contents = pages[1]
    assert contents.startswith("Opper Technology AB · Article 30(1) GDPR Contents")
    listed = contents.split(" Contents ", 1)[1]
    entries = re.findall(r"(?:(\d+)\. )?([A-Z][\w ]+?) ?\.{3,} ?(\d+)", listed)
    titles = [title for _number, title, _page in entries]
    assert titles == [
        "The controller",
        "Customer billing",
        "Newsletter",
        "Platform accounts",
        "Recruitment",
    ]
    for number, title, page in entries:
        heading = f"{number}. {title}" if number else title
        start = next(i for i, text in enumerate(pages) if i > 1 and heading in text)
        assert int(page) == start + 1, (title, page)


def test_pdf_embeds_its_fonts_and_carries_metadata(register):
    content = render_ropa_pdf(ropa.ropa_controller_record())

    fonts = subprocess.run(
        ["/usr/bin/pdffonts", "-"], input=content, capture_output=True, check=True
    ).stdout.decode()
    font_rows = fonts.splitlines()[2:]
    assert font_rows and all("DejaVu-Sans" in row for row in font_rows), fonts
    assert all(row.split()[-5] == "yes" for row in font_rows), fonts  # embedded

    info = subprocess.run(
        ["/usr/bin/pdfinfo", "-"], input=content, capture_output=True, check=True
    ).stdout.decode()
    assert "Title:           Record of processing activities: Opper Technology AB" in info
    assert "Author:          Opper Technology AB" in info
    assert "Creator:         Privacy operations portal" in info
    assert "Tagged:          yes" in info
    assert "Page size:       595.276 x 841.89 pts (A4)" in info
    catalog = pdf_catalog(content)
    assert b"/Lang (en)" in catalog
    assert b"/DisplayDocTitle true" in catalog  # PDF/UA-1


def test_pdf_fetches_only_the_projects_static_files(register, monkeypatch, settings):
    settings.SITE_URL = "https://portal.example"
    fetched = []
    original = StaticFilesFetcher.fetch

    def spy(self, url, headers=None):
        fetched.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(StaticFilesFetcher, "fetch", spy)

    render_ropa_pdf(ropa.ropa_controller_record())

    assert sorted(fetched) == [
        "https://portal.example/static/core/fonts/DejaVuSans-Bold.ttf",
        "https://portal.example/static/core/fonts/DejaVuSans-Oblique.ttf",
        "https://portal.example/static/core/fonts/DejaVuSans.ttf",
    ]


# --- The controller's record as CSV ---------------------------------------------------------


def test_csv_opens_cleanly_in_spreadsheets(register):
    content = render_ropa_csv(ropa.ropa_controller_record())

    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel detects the encoding
    lines = content.decode("utf-8-sig").split("\r\n")
    assert lines[-1] == ""  # every row ends in CRLF
    assert all(line.startswith('"') for line in lines[:-1])  # every field quoted
    rows = read_csv(content)
    header, *body = rows
    assert header[:8] == [
        "Processing activity",
        "Description",
        "Controller (Art. 30(1)(a))",
        "Data protection officer or contact point (Art. 30(1)(a))",
        "Representative (Art. 27)",
        "Joint controllers (Art. 26)",
        "Purposes (Art. 30(1)(b))",
        "Legal basis (Art. 6(1))",
    ]
    for item in "bcdefg":
        assert any(f"(Art. 30(1)({item}))" in column for column in header), item
    assert [row[0] for row in body] == [
        "Customer billing",
        "Newsletter",
        "Platform accounts",
        "Recruitment",
    ]
    assert all(len(row) == len(header) for row in body)


def test_csv_has_one_column_per_item_with_multiple_values_joined(register):
    rows = read_csv(render_ropa_csv(ropa.ropa_controller_record()))
    header = rows[0]
    by_name = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}

    billing = by_name["Customer billing"]
    assert billing["Controller (Art. 30(1)(a))"] == (
        "Opper Technology AB, 559446-3720, Västerängsvägen 51 A, 182 47 Enebyberg, Sweden, "
        "support@opper.ai, +46 8 123 45 67"
    )
    assert billing["Legal basis (Art. 6(1))"] == (
        "Contract, Art. 6(1)(b); Legal obligation, Art. 6(1)(c); Law: Bokföringslagen (1999:1078)"
    )
    assert billing["Categories of personal data (Art. 30(1)(c))"] == (
        "Contact details; Invoices and payments"
    )
    assert billing["Time limits for erasure (Art. 30(1)(f))"].startswith(
        "Accounting records (Bokföringslagen): until 31 December, 7 years after the year in "
        "which the financial year ended, then delete (Bokföringslagen (1999:1078) 7 kap. 2 §)"
    )
    assert billing["Security measures (Art. 30(1)(g))"] == (
        "Encryption at rest and in transit; access logged; mandatory 2FA."
    )
    assert billing["Owner"] == "Ada Lindqvist"
    assert billing["Last reviewed"] == "2026-01-15"

    newsletter = by_name["Newsletter"]
    assert newsletter["Joint controllers (Art. 26)"].startswith("Partner Media AB")
    assert newsletter["Legitimate interest assessment"] == (
        "2025-11-03: Existing customers expect news of the service they use."
    )

    recruitment = by_name["Recruitment"]
    assert recruitment["Special categories (Art. 9)"] == "Workplace adjustment needs"
    assert recruitment["Transfers to third countries (Art. 30(1)(e))"] == (
        "Talent Partners Pvt (Talent Partners Pvt Ltd) in India (IN): Derogation for a specific "
        "situation (Art. 49), 49(1)(b) contract with the data subject. Why the derogation "
        "applies: The applicant asked to be considered for the Bangalore office."
    )
    hosting = by_name["Platform accounts"]
    assert hosting["Transfers to third countries (Art. 30(1)(e))"] == (
        "Cloud Vendor Inc (Cloud Vendor Inc Ltd) in United States (US): Standard contractual "
        "clauses 2021/914 (Art. 46(2)(c)), Module 2: controller to processor. Transfer impact "
        "assessment 2024-02-01: Essentially equivalent protection."
    )
    assert hosting["Categories of data subjects (Art. 30(1)(c))"] == (
        "Platform user; Organisation administrator"
    )


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (
            '=HYPERLINK("http://evil.example","Click")',
            '\'=HYPERLINK("http://evil.example","Click")',
        ),
        ("+46 8 123 45 67", "'+46 8 123 45 67"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Plain = fine", "Plain = fine"),
    ],
)
def test_csv_neutralises_formulas(register, value, cell):
    ProcessingActivityFactory(name="Aardvark analytics", purpose=value)

    rows = read_csv(render_ropa_csv(ropa.ropa_controller_record()))

    header = rows[0]
    row = dict(zip(header, rows[1], strict=True))
    assert row["Processing activity"] == "Aardvark analytics"
    assert row["Purposes (Art. 30(1)(b))"] == cell


def test_csv_neutralises_formulas_in_every_column():
    ControllerProfileFactory(name="=cmd|' /C calc'!A0", security_overview="-2+3")
    ProcessingActivityFactory(
        name="@evil", recipient_categories="+1", security_measures="", retention_notes="=1"
    )

    rows = read_csv(render_ropa_csv(ropa.ropa_controller_record()))

    cells = [cell for row in rows for cell in row if cell]
    assert cells
    assert not [cell for cell in cells if cell[0] in "=+-@\t\r"]
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Processing activity"] == "'@evil"
    assert row["Controller (Art. 30(1)(a))"].startswith("'=cmd|")
    assert row["Security measures (Art. 30(1)(g))"] == "'-2+3"


# --- The processor's record (Art. 30(2)) ----------------------------------------------------


def test_processor_record_lists_customers_and_processor_activities(register):
    record = ropa.ropa_processor_record()

    assert [c.name for c in record.customers] == ["Acme Analytics AB", "Borealis Health Oy"]
    assert [a.name for a in record.activities] == ["Customer workspaces"]

    pages = pdf_pages(render_ropa_pdf(record))
    assert "ARTICLE 30(2) GDPR" in pages[0]
    assert "Record of processing activities carried out as processor" in pages[0]
    assert "On behalf of 2 customer organisations" in pages[0]
    text = squash(" ".join(pages))
    for value in [
        "Art. 30(2)(a)",
        "Controllers on whose behalf we act",
        "Categories of processing",
        "Art. 30(2)(b)",
        "Store and process the content customers put in their workspaces.",
        "Workspace content",
        "Sub-processors and other recipients",
        "AWS (AWS Ltd), Processor (Art. 28), Ireland",
        "Art. 30(2)(c)",
        "United States (US): Cloud Vendor Inc",
        "Art. 30(2)(d)",
        "Tenant isolation; encryption at rest.",
        "Customer organisations",
        "Acme Analytics AB 556000-0001 SE",
        "Borealis Health Oy",
    ]:
        assert squash(value) in text, value
    assert squash("Supplier Ltd") not in text
    assert squash("Customer billing") not in text

    rows = read_csv(render_ropa_csv(record))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Controllers on whose behalf we act (Art. 30(2)(a))"] == (
        "Acme Analytics AB (556000-0001, SE); Borealis Health Oy (FI)"
    )
    assert row["Categories of processing (Art. 30(2)(b))"].startswith("Store and process")
    assert row["Security measures (Art. 30(2)(d))"] == "Tenant isolation; encryption at rest."


def test_processor_record_for_one_customer(register):
    acme = register["customers"][0]

    record = ropa.ropa_processor_record(organisation_id=acme.pk)

    assert record.organisation.name == "Acme Analytics AB"
    text = " ".join(pdf_pages(render_ropa_pdf(record)))
    assert "On behalf of Acme Analytics AB" in text
    assert "Borealis" not in text
    with pytest.raises(Organisation.DoesNotExist):
        ropa.ropa_processor_record(organisation_id=Organisation.objects.get(name="Supplier Ltd").pk)


def test_record_needs_the_controller_profile():
    ProcessingActivityFactory()

    with pytest.raises(ApplicationError, match="controller profile"):
        ropa.ropa_controller_record()


# --- Query count ----------------------------------------------------------------------------


def add_activities(count: int, start: int, role: str) -> None:
    rule = RetentionRuleFactory()
    for n in range(start, start + count):
        category = DataCategoryFactory(name=f"Category {n}", retention_rule=rule)
        activity = ProcessingActivityFactory(
            name=f"Activity {n:03d}", role=role, owner=UserFactory(), data_categories=[category]
        )
        recipient = ProcessorWithAgreementFactory(name=f"Vendor {n}")
        recipient.processing_activities.set([activity])
        transfer = TransferFactory(importer__name=f"Importer {n}")
        transfer.processing_activities.set([activity])
        transfer.data_categories.set([category])
        OrganisationFactory()


@pytest.mark.parametrize(
    ("build", "role", "most"),
    [
        (ropa.ropa_controller_record, "controller", 6),
        (ropa.ropa_processor_record, "processor", 7),
    ],
)
def test_building_the_record_takes_the_same_queries_for_3_or_30_activities(build, role, most):
    ControllerProfileFactory()
    add_activities(3, start=0, role=role)
    few = count_queries(build)

    add_activities(27, start=3, role=role)
    many = count_queries(build)

    assert len(build().activities) == 30
    assert few == many <= most
