"""Exports on the case page: every export with its status, error and files; build, retry and
regenerate through the export services; staff downloads logged; nothing ever deleted."""

import sys
import types
from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

import dsr
from core.choices import AccessAction
from core.errors import ApplicationError
from core.models import AccessLogEntry
from dsr.choices import CaseStatus, EventKind, ExportFileKind, ExportStatus
from dsr.models import ExportFile, ExportJob
from dsr.services import exports as export_services
from tests.factories import ControllerProfileFactory, DsrCaseFactory, UserFactory
from tests.helpers import messages_of, queries_of_get

pytestmark = pytest.mark.django_db

S = CaseStatus
E = ExportStatus
REPORT = b"%PDF-1.7\n% access report\n%%EOF\n"


@pytest.fixture(autouse=True)
def _setup(media_in_tmp, time_machine):
    time_machine.move_to("2026-03-05T10:00:00+01:00", tick=False)
    ControllerProfileFactory()


@pytest.fixture
def case():
    return DsrCaseFactory(status=S.IN_PROGRESS, right="access")


def case_url(case) -> str:
    return reverse("admin:dsr_dsrcase_change", args=[case.pk])


def build_url(case) -> str:
    return reverse("admin:dsr_dsrcase_export_build", args=[case.pk])


def job_url(job, name: str) -> str:
    return reverse(f"admin:dsr_dsrcase_export_{name}", args=[job.case_id, job.pk])


def file_url(file) -> str:
    return reverse("dsr_staff:export_file", args=[file.pk])


def export(case, status, *, files=(ExportFileKind.REPORT,), age_minutes=0, **fields):
    """An export in `status`, created `age_minutes` ago, with stored files when it has any."""
    now = timezone.now()
    job = ExportJob.objects.create(case=case, status=status, **fields)
    ExportJob.objects.filter(pk=job.pk).update(created_at=now - timedelta(minutes=age_minutes))
    if status in (E.READY, E.EXPIRED):
        ExportJob.objects.filter(pk=job.pk).update(
            finished_at=now, expires_at=now + timedelta(days=7 if status == E.READY else -1)
        )
        for kind in files:
            export_services.export_store_file(
                job=job,
                kind=kind,
                name=f"{case.reference}-{kind}.bin",
                content_type="application/pdf",
                data=REPORT + kind.encode(),
            )
    job.refresh_from_db()
    return job


def expire(job) -> None:
    """What the expiry sweep leaves: rows and hashes, no stored files."""
    ExportFile.objects.filter(job=job).update(storage_name="", deleted_at=timezone.now())
    ExportJob.objects.filter(pk=job.pk).update(status=E.EXPIRED)


def html_of(client, case) -> str:
    response = client.get(case_url(case))
    assert response.status_code == 200
    return response.content.decode()


def panel_of(client, case) -> str:
    html = html_of(client, case)
    start = html.index('id="dsr-exports-heading"')
    return html[start : html.index("</fieldset>", start)]


# --- The panel ------------------------------------------------------------------------------


def test_the_panel_shows_every_export_its_error_and_its_files(admin_client, case, superuser):
    expired = export(case, E.READY, files=("report", "package"), age_minutes=50)
    expire(expired)
    ready = export(case, E.READY, files=("report", "package", "html"), age_minutes=40)
    ExportFile.objects.filter(job=ready, kind="report").update(download_count=3)
    export(case, E.FAILED, age_minutes=30, attempts=2, error="RuntimeError: <b>out of memory</b>")
    export(case, E.BUILDING, age_minutes=20)
    export(case, E.QUEUED, age_minutes=10, requested_by=superuser)

    panel = panel_of(admin_client, case)

    for text in ("Queued", "Building", "Failed", "Ready", "Expired and deleted", "2 attempts"):
        assert text in panel, text
    assert "RuntimeError: &lt;b&gt;out of memory&lt;/b&gt;" in panel
    assert superuser.get_full_name() in panel
    for file in ExportFile.objects.filter(job=ready):
        assert file.name in panel and file.sha256 in panel
        assert f'href="{file_url(file)}"' in panel
    assert "3 downloads" in panel
    # The expired export's files are gone; their hashes and deletion stay on the page.
    for file in ExportFile.objects.filter(job=expired):
        assert file.sha256 in panel and f'href="{file_url(file)}"' not in panel
    assert "deleted 2026-03-05 10:00" in panel
    # Newest first.
    assert panel.index("Queued") < panel.index("Building") < panel.index("Failed")


@pytest.mark.parametrize("right", ["access", "portability"])
def test_access_and_portability_cases_have_the_panel(admin_client, right):
    case = DsrCaseFactory(status=S.IN_PROGRESS, right=right)

    panel = panel_of(admin_client, case)

    assert "Exports" in panel and f'href="{build_url(case)}"' in panel


def test_other_rights_have_no_panel(admin_client):
    case = DsrCaseFactory(status=S.IN_PROGRESS, right="erasure")

    assert 'id="dsr-exports-heading"' not in html_of(admin_client, case)


# --- Build, retry, regenerate ---------------------------------------------------------------


def test_build_export_queues_one_through_the_service(admin_client, case, superuser):
    assert admin_client.get(build_url(case)).status_code == 200

    response = admin_client.post(build_url(case), follow=True)

    [job] = ExportJob.objects.filter(case=case)
    assert (job.status, job.requested_by) == (E.QUEUED, superuser)
    assert "the export is queued" in " ".join(messages_of(response))
    assert [e.note for e in case.events.filter(kind=EventKind.TASK)] == ["Export requested."]
    panel = panel_of(admin_client, case)
    assert "Queued" in panel
    assert f'href="{build_url(case)}"' not in panel  # nothing to build while one is queued


def test_build_is_offered_only_when_the_service_allows_it(admin_client):
    case = DsrCaseFactory(status=S.RECEIVED, right="access")
    assert f'href="{build_url(case)}"' not in panel_of(admin_client, case)

    response = admin_client.get(build_url(case))
    assert response.status_code == 302 and response["Location"] == case_url(case)

    refused = admin_client.post(build_url(case))
    assert refused.status_code == 200
    assert "Verify the requester" in refused.content.decode()
    assert not ExportJob.objects.exists()


def test_a_failed_build_is_visible_and_retryable(admin_client, case, superuser, monkeypatch):
    def build(case):
        raise RuntimeError("the PDF renderer crashed")

    # The builder itself (dsr.exports) is replaced: what matters here is how a failure shows.
    builder = types.ModuleType("dsr.exports")
    builder.build = build
    monkeypatch.setitem(sys.modules, "dsr.exports", builder)
    monkeypatch.setattr(dsr, "exports", builder, raising=False)
    job = export_services.export_request(case=case, actor=superuser)

    assert export_services.export_build(job_id=job.pk) == "failed"

    panel = panel_of(admin_client, case)
    assert "Failed" in panel and "RuntimeError: the PDF renderer crashed" in panel
    assert f'href="{job_url(job, "retry")}"' in panel
    assert f'href="{job_url(job, "regenerate")}"' not in panel

    assert admin_client.get(job_url(job, "retry")).status_code == 200
    response = admin_client.post(job_url(job, "retry"), follow=True)

    assert "queued again" in " ".join(messages_of(response))
    job.refresh_from_db()
    assert job.status == E.QUEUED and job.attempts == 1
    assert ExportJob.objects.count() == 1


def test_retrying_an_export_that_did_not_fail_is_refused_with_a_message(admin_client, case):
    job = export(case, E.READY)

    response = admin_client.post(job_url(job, "retry"))

    assert response.status_code == 200
    assert "Only a failed export can be retried." in response.content.decode()
    job.refresh_from_db()
    assert job.status == E.READY


@pytest.mark.parametrize("status", [E.READY, E.EXPIRED])
def test_regenerate_makes_a_new_export(admin_client, case, superuser, status):
    old = export(case, status, age_minutes=30)
    assert f'href="{job_url(old, "regenerate")}"' in panel_of(admin_client, case)

    response = admin_client.post(job_url(old, "regenerate"), follow=True)

    assert "a new export is queued" in " ".join(messages_of(response))
    new = ExportJob.objects.exclude(pk=old.pk).get()
    assert (new.status, new.requested_by) == (E.QUEUED, superuser)
    old.refresh_from_db()
    assert old.status == status  # the earlier one stays until it expires


def test_buttons_are_only_on_the_newest_export(admin_client, case):
    old = export(case, E.FAILED, age_minutes=30)
    export(case, E.READY, age_minutes=10)

    panel = panel_of(admin_client, case)

    assert f'href="{job_url(old, "retry")}"' not in panel
    assert admin_client.get(job_url(old, "retry")).status_code == 302  # not offered now


def test_a_step_posted_from_a_stale_page_is_refused_with_its_reason(admin_client, case):
    old = export(case, E.FAILED, age_minutes=30)
    newest = export(case, E.READY, age_minutes=10)

    retried = admin_client.post(job_url(old, "retry"))
    built = admin_client.post(build_url(case))

    assert retried.status_code == 200 and built.status_code == 200
    assert "Only the newest export of a request can be built again." in retried.content.decode()
    assert "This request has an export" in built.content.decode()
    assert list(ExportJob.objects.filter(case=case)) == [newest, old]
    old.refresh_from_db()
    assert old.status == E.FAILED


def test_a_failed_export_is_retried_not_regenerated(admin_client, case):
    failed = export(case, E.FAILED)

    response = admin_client.post(job_url(failed, "regenerate"))

    assert "Only a finished export can be regenerated" in response.content.decode()
    assert ExportJob.objects.filter(case=case).count() == 1
    with pytest.raises(ApplicationError, match="retry a failed one"):
        export_services.export_request(case=case)


def test_the_services_refuse_what_the_buttons_do_not_offer(case):
    old = export(case, E.FAILED, age_minutes=30)
    export(case, E.READY, age_minutes=10)

    with pytest.raises(ApplicationError, match="Only the newest export"):
        export_services.export_retry(job=old)
    assert export_services.export_request(case=case).status == E.QUEUED  # a regeneration


def test_the_buttons_need_the_change_permission(client, case):
    viewer = UserFactory()
    viewer.user_permissions.add(Permission.objects.get(codename="view_dsrcase"))
    job = export(case, E.FAILED)
    client.force_login(viewer)

    panel = panel_of(client, case)

    assert "Failed" in panel and "Retry" not in panel
    assert client.get(job_url(job, "retry")).status_code == 403
    assert client.post(job_url(job, "retry")).status_code == 403
    assert client.post(build_url(case)).status_code == 403
    job.refresh_from_db()
    assert job.status == E.FAILED


def test_unknown_exports_are_not_found(admin_client, case):
    other = export(DsrCaseFactory(status=S.IN_PROGRESS), E.FAILED)
    url = reverse("admin:dsr_dsrcase_export_retry", args=[case.pk, other.pk])

    assert admin_client.get(url).status_code == 404


# --- Staff downloads ------------------------------------------------------------------------


def test_staff_download_is_streamed_counted_and_logged(admin_client, case, superuser):
    file = export(case, E.READY).files.get()

    response = admin_client.get(file_url(file))

    assert response.status_code == 200
    assert response.content == REPORT + b"report"
    assert response["Content-Disposition"] == f'attachment; filename="{file.name}"'
    assert "no-store" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
    file.refresh_from_db()
    assert file.download_count == 1
    [entry] = AccessLogEntry.objects.all()
    assert (entry.actor, entry.action, entry.object_id) == (
        superuser,
        AccessAction.DOWNLOAD,
        str(file.pk),
    )
    assert (entry.case_reference, entry.purpose) == (case.reference, "Handling the request")


def test_staff_download_needs_a_login_and_the_permission(client, case):
    file = export(case, E.READY).files.get()

    anonymous = client.get(file_url(file))
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]

    staff = UserFactory(username="no-role")
    client.force_login(staff)
    assert client.get(file_url(file)).status_code == 403

    staff.user_permissions.add(Permission.objects.get(codename="view_dsrcase"))
    assert client.get(file_url(file)).status_code == 200
    assert client.head(file_url(file)).status_code == 405  # a HEAD would count nothing
    assert AccessLogEntry.objects.count() == 1


def test_a_deleted_file_cannot_be_downloaded(admin_client, case):
    job = export(case, E.READY)
    expire(job)

    response = admin_client.get(file_url(job.files.get()), follow=True)

    assert "This file has expired and was deleted." in " ".join(messages_of(response))
    assert not AccessLogEntry.objects.filter(action=AccessAction.DOWNLOAD).exists()


# --- Query counts ---------------------------------------------------------------------------


def _exports(case, count):
    for n in range(count):
        job = export(case, E.READY, files=("report", "package", "html"), age_minutes=n)
        if n % 2:
            expire(job)
    export(case, E.FAILED, error="boom")


def test_case_page_query_count_stays_flat(admin_client, case):
    _exports(case, 1)
    few = queries_of_get(admin_client, case_url(case))
    _exports(case, 8)

    assert queries_of_get(admin_client, case_url(case)) == few


# --- The list of exports --------------------------------------------------------------------


def test_exports_are_listed_read_only_and_filtered_by_status(admin_client, case):
    failed = export(case, E.FAILED)
    ready = export(case, E.READY)
    url = reverse("admin:dsr_exportjob_changelist")

    response = admin_client.get(url, {"status__exact": "failed"})
    assert list(response.context["cl"].result_list) == [failed]
    response = admin_client.get(url, {"q": case.reference.lower()})
    assert set(response.context["cl"].result_list) == {failed, ready}

    page = admin_client.get(reverse("admin:dsr_exportjob_change", args=[ready.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert ready.files.get().sha256 in html and case.reference in html
    assert 'name="_save"' not in html
    assert admin_client.get(reverse("admin:dsr_exportjob_add")).status_code == 403


def test_nobody_can_delete_an_export_or_its_files(admin_client, case):
    job = export(case, E.READY)
    url = reverse("admin:dsr_exportjob_changelist")

    assert admin_client.get(reverse("admin:dsr_exportjob_delete", args=[job.pk])).status_code == 403
    response = admin_client.get(url)
    job_admin = admin.site.get_model_admin(ExportJob)
    assert "delete_selected" not in job_admin.get_actions(response.wsgi_request)
    admin_client.post(
        url, {"action": "delete_selected", "_selected_action": [job.pk], "post": "yes"}
    )
    assert ExportJob.objects.filter(pk=job.pk).exists()
    assert not admin.site.is_registered(ExportFile)
    [inline] = job_admin.get_inline_instances(response.wsgi_request, job)
    assert not inline.has_delete_permission(response.wsgi_request, job)
    assert not job_admin.has_delete_permission(response.wsgi_request, job)


def test_export_list_query_count_stays_flat(admin_client, case):
    url = reverse("admin:dsr_exportjob_changelist")
    _exports(case, 1)
    few = queries_of_get(admin_client, url)
    for _ in range(5):
        _exports(DsrCaseFactory(status=S.IN_PROGRESS), 2)

    assert queries_of_get(admin_client, url) == few
