"""Mandatory second factor for staff: no admin page with a password alone."""

import re

import pytest
from django.contrib import admin
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import two_factor
from tests.factories import TEST_PASSWORD, UserFactory
from tests.helpers import (
    authenticator_code,
    authenticator_for,
    force_login_without_second_factor,
)

pytestmark = pytest.mark.django_db

# The admin's own pages (every registered model's list and add page) and the staff pages
# outside it: documents, downloads, sign-in methods.
ADMIN_PAGES = [
    "/admin/",
    *(
        f"/admin/{model._meta.app_label}/{model._meta.model_name}/{view}"
        for model in admin.site._registry
        for view in ("", "add/")
    ),
    "/admin/register/record-of-processing/controller.pdf",
    "/admin/register/agreements/1/document/",
    "/admin/dsr-documents/letters/1.pdf",
    "/admin/dsr-documents/exports/files/1/",
    "/admin/dsr-documents/tasks/1/evidence/",
    "/admin/two-factor/methods/",
]


@pytest.fixture
def officer(db):
    return UserFactory(username="officer", is_superuser=True)


def sign_in(client, user, password=TEST_PASSWORD, next_url="/admin/"):
    return client.post(
        "/admin/login/", {"username": user.username, "password": password, "next": next_url}
    )


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_a_password_alone_reaches_no_admin_page(client, officer, path):
    force_login_without_second_factor(client, officer)
    response = client.get(path)
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert response["Location"].startswith("/admin/login/")


def test_staff_with_an_app_sign_in_with_password_then_code(client, officer, time_machine):
    time_machine.move_to("2026-05-01T10:00:00Z", tick=False)
    device = authenticator_for(officer)
    response = sign_in(client, officer)
    assert response.status_code == 302 and response["Location"].startswith("/admin/two-factor/")
    assert client.get("/admin/").status_code == 302  # not yet

    wrong = client.post("/admin/two-factor/", {"code": "000000", "next": "/admin/"})
    assert "not right" in wrong.content.decode()
    time_machine.shift(2)  # django-otp waits a moment after a wrong code
    right = client.post(
        "/admin/two-factor/", {"code": authenticator_code(device), "next": "/admin/"}
    )
    assert right.status_code == 302 and right["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_first_sign_in_enrols_an_app_and_issues_backup_codes(client):
    newcomer = UserFactory(username="newcomer", is_superuser=True)
    response = sign_in(client, newcomer)
    assert response["Location"].startswith("/admin/two-factor/setup/")
    page = client.get(response["Location"]).content.decode()
    assert 'src="data:image/svg+xml' in page  # the QR code, no external image service
    assert client.get("/admin/").status_code == 302  # enrolment is all that is open

    device = TOTPDevice.objects.get(user=newcomer, confirmed=False)
    done = client.post(
        "/admin/two-factor/setup/", {"code": authenticator_code(device), "next": "/admin/"}
    )
    codes = re.findall(r"<code>(\w+)</code>", done.content.decode())
    assert len(codes) == 10
    assert TOTPDevice.objects.get(user=newcomer).confirmed
    assert client.get("/admin/").status_code == 200


def test_a_backup_code_works_once(client, officer):
    authenticator_for(officer)
    [code, *_rest] = two_factor.backup_codes_issue(user=officer)
    sign_in(client, officer)
    assert client.post("/admin/two-factor/", {"code": code}).status_code == 302
    assert not StaticToken.objects.filter(token=code).exists()
    client.logout()
    sign_in(client, officer)
    assert "not right" in client.post("/admin/two-factor/", {"code": code}).content.decode()


def test_repeated_failures_lock_the_account(client, officer, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        sign_in(client, officer, password="wrong password")
    locked = sign_in(client, officer)  # even the right password is refused now
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.content.decode()


def test_wrong_codes_count_towards_the_lock(client, officer, settings):
    settings.AXES_FAILURE_LIMIT = 3
    authenticator_for(officer)
    for _ in range(3):
        sign_in(client, officer)
        client.post("/admin/two-factor/", {"code": "123456"})
    assert sign_in(client, officer).status_code == 429


def test_a_slow_second_step_starts_over(client, officer, time_machine):
    time_machine.move_to("2026-05-01T10:00:00Z", tick=False)
    device = authenticator_for(officer)
    sign_in(client, officer)
    time_machine.shift(301)
    response = client.post("/admin/two-factor/", {"code": authenticator_code(device)})
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_sessions_end_after_inactivity(settings):
    assert settings.SESSION_COOKIE_AGE <= 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST


def test_non_staff_cannot_sign_in(client):
    person = UserFactory(username="person", is_staff=False)
    response = sign_in(client, person)
    assert "no access to the staff pages" in response.content.decode()


def test_a_lost_phone_is_reset_by_removing_devices(officer):
    authenticator_for(officer)
    two_factor.backup_codes_issue(user=officer)
    two_factor.second_factor_reset(user=officer)
    assert not two_factor.has_second_factor(officer)
    assert reverse("accounts:setup") == "/admin/two-factor/setup/"
