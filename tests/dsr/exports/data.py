"""What the export tests' systems returned, written as the fulfilment service writes a task's
result files (files.result_file_store): an organisation administrator with an account, usage
events, invoices, a file a webhook system sent, and a system still being searched."""

import io
import json
import zipfile
from pathlib import Path

from django.utils import timezone

from dsr import exports, files
from dsr.choices import ExportFileKind, Operation, TaskKind, TaskStatus
from dsr.models import CaseTask
from tests.factories import (
    DsrCaseFactory,
    SubmissionFactory,
)

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


def system_task(case, system, *, status=TaskStatus.DONE, kind="postgresql"):
    return CaseTask.objects.create(
        case=case,
        kind=TaskKind.SYSTEM,
        system=system,
        operation=Operation.EXPORT,
        connector_kind=kind,
        status=status,
        completed_at=timezone.now() if status == TaskStatus.DONE else None,
    )


def result_store(task, name: str, data: bytes) -> None:
    files.result_file_store(task, name, data)
    task.save()


def export_store(task, export: dict) -> None:
    """As the fulfilment service stores a connector's export (see _task_succeeded)."""
    data = json.dumps(export, ensure_ascii=False, indent=1, default=str).encode()
    result_store(task, f"{task.operation}.json", data)


def usage_events(count: int) -> list[dict]:
    return [
        {
            "kind": "sign_in" if n % 3 else "function.call",
            "ip_address": f"81.2.{n // 250}.{n % 250 + 1}",
            "user_agent": "opper-python/1.4",
            "occurred_at": f"2025-{n % 12 + 1:02d}-{n % 28 + 1:02d} 09:{n % 60:02d}:00",
        }
        for n in range(count)
    ]


def invoice_rows(count: int) -> list[dict]:
    return [
        {
            "number": f"INV-2025-{n:04d}",
            "customer_name": PERSON,
            "amount_sek": f"{(n + 1) * 500}.00",
            "issued_on": f"2025-{n % 12 + 1:02d}-28",
        }
        for n in range(count)
    ]


def request_case(person, *, right="access", language="en"):
    return DsrCaseFactory(
        submission=SubmissionFactory(
            requester_name=PERSON, requester_email=EMAIL, language=language
        ),
        subject=person,
        right=right,
        status="in_progress",
        language=language,
    )


def fill_results(case, register) -> None:
    systems, categories = register.systems, register.categories
    export_store(
        system_task(case, systems.database),
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
    export_store(
        system_task(case, systems.events), {categories.usage.name: {"events": usage_events(EVENTS)}}
    )
    export_store(
        system_task(case, systems.billing),
        {categories.invoices.name: {"invoices": invoice_rows(INVOICES)}},
    )
    result_store(
        system_task(case, systems.helpdesk, kind="webhook"), "conversations.pdf", b"%PDF-1.4 demo"
    )
    system_task(case, systems.newsletter, status=TaskStatus.WAITING, kind="webhook")


def open_package(built) -> tuple[zipfile.ZipFile, str]:
    archive = zipfile.ZipFile(io.BytesIO(built.file(ExportFileKind.PACKAGE).data))
    root = archive.namelist()[0].split("/")[0]
    return archive, root


def package_file(archive, root, path) -> bytes:
    return archive.read(f"{root}/{path}")
