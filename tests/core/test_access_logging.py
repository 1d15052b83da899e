"""Every staff view of a subject, a case or an export, every download and every search by
name or address leaves an access-log row: who, when, what, for which request, from where.
And support agents see only their own requests and unassigned ones."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core import crypto
from core.access_log import verify_chain
from core.choices import AccessAction
from core.models import AccessLogEntry
from dsr.choices import CaseStatus, ExportStatus, TaskKind, TaskStatus
from dsr.models import CaseTask, ExportJob
from dsr.services import exports as export_services
from tests.factories import (
    DataSubjectFactory,
    DsrCaseFactory,
    ProcessorAgreementFactory,
    SystemFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ADDRESS = "198.51.100.23"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def rows(**filters):
    return list(AccessLogEntry.objects.filter(**filters).order_by("pk"))


def only_row(**filters):
    found = rows(**filters)
    assert len(found) == 1, found
    return found[0]


def test_viewing_a_subject_is_logged_with_who_and_where(client, privacy_officer):
    subject = DataSubjectFactory()
    client.force_login(privacy_officer)

    page = client.get(
        reverse("admin:privacy_datasubject_change", args=[subject.pk]), REMOTE_ADDR=ADDRESS
    )

    assert page.status_code == 200
    row = only_row(object_type="data subject")
    assert (row.actor, row.action, row.subject_id) == (
        privacy_officer,
        AccessAction.VIEW,
        subject.pk,
    )
    assert row.ip_address == ADDRESS and row.object_id == str(subject.pk)
    assert row.purpose == "Looking up a data subject"


def test_a_list_without_a_search_is_not_logged_and_a_page_view_once(client, privacy_officer):
    subject = DataSubjectFactory()
    client.force_login(privacy_officer)
    client.get(reverse("admin:privacy_datasubject_changelist"))  # a list without search

    assert rows() == []
    client.get(reverse("admin:privacy_datasubject_change", args=[subject.pk]))
    assert len(rows()) == 1


def test_viewing_a_case_says_which_request_it_served(client, support_agent):
    case = DsrCaseFactory(status=CaseStatus.IN_PROGRESS)
    client.force_login(support_agent)

    assert client.get(reverse("admin:dsr_dsrcase_change", args=[case.pk])).status_code == 200

    row = only_row(object_type="case")
    assert (row.case_reference, row.subject_id) == (case.reference, case.subject_id)
    assert row.purpose == f"Handling {case.reference}"


def test_searching_by_address_or_name_is_logged_with_the_term(client, privacy_officer):
    DataSubjectFactory()
    client.force_login(privacy_officer)

    client.get(reverse("admin:privacy_datasubject_changelist"), {"q": "anna@example.org"})
    client.get(reverse("admin:dsr_dsrcase_changelist"), {"q": "Berg"})
    client.get(reverse("admin:dsr_submission_changelist"), {"q": "Berg"})

    searches = rows(action=AccessAction.SEARCH)
    assert [(row.object_type, row.query) for row in searches] == [
        ("data subject", "anna@example.org"),
        ("case", "Berg"),
        ("submission", "Berg"),
    ]


def test_autocomplete_searches_of_subjects_are_logged(client, privacy_officer):
    DataSubjectFactory()
    client.force_login(privacy_officer)

    response = client.get(
        reverse("admin:autocomplete"),
        {
            "term": "Anna",
            "app_label": "privacy",
            "model_name": "consentrecord",
            "field_name": "subject",
        },
    )

    assert response.status_code == 200
    assert only_row(action=AccessAction.SEARCH).query == "Anna"


def test_search_terms_are_encrypted_at_rest(client, privacy_officer):
    from django.db import connection

    client.force_login(privacy_officer)
    client.get(reverse("admin:privacy_datasubject_changelist"), {"q": "secret.person@example.org"})

    with connection.cursor() as cursor:
        cursor.execute("SELECT query FROM core_accesslogentry")
        (stored,) = cursor.fetchone()
    assert "secret.person" not in stored


def test_downloading_an_export_file_is_logged(client, privacy_officer):
    case = DsrCaseFactory(status=CaseStatus.IN_PROGRESS)
    job = ExportJob.objects.create(case=case, status=ExportStatus.READY)
    file = export_services.export_store_file(
        job=job, kind="report", name="report.pdf", content_type="application/pdf", data=b"%PDF"
    )
    client.force_login(privacy_officer)

    response = client.get(reverse("dsr_staff:export_file", args=[file.pk]))

    assert response.status_code == 200
    row = only_row(action=AccessAction.DOWNLOAD)
    assert row.case_reference == case.reference and row.actor == privacy_officer


def _evidence_task(case, name="screenshot.png", data=b"\x89PNG\r\n\x1a\nimage data"):
    task = CaseTask.objects.create(
        case=case, kind=TaskKind.SYSTEM, system=SystemFactory(), status=TaskStatus.DONE
    )
    sealed = crypto.encrypt_bytes(data)
    task.evidence_file.save(
        f"{task.public_id}-evidence.{name.rsplit('.', 1)[-1]}.enc", ContentFile(sealed)
    )
    return task


def assert_served_as_download(response, filename: str):
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert filename in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox")
    assert "no-store" in response["Cache-Control"]


def test_task_evidence_is_downloaded_decrypted_as_an_attachment_and_logged(client, privacy_officer):
    case = DsrCaseFactory(status=CaseStatus.IN_PROGRESS)
    task = _evidence_task(case)
    client.force_login(privacy_officer)

    page = client.get(reverse("admin:dsr_dsrcase_change", args=[case.pk])).content.decode()
    link = reverse("dsr_staff:task_evidence", args=[task.pk])
    assert link in page and "/media/" not in page
    response = client.get(link)

    assert_served_as_download(response, f"{case.reference}-evidence.png")
    assert response.content == b"\x89PNG\r\n\x1a\nimage data"
    row = only_row(object_type="task evidence")
    assert (row.action, row.case_reference) == (AccessAction.DOWNLOAD, case.reference)


def test_evidence_that_would_be_a_page_is_still_only_a_download(client, privacy_officer):
    # An upload check keeps HTML out; should one be stored anyway, it never runs as ours.
    task = _evidence_task(DsrCaseFactory(), name="page.html", data=b"<script>alert(1)</script>")
    client.force_login(privacy_officer)

    response = client.get(reverse("dsr_staff:task_evidence", args=[task.pk]))

    assert_served_as_download(response, "evidence.html")
    assert "sandbox" in response["Content-Security-Policy"]


def test_evidence_of_a_colleagues_request_is_not_found_for_an_agent(client, support_agent):
    case = DsrCaseFactory(status=CaseStatus.IN_PROGRESS, assignee=UserFactory(username="other"))
    task = _evidence_task(case)
    client.force_login(support_agent)

    assert client.get(reverse("dsr_staff:task_evidence", args=[task.pk])).status_code == 404
    assert rows() == []


def test_a_missing_evidence_file_is_a_message_not_an_error(client, privacy_officer):
    case = DsrCaseFactory(status=CaseStatus.IN_PROGRESS)
    task = _evidence_task(case)
    task.evidence_file.storage.delete(task.evidence_file.name)
    client.force_login(privacy_officer)

    response = client.get(reverse("dsr_staff:task_evidence", args=[task.pk]), follow=True)

    assert response.status_code == 200
    assert "could not be read" in response.content.decode()


def test_agreement_documents_are_downloads_through_the_portal(client, support_agent, manager):
    agreement = ProcessorAgreementFactory(
        document=SimpleUploadedFile("dpa.pdf", b"%PDF-1.7\n signed contract")
    )
    link = reverse("register:agreement_document", args=[agreement.pk])
    for user in (support_agent, manager):  # read-only pages show the same link
        client.force_login(user)
        page = client.get(
            reverse("admin:processors_processoragreement_change", args=[agreement.pk])
        )
        assert link in page.content.decode() and "/media/" not in page.content.decode()

    response = client.get(link)

    assert_served_as_download(response, ".pdf")
    assert response.content == b"%PDF-1.7\n signed contract"
    assert rows(object_type="processor agreement", action=AccessAction.DOWNLOAD)


def test_agreement_documents_are_for_staff_with_a_role(client):
    agreement = ProcessorAgreementFactory(
        document=SimpleUploadedFile("dpa.pdf", b"%PDF-1.7\n signed contract")
    )
    client.force_login(UserFactory(username="norole"))

    response = client.get(reverse("register:agreement_document", args=[agreement.pk]))

    assert response.status_code == 403


def test_every_logged_access_keeps_the_chain_intact(client, privacy_officer):
    subject = DataSubjectFactory()
    case = DsrCaseFactory(status=CaseStatus.IN_PROGRESS)
    client.force_login(privacy_officer)
    client.get(reverse("admin:privacy_datasubject_change", args=[subject.pk]))
    client.get(reverse("admin:dsr_dsrcase_change", args=[case.pk]))
    client.get(reverse("admin:privacy_datasubject_changelist"), {"q": "Anna"})

    report = verify_chain()

    assert report.checked == 3 and report.intact


# --- Support agents: their own requests and unassigned ones ---------------------------------


@pytest.fixture
def three_cases(support_agent):
    colleague = UserFactory(username="colleague", roles=["support_agent"])
    return {
        "mine": DsrCaseFactory(status=CaseStatus.IN_PROGRESS, assignee=support_agent),
        "unassigned": DsrCaseFactory(status=CaseStatus.IN_PROGRESS),
        "colleague's": DsrCaseFactory(status=CaseStatus.IN_PROGRESS, assignee=colleague),
    }


def test_an_agent_lists_own_and_unassigned_requests_only(client, support_agent, three_cases):
    client.force_login(support_agent)

    page = client.get(reverse("admin:dsr_dsrcase_changelist")).content.decode()

    assert three_cases["mine"].reference in page
    assert three_cases["unassigned"].reference in page
    assert three_cases["colleague's"].reference not in page


def test_a_colleagues_request_is_not_found_on_every_page_of_it(client, support_agent, three_cases):
    theirs = three_cases["colleague's"]
    client.force_login(support_agent)

    for path in (
        reverse("admin:dsr_dsrcase_change", args=[theirs.pk]),
        reverse("admin:dsr_dsrcase_add_note", args=[theirs.pk]),
        reverse("admin:dsr_submission_change", args=[theirs.submission_id]),
    ):
        assert client.get(path).status_code == 404, path
    assert (
        client.post(
            reverse("admin:dsr_dsrcase_add_note", args=[theirs.pk]), {"note": "Hi"}
        ).status_code
        == 404
    )
    assert rows() == []  # nothing was shown, so nothing was viewed


def test_the_privacy_officer_and_auditor_see_every_request(
    client, privacy_officer, auditor, three_cases
):
    for user in (privacy_officer, auditor):
        client.force_login(user)
        page = client.get(reverse("admin:dsr_dsrcase_changelist")).content.decode()
        assert all(case.reference in page for case in three_cases.values())


def test_an_autocomplete_term_with_a_nul_character_is_searched_without_it(client, privacy_officer):
    # PostgreSQL stores no NUL: the term is searched (and logged) without it, never a 500.
    DataSubjectFactory()
    client.force_login(privacy_officer)

    response = client.get(
        reverse("admin:autocomplete"),
        {
            "term": "An\x00na",
            "app_label": "privacy",
            "model_name": "consentrecord",
            "field_name": "subject",
        },
    )

    assert response.status_code == 200
    assert only_row(action=AccessAction.SEARCH).query == "Anna"
