"""Getting the record out: the export_ropa command and the admin download."""

import io
import re

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.urls import NoReverseMatch, reverse

from tests.factories import (
    ControllerProfileFactory,
    UserFactory,
)
from tests.pdf import pdf_pages
from tests.processors.records import (
    pdf_catalog,
    read_csv,
)

pytestmark = pytest.mark.django_db

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
