"""A requester's whole journey in Chromium, in Swedish: the request form, the emailed
confirmation link, the status page, staff building the export and completing the case, the
one-time code and the download. Real SMTP server, real worker, real export builder;
screenshots of each step land in var/test-results/screenshots/<test>/."""

import hashlib
import re
import time
from pathlib import Path

import pytest
from django.utils import translation
from playwright.sync_api import expect

from core.choices import AccessAction
from core.models import AccessLogEntry
from dsr.choices import CaseStatus, ExportStatus
from dsr.models import DsrCase, ExportFile, ExportJob
from tests.factories import TEST_PASSWORD, ControllerProfileFactory
from tests.helpers import authenticator_code, authenticator_for

pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]

EMAIL = "anna.berg@example.org"
# Six digits on their own: not the tail of a reference such as DSR-2026-000001.
CODE = re.compile(r"(?<![\d-])(\d{6})(?!\d)")


def wait_until(condition, timeout: float = 120.0, step: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(step)
    raise AssertionError(f"gave up after {timeout}s waiting for {condition.__doc__ or condition}")


def mail_to_requester(smtp_sink, contains: str):
    def find():
        """an email to the requester"""
        return next(
            (m for m in smtp_sink.messages if m.rcpt_tos == [EMAIL] and contains in m.text()),
            None,
        )

    return wait_until(find, timeout=30)


def path_of(url_in_text: str, text: str) -> str:
    """The site-relative address of the first link in `text` under `url_in_text`."""
    match = re.search(rf"https?://[^/\s]+({re.escape(url_in_text)}[^\s]+/)", text)
    assert match, text
    return match.group(1)


@pytest.mark.browser_context_args(locale="sv-SE", extra_http_headers={"Accept-Language": "sv"})
def test_a_requester_gets_a_copy_of_their_data_in_swedish(
    page, browser, live_server, celery_worker, smtp_sink, screenshot, settings, superuser
):
    settings.SITE_URL = live_server.url
    ControllerProfileFactory()
    page.set_default_timeout(20_000)

    # 1. The request, in Swedish.
    page.goto(f"{live_server.url}/privacy/request/")
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    page.locator('input[name="rights"][value="access"]').check()
    page.locator('input[name="email"]').fill(EMAIL)
    page.locator('input[name="name"]').fill("Anna Berg")
    page.locator('input[name="age_confirmed"]').check()
    screenshot("request-form")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/privacy/request/sent/")
    screenshot("request-sent")

    # 2. The worker registers the request and emails the confirmation link; the page it
    # leads to only shows a button.
    verification = mail_to_requester(smtp_sink, "/privacy/verify/")
    case = DsrCase.objects.get()
    assert (case.right, case.language, case.status) == (
        "access",
        "sv",
        CaseStatus.AWAITING_IDENTITY,
    )
    page.goto(live_server.url + path_of("/privacy/verify/", verification.text()))
    screenshot("confirm-button")
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_text(case.reference)).to_be_visible()
    screenshot("confirmed")
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS

    # 3. The status page, from the acknowledgement.
    acknowledgement = mail_to_requester(smtp_sink, "/privacy/status/")
    status_path = path_of("/privacy/status/", acknowledgement.text())
    page.goto(live_server.url + status_path)
    expect(page.get_by_role("heading", name=re.compile(case.reference))).to_be_visible()
    screenshot("status-in-progress")

    # 4. Staff build the export on the case page (the worker builds it) and complete the case.
    staff_context = browser.new_context()
    try:
        staff = staff_context.new_page()
        staff.set_default_timeout(20_000)
        app = authenticator_for(superuser)  # the officer's authenticator, set up before
        staff.goto(f"{live_server.url}/admin/login/")
        staff.get_by_label("Username").fill(superuser.username)
        staff.get_by_label("Password").fill(TEST_PASSWORD)
        staff.get_by_role("button", name="Log in").click()
        staff.locator("input[name=code]").fill(authenticator_code(app))
        staff.locator("#login-form input[type=submit]").click()
        staff.wait_for_url(f"{live_server.url}/admin/")
        staff.goto(f"{live_server.url}/admin/dsr/dsrcase/{case.pk}/change/")
        staff.locator(".dsr-exports").get_by_role("link", name="Build export").click()
        staff.get_by_role("button", name="Build export").click()
        expect(staff.get_by_text("the export is queued")).to_be_visible()

        def built():
            """the worker to build the export"""
            job = ExportJob.objects.get(case=case)
            return job if job.status in (ExportStatus.READY, ExportStatus.FAILED) else None

        job = wait_until(built)
        assert job.status == ExportStatus.READY, job.error
        staff.reload()
        expect(staff.locator(".dsr-export--ready")).to_be_visible()
        staff_screenshot(screenshot, staff, "staff-export-ready")

        staff.get_by_role("link", name="Complete", exact=True).click()
        staff.get_by_label("Outcome").fill("Your data is ready to download on your request's page.")
        staff.get_by_role("button", name="Complete", exact=True).click()
        expect(
            staff.get_by_text(
                "completed; the answer is in a letter to the requester. "
                "It is emailed to the requester."
            )
        ).to_be_visible()
        staff_screenshot(screenshot, staff, "staff-case-completed")
    finally:
        staff_context.close()
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED

    # 5. The requester opens the status page and the download, and asks for a code.
    page.goto(live_server.url + status_path)
    download_link = page.locator(f'a[href$="/download/{job.public_id}/"]')
    expect(download_link).to_be_visible()
    screenshot("status-data-ready")
    download_link.click()
    expect(page.locator('input[name="code"]')).to_be_visible()
    screenshot("download-asks-for-a-code")
    page.locator('main form:has(input[value="send"]) button[type=submit]').click()
    with translation.override("sv"):
        subject = translation.gettext("Your download code for %(reference)s") % {
            "reference": case.reference
        }

    def code_mail():
        """the download code"""
        return next((m for m in smtp_sink.messages if m.subject == subject), None)

    code = CODE.findall(wait_until(code_mail, timeout=30).text())[-1]
    screenshot("code-sent")

    # 6. The code, then the report.
    page.locator('input[name="code"]').fill(code)
    page.locator('main form:has(input[value="code"]) button[type=submit]').click()
    report = ExportFile.objects.get(job=job, kind="report")
    link = page.get_by_role("link", name=report.name)
    expect(link).to_be_visible()
    expect(page.get_by_text(report.sha256)).to_be_visible()
    screenshot("files")
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == report.name
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"%PDF")
    assert hashlib.sha256(data).hexdigest() == report.sha256
    screenshot("downloaded")

    report.refresh_from_db()
    assert report.download_count == 1
    entry = AccessLogEntry.objects.get(action=AccessAction.DOWNLOAD, actor__isnull=True)
    assert (entry.object_id, entry.case_reference) == (str(report.pk), case.reference)


def staff_screenshot(screenshot, staff, step: str) -> None:
    """The `screenshot` fixture names and numbers the file (it shoots the requester's page);
    the staff browser's view replaces it."""
    path = screenshot(step)
    staff.screenshot(path=str(path), full_page=True)
