"""The record of processing activities (Art. 30) as PDF and CSV: content, command, download."""

import csv
import io
import re
import socket
import subprocess
import zlib
from datetime import date

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.urls import NoReverseMatch, reverse

from core.errors import ApplicationError
from core.pdf import ForbiddenResourceError, StaticFilesFetcher, render_pdf
from privacy.choices import SubjectCategory
from privacy.models import Organisation
from processors import ropa
from processors.choices import Derogation, ProcessorRole, TransferMechanism
from processors.documents import render_ropa_csv, render_ropa_pdf
from tests.factories import (
    AccountingRetentionRuleFactory,
    ControllerProfileFactory,
    DataCategoryFactory,
    OrganisationFactory,
    ProcessingActivityFactory,
    ProcessorFactory,
    ProcessorWithAgreementFactory,
    RetentionRuleFactory,
    TransferFactory,
    UserFactory,
    country,
)
from tests.helpers import count_queries
from tests.pdf import pdf_pages, squash

pytestmark = pytest.mark.django_db

GENERATED = "2026-03-12T13:05:00Z"


@pytest.fixture
def register(time_machine):
    time_machine.move_to(GENERATED, tick=False)
    profile = ControllerProfileFactory(
        phone="+46 8 123 45 67",
        website="https://opper.ai",
        representative="",
    )
    accounting = AccountingRetentionRuleFactory()
    tickets = RetentionRuleFactory(name="Support tickets", period=24)
    contact = DataCategoryFactory(name="Contact details")
    invoices = DataCategoryFactory(name="Invoices and payments", retention_rule=accounting)
    health = DataCategoryFactory(name="Workplace adjustment needs", is_special_category=True)
    usage = DataCategoryFactory(name="Workspace content")
    owner = UserFactory(username="owner", first_name="Ada", last_name="Lindqvist")

    billing = ProcessingActivityFactory(
        name="Customer billing",
        purpose="Invoice customers and keep the accounts.",
        basis_contract=True,
        basis_legal_obligation=True,
        legal_obligation_reference="Bokföringslagen (1999:1078)",
        subject_categories=[SubjectCategory.ORGANISATION_ADMIN],
        recipient_categories="Payment providers; auditors",
        retention_rule=accounting,
        security_measures="",
        owner=owner,
        last_reviewed_on=date(2026, 1, 15),
        data_categories=[contact, invoices],
    )
    hosting = ProcessingActivityFactory(
        name="Platform accounts",
        purpose="Provide the platform to signed-up users.",
        subject_categories=[SubjectCategory.PLATFORM_USER, SubjectCategory.ORGANISATION_ADMIN],
        recipient_categories="Hosting providers",
        retention_rule=tickets,
        retention_notes="Deleted 24 months after the account closes.",
        security_measures="Encryption at rest and TLS 1.3 in transit.",
        data_categories=[contact],
    )
    newsletter = ProcessingActivityFactory(
        name="Newsletter",
        purpose="Send product news to subscribers.",
        basis_contract=False,
        basis_consent=True,
        basis_legitimate_interests=True,
        legitimate_interest_assessment="Existing customers expect news of the service they use.",
        legitimate_interest_assessed_on=date(2025, 11, 3),
        subject_categories=[SubjectCategory.NEWSLETTER_SUBSCRIBER],
        recipient_categories="Email delivery service",
        data_categories=[contact],
    )
    recruitment = ProcessingActivityFactory(
        name="Recruitment",
        purpose="Assess applicants for open positions.",
        subject_categories=[SubjectCategory.JOB_APPLICANT],
        recipient_categories="Recruitment agency",
        data_categories=[contact, health],
    )
    workspace = ProcessingActivityFactory(
        name="Customer workspaces",
        role="processor",
        basis_contract=False,
        purpose="Store and process the content customers put in their workspaces.",
        subject_categories=[SubjectCategory.PLATFORM_USER],
        recipient_categories="Sub-processors",
        security_measures="Tenant isolation; encryption at rest.",
        data_categories=[usage],
    )
    ProcessingActivityFactory(name="Retired activity", is_active=False)

    aws = ProcessorWithAgreementFactory(name="AWS", country=country("IE"))
    aws.processing_activities.set([hosting, workspace])
    stripe = ProcessorFactory(name="Stripe", legal_entity="Stripe Payments Europe Ltd")
    stripe.processing_activities.set([billing])
    partner = ProcessorFactory(
        name="Partner Media AB",
        role=ProcessorRole.JOINT_CONTROLLER,
        privacy_contact="privacy@partner.example",
    )
    partner.processing_activities.set([newsletter])

    scc = TransferFactory(importer__name="Cloud Vendor Inc", mechanism=TransferMechanism.SCC)
    scc.processing_activities.set([hosting, workspace])
    scc.data_categories.set([contact])
    derogation = TransferFactory(
        importer__name="Talent Partners Pvt",
        importer__country=country("IN"),
        destination=country("IN"),
        mechanism=TransferMechanism.DEROGATION,
        scc_module=None,
        derogation=Derogation.CONTRACT_WITH_SUBJECT,
        derogation_justification="The applicant asked to be considered for the Bangalore office.",
        tia_completed_on=None,
        tia_outcome="",
    )
    derogation.processing_activities.set([recruitment])

    customers = [
        OrganisationFactory(name="Acme Analytics AB", registration_number="556000-0001"),
        OrganisationFactory(name="Borealis Health Oy", country_code="FI"),
    ]
    OrganisationFactory(name="Supplier Ltd", is_customer=False)
    return {
        "profile": profile,
        "activities": [billing, hosting, newsletter, recruitment],
        "processor_activities": [workspace],
        "customers": customers,
    }


# --- Helpers ----------------------------------------------------------------------------------


def pdf_catalog(content: bytes) -> bytes:
    """The PDF's document catalog, inflated from its (compressed) object stream."""
    for match in re.finditer(rb"stream\r?\n", content):
        try:
            data = zlib.decompressobj().decompress(content[match.end() :])
        except zlib.error:
            continue
        if b"/Type /Catalog" in data:
            return data
    raise AssertionError("no catalog in the PDF")


def section_texts(pages: list[str], headings: list[str]) -> dict[str, str]:
    """Each heading's section: from the page where it starts to the page before the next."""
    starts = []
    for heading in headings:
        # Page 1 is the cover and page 2 the contents, which also list every heading.
        starts.append(next(i for i, page in enumerate(pages) if i > 1 and heading in page))
    ends = [*starts[1:], len(pages)]
    return {
        heading: " ".join(pages[start:end])
        for heading, start, end in zip(headings, starts, ends, strict=True)
    }


def expected_values(activity, profile) -> list[str]:
    """What the record must say about `activity`, read from the register itself."""
    values = [
        profile.name,  # (a)
        profile.dpo_email,
        activity.purpose,  # (b)
        *[str(basis.label) for basis in activity.legal_bases],
        activity.legal_obligation_reference,
        activity.legitimate_interest_assessment,
        *activity.get_subject_categories_display(),  # (c)
        *[category.name for category in activity.data_categories.all()],
        activity.recipient_categories,  # (d)
        activity.security_measures or profile.security_overview,  # (g)
        activity.owner.get_full_name() if activity.owner else "Not assigned",
        activity.last_reviewed_on.isoformat() if activity.last_reviewed_on else "Never",
    ]
    for recipient in activity.recipients.all():
        values += [recipient.name, recipient.legal_entity, recipient.country.name]
    for transfer in activity.transfers.all():  # (e)
        values += [
            f"{transfer.destination.name} ({transfer.destination.code})",
            transfer.importer.name,
            transfer.get_mechanism_display(),
            transfer.get_scc_module_display() if transfer.scc_module else "",
            transfer.get_derogation_display(),
            transfer.derogation_justification,
        ]
    if activity.retention_rule:  # (f)
        values += [activity.retention_rule.period_text, activity.retention_rule.legal_reference]
    values.append(activity.retention_notes)
    for category in activity.data_categories.all():
        if category.retention_rule:
            values.append(f"{category.name}: {category.retention_rule.period_text}")
    return [value for value in values if value]


CONTROLLER_LABELS = [
    ("Controller", "Art. 30(1)(a)"),
    ("Joint controllers", "Art. 26"),
    ("Purposes of the processing", "Art. 30(1)(b)"),
    ("Legal basis", "Art. 6(1)"),
    ("Categories of data subjects", "Art. 30(1)(c)"),
    ("Categories of personal data", "Art. 30(1)(c)"),
    ("Categories of recipients", "Art. 30(1)(d)"),
    ("Transfers to third countries or international organisations", "Art. 30(1)(e)"),
    ("Time limits for erasure", "Art. 30(1)(f)"),
    ("Technical and organisational security measures", "Art. 30(1)(g)"),
    ("Owner", ""),
    ("Last reviewed", ""),
]


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


# --- The shared renderer's URL fetcher ------------------------------------------------------


@pytest.fixture
def listener():
    """A local TCP port that records whether anything connected to it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.3)
    yield server
    server.close()


def connected(server: socket.socket) -> bool:
    try:
        connection, _address = server.accept()
    except TimeoutError:
        return False
    connection.close()
    return True


@pytest.fixture
def pdf_template(tmp_path, settings):
    """Write a one-off template extending pdf/base.html; returns its name."""
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}
    ]

    def write(body: str) -> str:
        (tmp_path / "probe.html").write_text(
            '{% extends "pdf/base.html" %}{% block content %}' + body + "{% endblock %}"
        )
        return "probe.html"

    return write


@pytest.mark.parametrize(
    "reference",
    [
        '<img src="http://127.0.0.1:{port}/logo.png" alt="">',
        '<link rel="stylesheet" href="http://127.0.0.1:{port}/print.css">',
        '<div style="background: url(http://127.0.0.1:{port}/bg.png)">x</div>',
    ],
)
def test_renderer_never_reaches_the_network(pdf_template, listener, reference):
    port = listener.getsockname()[1]
    template = pdf_template("<p>Hello</p>" + reference.format(port=port))

    with pytest.raises(ForbiddenResourceError):
        render_pdf(template, {"document_title": "Probe"})

    assert not connected(listener)


@pytest.mark.parametrize(
    "reference",
    [
        '<img src="file:///etc/passwd" alt="">',
        '<img src="/static/../../../../etc/passwd" alt="">',
        '<img src="/static/privacy/%2e%2e/%2e%2e/%2e%2e/config/settings/base.py" alt="">',
        '<img src="/static/core/fonts/not-there.png" alt="">',
        '<img src="/media/agreements/contract.pdf" alt="">',
        '<img src="data:image/png;base64,iVBORw0KGgo=" alt="">',
    ],
)
def test_renderer_refuses_files_outside_the_static_files(pdf_template, reference):
    template = pdf_template("<p>Hello</p>" + reference)

    with pytest.raises(ForbiddenResourceError):
        render_pdf(template, {"document_title": "Probe"})


def test_renderer_finds_fonts_under_their_hashed_names_in_production(
    register, tmp_path, settings, monkeypatch
):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        # Hashed names as in production (whitenoise adds compression, which only costs time).
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    call_command("collectstatic", "--noinput", "--ignore", "admin", verbosity=0)
    served = []
    original = StaticFilesFetcher.fetch

    def spy(self, url, headers=None):
        response = original(self, url, headers)
        served.append(url.rsplit("/", 1)[1])
        return response

    monkeypatch.setattr(StaticFilesFetcher, "fetch", spy)

    pages = pdf_pages(render_ropa_pdf(ropa.ropa_controller_record()))

    assert len(served) == 3
    assert all(re.fullmatch(r"DejaVuSans(-Bold|-Oblique)?\.[0-9a-f]{12}\.ttf", n) for n in served)
    assert "1. Customer billing" in " ".join(pages)


def test_renderer_serves_static_files_by_path(settings):
    fetcher = StaticFilesFetcher("https://portal.example/")

    response = fetcher.fetch("https://portal.example/static/core/fonts/DejaVuSans.ttf")

    assert response.read()[:4] == b"\x00\x01\x00\x00"  # a TrueType font
    with pytest.raises(ForbiddenResourceError):
        fetcher.fetch("https://elsewhere.example/static/core/fonts/DejaVuSans.ttf")


# --- The controller's record as CSV ---------------------------------------------------------


def read_csv(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


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


# --- The export_ropa command ----------------------------------------------------------------


def export(*args) -> str:
    out = io.StringIO()
    call_command("export_ropa", *args, stdout=out)
    return out.getvalue()


def test_command_writes_the_pdf(register, tmp_path):
    target = tmp_path / "ropa.pdf"

    output = export("--format", "pdf", "--output", str(target))

    assert f"Wrote {target} (PDF, 4 activities" in output
    content = target.read_bytes()
    assert content.startswith(b"%PDF-1.7")
    assert "1. Customer billing" in " ".join(pdf_pages(content))


def test_command_writes_the_csv_taking_the_format_from_the_file_name(register, tmp_path):
    target = tmp_path / "ropa.csv"

    output = export("--output", str(target))

    assert "(CSV, 4 activities" in output
    rows = read_csv(target.read_bytes())
    assert len(rows) == 5


def test_command_writes_the_processor_view_for_one_organisation(register, tmp_path):
    acme = register["customers"][0]
    target = tmp_path / "acme.csv"

    export("--view", "processor", "--organisation", str(acme.pk), "--output", str(target))

    rows = read_csv(target.read_bytes())
    assert [row[0] for row in rows[1:]] == ["Customer workspaces"]
    assert rows[1][3] == "Acme Analytics AB (556000-0001, SE)"


def test_command_renders_in_the_language_asked_for(register, tmp_path):
    target = tmp_path / "ropa.pdf"

    export("--output", str(target), "--language", "sv")

    assert b"/Lang (sv)" in pdf_catalog(target.read_bytes())


def test_command_refuses_to_overwrite_without_force(register, tmp_path):
    target = tmp_path / "ropa.pdf"
    target.write_bytes(b"keep me")

    with pytest.raises(CommandError, match="exists; pass --force to overwrite it"):
        export("--output", str(target))
    assert target.read_bytes() == b"keep me"

    export("--output", str(target), "--force")
    assert target.read_bytes().startswith(b"%PDF")
    assert [p.name for p in tmp_path.iterdir()] == ["ropa.pdf"]  # no temporary file left


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "docx", "--output", "x.docx"], "invalid choice: 'docx'"),
        (["--format", "pdf"], "the following arguments are required: --output"),
        (["--output", "{tmp}/ropa.txt"], "Cannot tell the format from 'ropa.txt'"),
        (["--output", "{tmp}/missing/ropa.pdf"], "does not exist"),
        (["--output", "{tmp}"], "is a directory"),
        (["--view", "auditor", "--output", "x.pdf"], "invalid choice: 'auditor'"),
        (["--organisation", "1", "--output", "{tmp}/r.pdf"], "add --view processor"),
        (["--view", "processor", "--organisation", "x", "--output", "r.pdf"], "invalid int"),
        (
            ["--view", "processor", "--organisation", "999999", "--output", "{tmp}/r.pdf"],
            "No customer organisation has the id 999999",
        ),
        (["--language", "de", "--output", "{tmp}/r.pdf"], "invalid choice: 'de'"),
    ],
)
def test_command_explains_bad_arguments(register, tmp_path, args, message):
    args = [arg.replace("{tmp}", str(tmp_path)) for arg in args]

    with pytest.raises(CommandError, match=re.escape(message)):
        export(*args)
    assert list(tmp_path.iterdir()) == []


def test_command_explains_a_missing_controller_profile(tmp_path):
    with pytest.raises(CommandError, match="Fill in the controller profile first"):
        export("--output", str(tmp_path / "ropa.pdf"))
    assert list(tmp_path.iterdir()) == []


# --- The admin download ---------------------------------------------------------------------


def download_url(view: str = "controller", fmt: str = "pdf") -> str:
    return reverse("register:ropa_download", kwargs={"view": view, "fmt": fmt})


def test_admin_downloads_the_pdf(register, admin_client):
    response = admin_client.get(download_url())

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="record-of-processing-2026-03-12.pdf"'
    )
    assert "no-store" in response["Cache-Control"]
    assert "1. Customer billing" in " ".join(pdf_pages(response.content))


def test_admin_downloads_the_csv_and_the_processors_record(register, admin_client):
    csv_response = admin_client.get(download_url(fmt="csv"))
    processor_response = admin_client.get(download_url("processor", "pdf"))
    acme = register["customers"][0]
    one_customer = admin_client.get(download_url("processor", "csv"), {"organisation": acme.pk})

    assert csv_response.status_code == 200
    assert csv_response["Content-Type"] == "text/csv; charset=utf-8"
    assert csv_response["Content-Disposition"] == (
        'attachment; filename="record-of-processing-2026-03-12.csv"'
    )
    assert len(read_csv(csv_response.content)) == 5
    assert processor_response.status_code == 200
    assert processor_response["Content-Disposition"] == (
        'attachment; filename="processor-record-2026-03-12.pdf"'
    )
    assert "ARTICLE 30(2) GDPR" in pdf_pages(processor_response.content)[0]
    assert read_csv(one_customer.content)[1][3] == "Acme Analytics AB (556000-0001, SE)"


def test_anonymous_visitors_are_sent_to_the_login(register, client):
    response = client.get(download_url())

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=")


def test_staff_need_the_view_permission_on_activities(register, client):
    clerk = UserFactory(username="clerk")
    client.force_login(clerk)

    assert client.get(download_url()).status_code == 403

    clerk.user_permissions.add(Permission.objects.get(codename="view_processingactivity"))
    clerk = type(clerk).objects.get(pk=clerk.pk)  # drop the cached permissions
    client.force_login(clerk)
    assert client.get(download_url(fmt="csv")).status_code == 200


def test_download_explains_problems_instead_of_failing(admin_client):
    response = admin_client.get(download_url(), follow=True)

    assert response.status_code == 200
    assert "Fill in the controller profile first" in response.content.decode()

    ControllerProfileFactory()
    response = admin_client.get(download_url("processor"), {"organisation": "abc"}, follow=True)
    assert "No customer organisation has the id abc." in response.content.decode()


def test_download_urls_accept_only_known_views_and_formats(admin_client):
    assert admin_client.get("/admin/register/record-of-processing/auditor.pdf").status_code == 404
    assert (
        admin_client.get("/admin/register/record-of-processing/controller.docx").status_code == 404
    )


def test_activity_list_links_to_the_documents(register, admin_client):
    try:
        url = reverse("admin:privacy_processingactivity_changelist")
    except NoReverseMatch:
        pytest.skip("ProcessingActivity is not registered in the admin yet")

    page = admin_client.get(url).content.decode()

    assert f'href="{download_url()}"' in page
    assert f'href="{download_url(fmt="csv")}"' in page
    assert f'href="{download_url("processor")}"' in page
    assert "Record of processing (PDF)" in page
    assert "Processor's record (PDF)" in page
