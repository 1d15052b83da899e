"""What an access or portability export says (dsr.exports): the report read back as text
finds every Art. 15 item derived from the register and the data; long tables go to the data
package; the package validates against its schema, its CSV files equal its JSON, its manifest
matches; only provided data is portable; the web page is self-contained; hostile and unicode
text comes out safe.

The tasks' result files are written as the fulfilment service writes them
(files.result_file_store), with rows chosen here: a demo-like organisation
administrator with an account, usage events, invoices, a file a webhook system sent, and a
system still being searched.
"""

import csv
import hashlib
import io
import json
import re
import subprocess
import zipfile
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.utils import timezone, translation

from core.access_log import access_log_record
from core.choices import AccessAction
from dsr import exports, files
from dsr.choices import ExportFileKind, ExportStatus, Operation, TaskKind, TaskStatus
from dsr.exports import package as package_module
from dsr.exports import report as report_module
from dsr.exports.report import pdf_page_count, rows_to_show
from dsr.models import CaseTask, ExportJob
from dsr.services import exports as export_services
from privacy.choices import SubjectCategory, SubjectSource
from processors.choices import ProcessorRole
from tests.factories import (
    AccountingRetentionRuleFactory,
    ControllerProfileFactory,
    DataCategoryFactory,
    DataSubjectFactory,
    DsrCaseFactory,
    OrganisationFactory,
    ProcessingActivityFactory,
    ProcessorFactory,
    ProcessorWithAgreementFactory,
    RetentionRuleFactory,
    SubmissionFactory,
    SystemFactory,
    TransferFactory,
    UserFactory,
    country,
)
from tests.pdf import pdf_text, squash_words

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]

SCHEMA = Path(exports.__file__).resolve().parent / "schema" / "package-v1.json"
PDFTOTEXT = "/usr/bin/pdftotext"
PDFINFO = "/usr/bin/pdfinfo"

PERSON = "Åsa Öberg"
EMAIL = "asa.oberg@nordvind.example"
CHINESE = "王芳"
SCRIPT = "<script>alert('x')</script>"
IMAGE = '<img src="http://169.254.169.254/latest/meta-data/">'
FORMULA = '=HYPERLINK("http://evil.example","click")'
EVENTS = 60
INVOICES = 40
# The report's limit for one table in these tests (the real one is larger; the rule is the
# same).
TABLE_ROWS = 25
ADM = "Credit limits are set automatically from the payment history of the last 12 months."
SERVICE_SOURCE = "From the administrator of their organisation, who invites them."
LAW = "Bokföringslagen (1999:1078) 7 kap. 2 §"
ACCESS_PURPOSE = "Handling a support ticket about invoices"


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to("2026-03-05T10:00:00+01:00", tick=True)
    return time_machine


@pytest.fixture(autouse=True)
def small_report_tables(monkeypatch):
    monkeypatch.setattr(report_module, "REPORT_TABLE_ROWS", TABLE_ROWS)
    monkeypatch.setattr(report_module, "REPORT_MIN_ROWS", 10)


def _task(case, system, *, status=TaskStatus.DONE, kind="postgresql"):
    return CaseTask.objects.create(
        case=case,
        kind=TaskKind.SYSTEM,
        system=system,
        operation=Operation.EXPORT,
        connector_kind=kind,
        status=status,
        completed_at=timezone.now() if status == TaskStatus.DONE else None,
    )


def _store(task, name: str, data: bytes) -> None:
    files.result_file_store(task, name, data)
    task.save()


def _exported(task, export: dict) -> None:
    """As the fulfilment service stores a connector's export (see _task_succeeded)."""
    data = json.dumps(export, ensure_ascii=False, indent=1, default=str).encode()
    _store(task, f"{task.operation}.json", data)


@pytest.fixture
def register(db):
    """The register of a demo-like platform company, its recipients and one transfer."""
    ControllerProfileFactory()
    account_rule = RetentionRuleFactory(name="Platform account data", period=3)
    usage_rule = RetentionRuleFactory(
        name="Usage events", period=13, trigger="collection", action="anonymise"
    )
    support_rule = RetentionRuleFactory(name="Support", period=24, trigger="last_activity")
    accounting = AccountingRetentionRuleFactory()
    categories = SimpleNamespace(
        account=DataCategoryFactory(
            name="Account and organisation membership", retention_rule=account_rule
        ),
        usage=DataCategoryFactory(name="Usage events", retention_rule=usage_rule),
        support=DataCategoryFactory(name="Support correspondence", retention_rule=support_rule),
        invoices=DataCategoryFactory(
            name="Invoices and payment records",
            provided_by_subject=False,
            retention_rule=accounting,
        ),
        newsletter=DataCategoryFactory(name="Newsletter preferences"),
    )
    systems = SimpleNamespace(
        database=SystemFactory(name="Platform database", data_categories=[categories.account]),
        events=SystemFactory(
            name="Platform event store and logs", data_categories=[categories.usage]
        ),
        billing=SystemFactory(name="Billing (Stripe)", data_categories=[categories.invoices]),
        helpdesk=SystemFactory(name="Support helpdesk", data_categories=[categories.support]),
        newsletter=SystemFactory(name="Newsletter tool", data_categories=[categories.newsletter]),
    )
    service = ProcessingActivityFactory(
        name="Providing the platform service",
        purpose="To give customers and their users access to the platform and operate it.",
        subject_categories=[SubjectCategory.PLATFORM_USER, SubjectCategory.ORGANISATION_ADMIN],
        data_categories=[categories.account, categories.usage, categories.support],
        data_source=SERVICE_SOURCE,
        retention_rule=account_rule,
    )
    invoicing = ProcessingActivityFactory(
        name="Invoicing, administration and bookkeeping",
        purpose="To invoice customers and keep the accounts.",
        basis_legal_obligation=True,
        legal_obligation_reference=LAW,
        subject_categories=[SubjectCategory.ORGANISATION_ADMIN],
        data_categories=[categories.invoices],
        retention_rule=accounting,
    )
    credit = ProcessingActivityFactory(
        name="Credit limits",
        purpose="To set each customer's credit limit.",
        basis_contract=False,
        basis_legitimate_interests=True,
        legitimate_interest_assessment="Interest: not losing money on unpaid invoices.",
        subject_categories=[SubjectCategory.ORGANISATION_ADMIN],
        data_categories=[categories.invoices],
        automated_decision_making=ADM,
    )
    # Not about organisation administrators: must not appear.
    ProcessingActivityFactory(
        name="Recruiting",
        purpose="To hire.",
        subject_categories=[SubjectCategory.JOB_APPLICANT],
        data_categories=[DataCategoryFactory(name="Job applications")],
    )
    aws = ProcessorWithAgreementFactory(
        name="Amazon Web Services",
        legal_entity="Amazon Web Services EMEA SARL",
        country=country("LU"),
    )
    aws.processing_activities.set([service])
    aws_inc = ProcessorWithAgreementFactory(
        name="Amazon Web Services, Inc.",
        legal_entity="Amazon Web Services, Inc.",
        country=country("US"),
        role=ProcessorRole.SUB_PROCESSOR,
        parent=aws,
    )
    aws_inc.data_categories.set([categories.usage])
    stripe = ProcessorFactory(
        name="Stripe", legal_entity="Stripe Payments Europe, Ltd.", country=country("IE")
    )
    stripe.processing_activities.set([invoicing, credit])
    google = ProcessorWithAgreementFactory(
        name="Google", legal_entity="Google Cloud EMEA Limited", country=country("IE")
    )
    google.hosted_systems.set([systems.events])
    # A recipient of nothing that concerns this person.
    ProcessorFactory(name="Recruiting Agency AB")
    transfer = TransferFactory(importer=aws_inc, exporter=aws, scc_module=3)
    transfer.processing_activities.set([service])
    transfer.data_categories.set([categories.usage])
    return SimpleNamespace(
        categories=categories,
        systems=systems,
        rules=SimpleNamespace(account=account_rule, usage=usage_rule, accounting=accounting),
        aws=aws,
    )


def _events(count: int) -> list[dict]:
    return [
        {
            "kind": "sign_in" if n % 3 else "function.call",
            "ip_address": f"81.2.{n // 250}.{n % 250 + 1}",
            "user_agent": "opper-python/1.4",
            "occurred_at": f"2025-{n % 12 + 1:02d}-{n % 28 + 1:02d} 09:{n % 60:02d}:00",
        }
        for n in range(count)
    ]


def _invoices(count: int) -> list[dict]:
    return [
        {
            "number": f"INV-2025-{n:04d}",
            "customer_name": PERSON,
            "amount_sek": f"{(n + 1) * 500}.00",
            "issued_on": f"2025-{n % 12 + 1:02d}-28",
        }
        for n in range(count)
    ]


@pytest.fixture
def person(register):
    return DataSubjectFactory(
        name=PERSON,
        email=EMAIL,
        category=SubjectCategory.ORGANISATION_ADMIN,
        source=SubjectSource.ORGANISATION,
        organisation=OrganisationFactory(name="Nordvind Analys AB"),
    )


def _case(person, *, right="access", language="en"):
    return DsrCaseFactory(
        submission=SubmissionFactory(
            requester_name=PERSON, requester_email=EMAIL, language=language
        ),
        subject=person,
        right=right,
        status="in_progress",
        language=language,
    )


def _fill(case, register) -> None:
    systems, categories = register.systems, register.categories
    _exported(
        _task(case, systems.database),
        {
            categories.account.name: {
                "users": [
                    {
                        "email": EMAIL,
                        "name": PERSON,
                        "nickname": CHINESE,
                        "role": "admin",
                        "organisation": "Nordvind Analys AB",
                        "bio": SCRIPT,
                        "signature": IMAGE,
                        "homepage": FORMULA,
                        "phone": "+46 70 123 45 67",
                        "balance": -12.5,
                        "verified": True,
                        "last_login_at": None,
                    }
                ],
                "api_keys": [],
            }
        },
    )
    _exported(_task(case, systems.events), {categories.usage.name: {"events": _events(EVENTS)}})
    _exported(
        _task(case, systems.billing),
        {categories.invoices.name: {"invoices": _invoices(INVOICES)}},
    )
    _store(_task(case, systems.helpdesk, kind="webhook"), "conversations.pdf", b"%PDF-1.4 demo")
    _task(case, systems.newsletter, status=TaskStatus.WAITING, kind="webhook")


@pytest.fixture
def access_case(register, person, clock):
    case = _case(person)
    _fill(case, register)
    officer = UserFactory(username="officer")
    # An access before the request, by staff, and the request's own handling.
    clock.move_to("2026-02-12T14:30:00+01:00", tick=False)
    access_log_record(
        actor=officer,
        action=AccessAction.VIEW,
        object_type="data subject",
        object_id=str(person.pk),
        subject_id=person.pk,
        purpose=ACCESS_PURPOSE,
    )
    clock.move_to("2026-03-05T10:00:00+01:00", tick=True)
    access_log_record(
        actor=officer,
        action=AccessAction.VIEW,
        object_type="request",
        case_reference=case.reference,
        purpose="Handling the request",
    )
    return case


def _zip(built) -> tuple[zipfile.ZipFile, str]:
    archive = zipfile.ZipFile(io.BytesIO(built.file(ExportFileKind.PACKAGE).data))
    root = archive.namelist()[0].split("/")[0]
    return archive, root


def _read(archive, root, path) -> bytes:
    return archive.read(f"{root}/{path}")


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
    archive, root = _zip(built)

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
        rows = list(csv.reader(io.StringIO(_read(archive, root, path).decode("utf-8-sig"))))
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


# --- The data package -----------------------------------------------------------------------


class SchemaError(AssertionError):
    pass


def validate(instance, schema: dict, root: dict | None = None, where: str = "$") -> None:
    """The subset of JSON Schema 2020-12 that package-v1.json uses (jsonschema is not a
    dependency of the project)."""
    root = root or schema
    if "$ref" in schema:
        target = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        validate(instance, target, root, where)
        return
    types = schema.get("type")
    if types:
        names = types if isinstance(types, list) else [types]
        checks = {
            "object": lambda v: isinstance(v, dict),
            "array": lambda v: isinstance(v, list),
            "string": lambda v: isinstance(v, str),
            "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
            "boolean": lambda v: isinstance(v, bool),
            "null": lambda v: v is None,
        }
        if not any(checks[name](instance) for name in names):
            raise SchemaError(f"{where}: {instance!r} is not {types}")
    if "const" in schema and instance != schema["const"]:
        raise SchemaError(f"{where}: {instance!r} != {schema['const']!r}")
    if isinstance(instance, str):
        if len(instance) < schema.get("minLength", 0):
            raise SchemaError(f"{where}: too short")
        if "pattern" in schema and not re.search(schema["pattern"], instance):
            raise SchemaError(f"{where}: {instance!r} does not match {schema['pattern']}")
        if schema.get("format") == "date-time":
            datetime.fromisoformat(instance)
    if isinstance(instance, int) and "minimum" in schema and instance < schema["minimum"]:
        raise SchemaError(f"{where}: below the minimum")
    if isinstance(instance, dict):
        for key in schema.get("required", []):
            if key not in instance:
                raise SchemaError(f"{where}: {key} is missing")
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key, value in instance.items():
            if key in properties:
                validate(value, properties[key], root, f"{where}.{key}")
            elif extra is False:
                raise SchemaError(f"{where}: unexpected {key}")
            elif isinstance(extra, dict):
                validate(value, extra, root, f"{where}.{key}")
    if isinstance(instance, list):
        if schema.get("uniqueItems") and len({json.dumps(i) for i in instance}) != len(instance):
            raise SchemaError(f"{where}: items repeat")
        for index, item in enumerate(instance):
            if "items" in schema:
                validate(item, schema["items"], root, f"{where}[{index}]")


def _system_files(archive, root) -> dict[str, dict]:
    return {
        name.removeprefix(f"{root}/"): json.loads(archive.read(name))
        for name in archive.namelist()
        if name.endswith("/data.json")
    }


def test_the_validator_refuses_what_the_schema_refuses():
    schema = json.loads(SCHEMA.read_text())
    good = {
        "schema_version": "1",
        "case_reference": "DSR-2026-000001",
        "generated_at": "2026-03-05T10:00:00+01:00",
        "controller": "Opper Technology AB",
        "system": {"name": "Platform database"},
        "categories": [],
        "files": [],
    }
    validate(good, schema)
    for bad in (
        {**good, "schema_version": "2"},
        {**good, "extra": 1},
        {**good, "categories": [{"name": "x", "description": "", "tables": [{"label": "t"}]}]},
        {k: v for k, v in good.items() if k != "system"},
    ):
        with pytest.raises(SchemaError):
            validate(bad, schema)


def test_the_package_json_follows_its_schema_and_equals_the_csv(access_case):
    built = exports.build(access_case)
    archive, root = _zip(built)
    schema = json.loads(SCHEMA.read_text())
    assert _read(archive, root, "schema/package-v1.json") == SCHEMA.read_bytes()

    documents = _system_files(archive, root)
    assert sorted(documents) == [
        "portable/platform-database/data.json",
        "portable/platform-event-store-and-logs/data.json",
        "portable/support-helpdesk/data.json",
    ]
    tables = 0
    for document in documents.values():
        validate(document, schema)
        assert document["schema_version"] == "1"
        assert document["case_reference"] == access_case.reference
        for category in document["categories"]:
            for table in category["tables"]:
                tables += 1
                columns = table["columns"]
                assert table["row_count"] == len(table["rows"])
                assert all(list(row) == columns for row in table["rows"])
                raw = _read(archive, root, table["csv"])
                assert raw.startswith("\ufeff".encode())
                header, *rows = csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""))
                assert header == columns
                assert len(rows) == len(table["rows"])
                for line, row in zip(rows, table["rows"], strict=True):
                    assert line == [_expected_cell(row[c]) for c in columns]
    assert tables == 2

    [users] = documents["portable/platform-database/data.json"]["categories"][0]["tables"]
    [anna] = users["rows"]
    assert anna["nickname"] == CHINESE and anna["name"] == PERSON
    assert anna["homepage"] == FORMULA and anna["balance"] == -12.5
    assert anna["verified"] is True and anna["last_login_at"] is None
    line = _read(archive, root, users["csv"]).decode("utf-8-sig").splitlines()[1]
    assert f'"\'{FORMULA.replace(chr(34), chr(34) * 2)}"' in line  # neutralised: text
    assert '"\'+46 70 123 45 67"' in line
    assert '"-12.5"' in line  # a negative number is a number
    assert '"true"' in line and '""' in line


def _expected_cell(value) -> str:
    """What the README promises: text as is, JSON literals for the rest, an apostrophe in
    front of anything a spreadsheet would run as a formula (but not a plain number)."""
    if value is None:
        text = ""
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = value
    else:
        text = json.dumps(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not re.fullmatch(
        r"-?\d+(\.\d+)?([eE][-+]?\d+)?", text
    ):
        return "'" + text
    return text


def test_the_manifest_and_the_checksums_match_every_file(access_case):
    built = exports.build(access_case)
    archive, root = _zip(built)
    manifest = json.loads(_read(archive, root, "manifest.json"))
    assert manifest["schema_version"] == "1" and manifest["hash_algorithm"] == "sha256"

    listed = {entry["path"]: entry for entry in manifest["files"]}
    in_zip = {name.removeprefix(f"{root}/") for name in archive.namelist()}
    assert all(name.startswith(f"{root}/") for name in archive.namelist())
    assert set(listed) == in_zip - {"manifest.json", "SHA256SUMS"}
    for path, entry in listed.items():
        data = _read(archive, root, path)
        assert entry["size"] == len(data), path
        assert entry["sha256"] == hashlib.sha256(data).hexdigest(), path
        assert entry["description"]
    sums = _read(archive, root, "SHA256SUMS").decode().splitlines()
    manifest_hash = hashlib.sha256(_read(archive, root, "manifest.json")).hexdigest()
    assert sorted(sums) == sorted(
        [f"{e['sha256']}  {p}" for p, e in listed.items()] + [f"{manifest_hash}  manifest.json"]
    )
    assert {"README.txt", "schema/package-v1.json"} <= set(listed)
    assert _read(archive, root, "portable/support-helpdesk/conversations.pdf") == (b"%PDF-1.4 demo")
    assert archive.testzip() is None
    assert all(info.compress_type == zipfile.ZIP_DEFLATED for info in archive.infolist())


def test_the_readme_explains_the_files_the_schema_and_the_hashes(access_case):
    built = exports.build(access_case)
    archive, root = _zip(built)
    readme = _read(archive, root, "README.txt").decode()
    assert access_case.reference in readme
    for words in (
        "manifest.json",
        "SHA256SUMS",
        "schema/package-v1.json",
        '"schema_version" is "1"',
        "sha256sum -c SHA256SUMS",
        "portable/platform-event-store-and-logs/events.csv",
        "appendix/billing-stripe/invoices.csv",
        "apostrophe",
    ):
        assert words in readme, words
    assert "\r\n" in readme and "{%" not in readme and "&lt;" not in readme


def test_only_data_the_person_provided_is_portable(access_case, register):
    built = exports.build(access_case)
    archive, root = _zip(built)
    provided = {c.name for c in vars(register.categories).values() if c.provided_by_subject}
    for document in _system_files(archive, root).values():
        assert {c["name"] for c in document["categories"]} <= provided
    portable = [n for n in archive.namelist() if n.startswith(f"{root}/portable/")]
    assert not any("billing" in n or "invoice" in n for n in portable)
    page = built.file(ExportFileKind.HTML).data.decode()
    assert "INV-2025" not in page and register.categories.invoices.name not in page
    assert "81.2.0.1<" in page  # usage events are data the person's use generated


def test_a_portability_request_gets_the_package_and_the_web_page_only(register, person):
    case = _case(person, right="portability")
    _fill(case, register)

    built = exports.build(case)

    assert [f.kind for f in built.files] == [ExportFileKind.PACKAGE, ExportFileKind.HTML]
    assert "report" not in built.stats
    archive, root = _zip(built)
    names = [n.removeprefix(f"{root}/") for n in archive.namelist()]
    assert not any(n.startswith("appendix/") for n in names)
    assert "portable/platform-event-store-and-logs/events.csv" in names


def test_the_web_page_is_self_contained_and_escapes_every_value(access_case):
    page = exports.build(access_case).file(ExportFileKind.HTML).data.decode("utf-8")

    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "&lt;img src=&quot;http://169.254.169.254" in page
    # Every "<" left is a tag of the page itself: none loads or links anything outside it.
    tags = re.findall(r"<[^>]*>", page)
    names = {re.match(r"</?\s*([a-zA-Z0-9!]+)", tag).group(1).lower() for tag in tags}
    assert names.isdisjoint({"script", "img", "iframe", "object", "embed", "link", "base", "form"})
    assert not [tag for tag in tags if re.search(r"\b(src|srcset|action|style)\s*=", tag, re.I)]
    assert all(link.startswith("#") for link in re.findall(r'href="([^"]*)"', page))
    assert "url(" not in page and "@import" not in page
    assert "default-src 'none'" in page
    assert PERSON in page and CHINESE in page
    # Every provided row is on the page.
    assert page.count("<tr>") == 1 + 1 + EVENTS + 1  # users (head, row), events (head, rows)


def test_an_export_in_swedish_says_so(register, person):
    case = _case(person, language="sv")
    _fill(case, register)
    with translation.override("sv"):
        built = exports.build(case)
    page = built.file(ExportFileKind.HTML).data.decode()
    assert '<html lang="sv">' in page
    archive, root = _zip(built)
    assert json.loads(_read(archive, root, "manifest.json"))["language"] == "sv"


def test_a_request_with_nothing_found_says_so(register):
    case = DsrCaseFactory(
        submission=SubmissionFactory(requester_name="Nobody Known"), status="in_progress"
    )
    _exported(_task(case, register.systems.database), {})

    built = exports.build(case)

    assert built.stats["rows_total"] == 0
    report = built.file(ExportFileKind.REPORT).data
    assert report.startswith(b"%PDF")
    archive, root = _zip(built)
    names = {n.removeprefix(f"{root}/") for n in archive.namelist()}
    assert names == {
        "README.txt",
        "manifest.json",
        "SHA256SUMS",
        "schema/package-v1.json",
    }
    assert "We found no data that you provided" in _read(archive, root, "README.txt").decode()


def test_the_report_says_when_nothing_was_found(register, tmp_path):
    case = DsrCaseFactory(
        submission=SubmissionFactory(requester_name="Nobody Known"), status="in_progress"
    )
    _exported(_task(case, register.systems.database), {register.categories.account.name: {}})
    text = pdf_text(exports.build(case).file(ExportFileKind.REPORT).data)
    assert "Nobody Known" in text
    assert "found no personal data about you" in text
    assert "Nothing found." in text


# --- Through the export service -------------------------------------------------------------


def test_the_export_service_stores_the_built_files(access_case):
    job = ExportJob.objects.create(case=access_case)

    assert export_services.export_build(job_id=job.pk) == "ready"

    job.refresh_from_db()
    assert job.status == ExportStatus.READY
    assert job.stats["rows_total"] == 1 + EVENTS + INVOICES
    assert job.stats["report"]["pages"] > 1
    stored = {f.kind: f for f in job.files.all()}
    assert set(stored) == {ExportFileKind.REPORT, ExportFileKind.PACKAGE, ExportFileKind.HTML}
    for file in stored.values():
        data = files.export_file_read(file)
        assert hashlib.sha256(data).hexdigest() == file.sha256
        assert len(data) == file.size


def test_package_csv_cells_neutralise_formulas_but_not_numbers():
    cell = package_module.csv_cell
    assert cell("=1+1") == "'=1+1"
    assert cell("@SUM(A1)") == "'@SUM(A1)"
    assert cell("-5") == "-5" and cell(-5) == "-5" and cell("-1e3") == "-1e3"
    assert cell("-x") == "'-x"
    assert cell(None) == "" and cell(True) == "true" and cell({"a": 1}) == '{"a": 1}'
