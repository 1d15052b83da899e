"""The data package and web page: the package validates against its schema, its CSV files
equal its JSON, its manifest matches; only provided data is portable; the web page is
self-contained; and the export service stores what it built."""

import csv
import hashlib
import io
import json
import re
import zipfile
from datetime import datetime

import pytest
from django.utils import translation

from dsr import exports, files
from dsr.choices import ExportFileKind, ExportStatus
from dsr.exports import package as package_module
from dsr.models import ExportJob
from dsr.services import exports as export_services
from tests.dsr.exports.data import (
    CHINESE,
    EVENTS,
    FORMULA,
    INVOICES,
    PERSON,
    SCHEMA,
    export_store,
    fill_results,
    open_package,
    package_file,
    request_case,
    system_task,
)
from tests.factories import (
    DsrCaseFactory,
    SubmissionFactory,
)
from tests.pdf import pdf_text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]

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
    archive, root = open_package(built)
    schema = json.loads(SCHEMA.read_text())
    assert package_file(archive, root, "schema/package-v1.json") == SCHEMA.read_bytes()

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
                raw = package_file(archive, root, table["csv"])
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
    line = package_file(archive, root, users["csv"]).decode("utf-8-sig").splitlines()[1]
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
    archive, root = open_package(built)
    manifest = json.loads(package_file(archive, root, "manifest.json"))
    assert manifest["schema_version"] == "1" and manifest["hash_algorithm"] == "sha256"

    listed = {entry["path"]: entry for entry in manifest["files"]}
    in_zip = {name.removeprefix(f"{root}/") for name in archive.namelist()}
    assert all(name.startswith(f"{root}/") for name in archive.namelist())
    assert set(listed) == in_zip - {"manifest.json", "SHA256SUMS"}
    for path, entry in listed.items():
        data = package_file(archive, root, path)
        assert entry["size"] == len(data), path
        assert entry["sha256"] == hashlib.sha256(data).hexdigest(), path
        assert entry["description"]
    sums = package_file(archive, root, "SHA256SUMS").decode().splitlines()
    manifest_hash = hashlib.sha256(package_file(archive, root, "manifest.json")).hexdigest()
    assert sorted(sums) == sorted(
        [f"{e['sha256']}  {p}" for p, e in listed.items()] + [f"{manifest_hash}  manifest.json"]
    )
    assert {"README.txt", "schema/package-v1.json"} <= set(listed)
    assert package_file(archive, root, "portable/support-helpdesk/conversations.pdf") == (
        b"%PDF-1.4 demo"
    )
    assert archive.testzip() is None
    assert all(info.compress_type == zipfile.ZIP_DEFLATED for info in archive.infolist())


def test_the_readme_explains_the_files_the_schema_and_the_hashes(access_case):
    built = exports.build(access_case)
    archive, root = open_package(built)
    readme = package_file(archive, root, "README.txt").decode()
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
    archive, root = open_package(built)
    provided = {c.name for c in vars(register.categories).values() if c.provided_by_subject}
    for document in _system_files(archive, root).values():
        assert {c["name"] for c in document["categories"]} <= provided
    portable = [n for n in archive.namelist() if n.startswith(f"{root}/portable/")]
    assert not any("billing" in n or "invoice" in n for n in portable)
    page = built.file(ExportFileKind.HTML).data.decode()
    assert "INV-2025" not in page and register.categories.invoices.name not in page
    assert "81.2.0.1<" in page  # usage events are data the person's use generated


def test_a_portability_request_gets_the_package_and_the_web_page_only(register, person):
    case = request_case(person, right="portability")
    fill_results(case, register)

    built = exports.build(case)

    assert [f.kind for f in built.files] == [ExportFileKind.PACKAGE, ExportFileKind.HTML]
    assert "report" not in built.stats
    archive, root = open_package(built)
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
    case = request_case(person, language="sv")
    fill_results(case, register)
    with translation.override("sv"):
        built = exports.build(case)
    page = built.file(ExportFileKind.HTML).data.decode()
    assert '<html lang="sv">' in page
    archive, root = open_package(built)
    assert json.loads(package_file(archive, root, "manifest.json"))["language"] == "sv"


def test_a_request_with_nothing_found_says_so(register):
    case = DsrCaseFactory(
        submission=SubmissionFactory(requester_name="Nobody Known"), status="in_progress"
    )
    export_store(system_task(case, register.systems.database), {})

    built = exports.build(case)

    assert built.stats["rows_total"] == 0
    report = built.file(ExportFileKind.REPORT).data
    assert report.startswith(b"%PDF")
    archive, root = open_package(built)
    names = {n.removeprefix(f"{root}/") for n in archive.namelist()}
    assert names == {
        "README.txt",
        "manifest.json",
        "SHA256SUMS",
        "schema/package-v1.json",
    }
    assert (
        "We found no data that you provided" in package_file(archive, root, "README.txt").decode()
    )


def test_the_report_says_when_nothing_was_found(register, tmp_path):
    case = DsrCaseFactory(
        submission=SubmissionFactory(requester_name="Nobody Known"), status="in_progress"
    )
    export_store(
        system_task(case, register.systems.database), {register.categories.account.name: {}}
    )
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
