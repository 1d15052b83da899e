import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_signs_in_and_reads_the_system_status(staff_page, live_server, screenshot):
    screenshot("admin-index")
    staff_page.goto(f"{live_server.url}/admin/core/workercheck/")

    expect(staff_page.get_by_role("heading", name="System status")).to_be_visible()
    expect(staff_page.get_by_role("row", name="Database reachable")).to_be_visible()
    screenshot("system-status")

    staff_page.get_by_role("button", name="Send a test task to the worker").click()
    expect(staff_page.get_by_text("Test task #")).to_be_visible()
    screenshot("test-task-queued")


def test_wrong_password_is_refused_with_a_message(page, live_server, superuser):
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill(superuser.username)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_text("Please enter a correct username and password")).to_be_visible()
