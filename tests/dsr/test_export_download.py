"""The requester's download behind the status link: a one-time code by email, then the files
of that export only, for this browser only; expired exports are gone, every download counted
and logged."""

import hashlib
import io
import re
import uuid
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import quote

import hypothesis
import pytest
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from core.choices import AccessAction
from core.models import AccessLogEntry, OutboxEmail
from core.tasks import send_outbox_email
from dsr.choices import ExportFileKind, ExportStatus
from dsr.models import DownloadCode, ExportFile, ExportJob
from dsr.services import transitions
from dsr.services.exports import export_store_file, exports_expire_due
from tests.dsr.conftest import receive
from tests.factories import ControllerProfileFactory

pytestmark = pytest.mark.django_db

REPORT = b"%PDF-1.7\n% Anna Berg's access report\n%%EOF\n"
PACKAGE = b"PK\x03\x04 anna's data package"
# Six digits on their own: not the tail of a reference such as DSR-2026-000001.
CODE = re.compile(r"(?<![\d-])(\d{6})(?!\d)")


@pytest.fixture(autouse=True)
def _setup(media_in_tmp):
    cache.clear()  # the rate limits count in the cache
    ControllerProfileFactory()
    yield
    cache.clear()


def ready_export(case, *, days: int = 7) -> ExportJob:
    now = timezone.now()
    job = ExportJob.objects.create(
        case=case,
        status=ExportStatus.READY,
        finished_at=now,
        expires_at=now + timedelta(days=days),
    )
    export_store_file(
        job=job,
        kind=ExportFileKind.REPORT,
        name=f"{case.reference}-report.pdf",
        content_type="application/pdf",
        data=REPORT,
    )
    export_store_file(
        job=job,
        kind=ExportFileKind.PACKAGE,
        name=f"{case.reference}-data.zip",
        content_type="application/zip",
        data=PACKAGE,
    )
    return job


def requester(email: str, name: str, *, answered: bool = True):
    """A requester whose access request staff answered with an export."""
    submission = receive("access", email=email, name=name)
    case = submission.cases.get()
    if answered:
        transitions.case_start(case=case, actor=None)
        transitions.case_complete(case=case, actor=None, outcome="Your data is ready to download.")
        case.refresh_from_db()
    return SimpleNamespace(
        submission=submission, case=case, job=ready_export(case), token=submission.status_token
    )


@pytest.fixture
def anna(frozen):
    return requester("anna@example.org", "Anna Berg")


@pytest.fixture
def bo(frozen):
    return requester("bo@example.org", "Bo Ek")


def status_url(who) -> str:
    return f"/privacy/status/{who.token}/"


def download_url(who, job=None) -> str:
    return f"{status_url(who)}download/{(job or who.job).public_id}/"


def file_url(who, kind: str = "report", job=None) -> str:
    return f"{download_url(who, job)}{kind}/"


def send_code(client, who, smtp_sink) -> str:
    """Ask for a code on the page; the worker's send goes through the real SMTP server."""
    received = len(smtp_sink.messages)
    response = client.post(download_url(who), {"action": "send"})
    assert response.status_code == 302 and response["Location"] == download_url(who)
    email = OutboxEmail.objects.order_by("-pk").first()
    send_outbox_email(email.pk)
    [mail] = smtp_sink.wait_for(received + 1)[received:]
    assert mail.rcpt_tos == [who.submission.requester_email]
    assert "download code" in mail.subject
    assert who.case.reference in mail.subject
    return CODE.findall(mail.text())[-1]


def enter_code(client, who, code: str):
    return client.post(download_url(who), {"action": "code", "code": code})


def granted(client, who) -> bool:
    return client.get(file_url(who)).status_code == 200


# --- The pages ------------------------------------------------------------------------------


def test_the_status_page_offers_the_ready_export(client, anna):
    response = client.get(status_url(anna))

    page = response.content.decode()
    assert "Your data is ready" in page
    assert f'href="{download_url(anna)}"' in page
    assert "no-store" in response["Cache-Control"]


def test_opening_the_download_link_only_offers_a_code(client, anna):
    response = client.get(download_url(anna))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert "Email me a code" in page and 'name="code"' in page
    assert anna.case.reference in page
    assert file_url(anna) not in page
    assert not DownloadCode.objects.exists()  # a mail scanner's GET sends nothing
    # Without a code the files stay behind the code page.
    response = client.get(file_url(anna))
    assert response.status_code == 302 and response["Location"] == download_url(anna)
    assert ExportFile.objects.get(job=anna.job, kind="report").download_count == 0


# --- The code -------------------------------------------------------------------------------


def test_the_emailed_code_lets_this_browser_download(client, anna, smtp_sink):
    code = send_code(client, anna, smtp_sink)
    assert len(code) == 6
    assert "We have emailed a code" in client.get(download_url(anna)).content.decode()

    wrong = "000000" if code != "000000" else "111111"
    response = enter_code(client, anna, wrong)
    assert response.status_code == 200
    assert "This code is not right" in response.content.decode()
    assert not granted(client, anna)

    response = enter_code(client, anna, f"{code[:3]} {code[3:]}")  # as copied, with a space
    assert response.status_code == 302 and response["Location"] == download_url(anna)
    page = client.get(download_url(anna)).content.decode()
    report = ExportFile.objects.get(job=anna.job, kind="report")
    for text in (
        report.name,
        report.sha256,
        hashlib.sha256(PACKAGE).hexdigest(),
        f'href="{file_url(anna)}"',
        f'href="{file_url(anna, "package")}"',
    ):
        assert text in page, text

    response = client.get(file_url(anna))

    assert response.status_code == 200
    assert response.content == REPORT
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{report.name}"'
    assert "no-store" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
    report.refresh_from_db()
    assert report.download_count == 1
    [entry] = AccessLogEntry.objects.all()
    assert (entry.action, entry.object_type, entry.object_id) == (
        AccessAction.DOWNLOAD,
        "export file",
        str(report.pk),
    )
    assert entry.case_reference == anna.case.reference
    assert entry.actor is None and entry.ip_address == "127.0.0.1"
    assert entry.purpose == "Downloaded by the requester"

    package = client.get(file_url(anna, "package"))
    assert package.content == PACKAGE and package["Content-Type"] == "application/zip"
    assert AccessLogEntry.objects.count() == 2


def test_a_code_works_once(client, anna, smtp_sink):
    code = send_code(client, anna, smtp_sink)
    assert enter_code(client, anna, code).status_code == 302

    other_browser = Client()
    response = enter_code(other_browser, anna, code)

    assert "This code is not right" in response.content.decode()
    assert not granted(other_browser, anna)


def test_a_code_older_than_ten_minutes_is_refused(client, anna, smtp_sink, frozen):
    code = send_code(client, anna, smtp_sink)
    frozen.shift(timedelta(minutes=10, seconds=1))

    response = enter_code(client, anna, code)

    assert "This code is not right" in response.content.decode()
    assert not granted(client, anna)


def test_too_many_wrong_tries_void_the_code(client, anna, smtp_sink, settings):
    code = send_code(client, anna, smtp_sink)
    wrong = [f"{n:06d}" for n in range(1, 10) if f"{n:06d}" != code]
    for attempt in wrong[: settings.DSR_DOWNLOAD_CODE_MAX_ATTEMPTS]:
        assert enter_code(client, anna, attempt).status_code == 200

    response = enter_code(client, anna, code)

    assert "This code is not right" in response.content.decode()
    assert not granted(client, anna)
    # A new code works again.
    fresh = send_code(client, anna, smtp_sink)
    assert enter_code(client, anna, fresh).status_code == 302


def test_a_malformed_code_is_refused_without_using_a_try(client, anna, smtp_sink):
    send_code(client, anna, smtp_sink)

    response = enter_code(client, anna, "<b>123</b>")

    page = response.content.decode()
    assert "Enter the six digits" in page
    assert "<b>123</b>" not in page
    assert "&lt;b&gt;123&lt;/b&gt;" in page
    assert DownloadCode.objects.get(used_at__isnull=True).failed_attempts == 0


def test_the_permission_is_for_this_browser_and_this_export_for_a_while(
    client, anna, smtp_sink, frozen, settings
):
    newer = ready_export(anna.case)
    code = send_code(client, anna, smtp_sink)
    enter_code(client, anna, code)

    assert granted(client, anna)
    assert client.get(file_url(anna, job=newer)).status_code == 302  # another export
    assert not granted(Client(), anna)  # another browser

    frozen.shift(settings.DSR_DOWNLOAD_CODE_TTL + timedelta(seconds=1))
    assert not granted(client, anna)


# --- Whose export ---------------------------------------------------------------------------


def test_another_requesters_link_never_reaches_the_export(client, anna, bo, smtp_sink):
    # Bo's valid link with Anna's export: not found, and no code is sent to anyone.
    crossed = SimpleNamespace(**{**vars(bo), "job": anna.job})
    assert client.get(download_url(crossed)).status_code == 404
    assert client.post(download_url(crossed), {"action": "send"}).status_code == 404
    assert client.get(file_url(crossed)).status_code == 404
    assert not DownloadCode.objects.exists()

    # Even with Anna's export unlocked in this browser.
    enter_code(client, anna, send_code(client, anna, smtp_sink))
    assert client.get(file_url(crossed)).status_code == 404
    assert client.get(file_url(anna)).status_code == 200


def test_unknown_links_exports_and_files_are_not_found(client, anna, smtp_sink):
    unknown = SimpleNamespace(**{**vars(anna), "job": SimpleNamespace(public_id=uuid.uuid4())})
    assert client.get(download_url(unknown)).status_code == 404
    assert client.get(file_url(unknown)).status_code == 404
    assert client.get(
        f"/privacy/status/not-a-token/download/{anna.job.public_id}/"
    ).status_code == (404)
    assert client.get(f"{status_url(anna)}download/not-a-uuid/").status_code == 404

    enter_code(client, anna, send_code(client, anna, smtp_sink))
    assert client.get(file_url(anna, "secrets")).status_code == 404
    assert client.get(file_url(anna, "html")).status_code == 404  # this export has none


# --- Expiry and unfinished exports ----------------------------------------------------------


def test_an_expired_export_is_gone_and_its_hashes_stay(client, anna, smtp_sink, frozen):
    enter_code(client, anna, send_code(client, anna, smtp_sink))
    stored = list(ExportFile.objects.filter(job=anna.job).values_list("storage_name", "sha256"))
    assert all(default_storage.exists(name) for name, _sha in stored)

    frozen.shift(timedelta(days=7, seconds=1))
    # Past its expiry it is gone for the requester before the sweep deletes the files.
    assert client.get(download_url(anna)).status_code == 410
    assert exports_expire_due() == 1

    anna.job.refresh_from_db()
    assert anna.job.status == ExportStatus.EXPIRED
    assert not any(default_storage.exists(name) for name, _sha in stored)
    files = ExportFile.objects.filter(job=anna.job)
    assert sorted(f.sha256 for f in files) == sorted(sha for _name, sha in stored)
    assert all(f.deleted_at is not None and f.storage_name == "" for f in files)

    response = client.get(download_url(anna))
    assert response.status_code == 410
    assert "This download has expired" in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert client.get(file_url(anna)).status_code == 410
    assert client.post(download_url(anna), {"action": "send"}).status_code == 410
    status_page = client.get(status_url(anna)).content.decode()
    assert "Your download has expired" in status_page
    assert download_url(anna) not in status_page


@pytest.mark.parametrize("status", [ExportStatus.QUEUED, ExportStatus.FAILED])
def test_an_unfinished_or_failed_export_says_it_is_not_ready(client, anna, status):
    job = ExportJob.objects.create(case=anna.case, status=status, error="boom")

    response = client.get(download_url(anna, job))

    assert response.status_code == 200
    page = response.content.decode()
    assert "not ready yet" in page and "boom" not in page
    assert client.post(download_url(anna, job), {"action": "send"}).status_code == 200
    assert not DownloadCode.objects.filter(job=job).exists()


# --- Rate limits ----------------------------------------------------------------------------


def test_code_requests_are_limited_per_requester(client, anna, bo, settings):
    settings.DSR_REQUEST_LIMIT_PER_EMAIL = 2
    for _ in range(2):
        assert client.post(download_url(anna), {"action": "send"}).status_code == 302

    too_many = client.post(download_url(anna), {"action": "send"})

    assert too_many.status_code == 429
    assert "try again later" in too_many.content.decode().lower()
    assert DownloadCode.objects.filter(job=anna.job).count() == 2
    assert client.post(download_url(bo), {"action": "send"}).status_code == 302


def test_code_requests_are_limited_per_client(client, anna, bo, settings):
    settings.DSR_REQUEST_LIMIT_PER_IP = 2
    assert client.post(download_url(anna), {"action": "send"}).status_code == 302
    assert client.post(download_url(bo), {"action": "send"}).status_code == 302

    assert client.post(download_url(anna), {"action": "send"}).status_code == 429
    other_client = Client(REMOTE_ADDR="192.0.2.7")
    assert other_client.post(download_url(anna), {"action": "send"}).status_code == 302


def test_code_tries_are_limited_per_client(client, anna, smtp_sink, settings):
    code = send_code(client, anna, smtp_sink)
    settings.DSR_REQUEST_LIMIT_PER_IP = 1
    enter_code(client, anna, "000000" if code != "000000" else "111111")

    assert enter_code(client, anna, code).status_code == 429


# --- Hostile input --------------------------------------------------------------------------

hostile_text = st.one_of(
    st.text(max_size=100),
    st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=20),
    st.sampled_from(
        [
            "<script>alert(1)</script>",
            "12345\x00",
            " 1 2 3 4 5 6 ",
            "\uff11\uff12\uff13\uff14\uff15\uff16",
        ]
    ),
)


@hypothesis.settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(action=hostile_text, code=hostile_text, kind=hostile_text.filter(lambda t: "/" not in t))
def test_the_download_pages_never_fail(client, anna, settings, action, code, kind):
    settings.DSR_REQUEST_LIMIT_PER_IP = 10_000
    response = client.post(download_url(anna), {"action": action, "code": code})
    assert response.status_code in (200, 302), response.status_code
    assert "<script>alert(1)</script>" not in response.content.decode()
    response = client.get(quote(f"{download_url(anna)}{kind}/"))
    assert response.status_code in (302, 404), response.status_code


def test_an_export_is_offered_only_once_the_request_is_answered(client, frozen, smtp_sink):
    early = requester("early@example.org", "Early Bird", answered=False)
    page = client.get(status_url(early)).content.decode()
    assert "Your data is ready" not in page
    response = client.post(download_url(early), {"action": "send"}, follow=True)
    assert "not available" in response.content.decode() or response.status_code in (404, 410)
    assert not smtp_sink.messages


def test_the_completion_letter_says_where_and_until_when_to_download(frozen):
    from dsr.models import Letter

    submission = receive("access", email="cleo@example.org", name="Cleo")
    case = submission.cases.get()
    transitions.case_start(case=case, actor=None)
    ready_export(case)
    transitions.case_complete(case=case, actor=None, outcome="Your copy is ready.")
    body = Letter.objects.get(case=case, kind="completion").body
    assert f"download the report and the data files from {submission.status_url}" in body
    assert "until March 12, 2026" in body


def test_an_export_built_before_the_answer_is_announced_not_called_expired(client, frozen):
    early = requester("early@example.org", "Early Bird", answered=False)

    page = client.get(status_url(early)).content.decode()

    assert "We are preparing a copy of your data" in page
    assert "expired" not in page and "have been deleted" not in page
    assert download_url(early) not in page
    response = client.get(download_url(early))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Your data is not available yet" in text and "expired" not in text


def test_an_export_that_expired_unoffered_is_not_said_to_have_been_downloadable(client, frozen):
    early = requester("early@example.org", "Early Bird", answered=False)
    frozen.shift(timedelta(days=7, seconds=1))
    assert exports_expire_due() == 1
    transitions.case_start(case=early.case, actor=None)
    transitions.case_complete(case=early.case, actor=None, outcome="Answered by post.")

    page = client.get(status_url(early)).content.decode()

    assert "Completed." in page
    assert "Your download has expired" not in page and "could be downloaded" not in page
    assert client.get(download_url(early)).status_code == 404


def test_an_export_of_a_withdrawn_request_is_neither_offered_nor_announced(client, frozen):
    early = requester("early@example.org", "Early Bird", answered=False)
    transitions.case_withdraw(case=early.case, notify=False)

    page = client.get(status_url(early)).content.decode()

    assert "Withdrawn." in page
    for text in ("Your data is ready", "expired", "We are preparing a copy of your data"):
        assert text not in page, text
    assert client.get(download_url(early)).status_code == 404


# --- Files that cannot be read --------------------------------------------------------------


def _break(file: ExportFile, how: str) -> None:
    if how == "missing":
        default_storage.delete(file.storage_name)
    else:  # sealed with a key that is no longer configured, or damaged
        default_storage.delete(file.storage_name)
        default_storage.save(file.storage_name, io.BytesIO(b"not a sealed file"))


@pytest.mark.parametrize("how", ["missing", "undecryptable"])
def test_a_file_that_cannot_be_read_is_a_page_not_an_error(client, anna, smtp_sink, how):
    enter_code(client, anna, send_code(client, anna, smtp_sink))
    report = ExportFile.objects.get(job=anna.job, kind="report")
    _break(report, how)

    response = client.get(file_url(anna))

    assert response.status_code == 410
    page = response.content.decode()
    assert "This file is not available" in page
    assert "could not be read" in page
    report.refresh_from_db()
    assert report.download_count == 0
    assert not AccessLogEntry.objects.filter(action=AccessAction.DOWNLOAD).exists()
    assert client.get(file_url(anna, "package")).status_code == 200  # the other file is fine


@pytest.mark.parametrize("how", ["missing", "undecryptable"])
def test_staff_reading_a_broken_export_file_get_a_message(client, anna, privacy_officer, how):
    report = ExportFile.objects.get(job=anna.job, kind="report")
    _break(report, how)
    client.force_login(privacy_officer)

    response = client.get(f"/admin/dsr-documents/exports/files/{report.pk}/", follow=True)

    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert any("could not be read" in m for m in messages), messages
    assert not AccessLogEntry.objects.filter(action=AccessAction.DOWNLOAD).exists()
