"""Passkeys (django-otp-webauthn) as the second step of a staff sign-in, in Chromium with a
virtual authenticator (Chrome DevTools Protocol), under the strict Content-Security-Policy."""

import re

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential
from playwright.sync_api import expect

from accounts import two_factor
from tests.factories import TEST_PASSWORD, UserFactory
from tests.helpers import authenticator_code, authenticator_for, force_login_without_second_factor

pytestmark = pytest.mark.django_db


@pytest.fixture
def passkey_site(settings, live_server):
    """The relying party is the live server: http://localhost:<port>, a secure context."""
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]
    assert live_server.url.startswith("http://localhost:")
    return live_server.url


@pytest.fixture
def authenticator(page):
    """A platform authenticator with a fingerprint reader that always says yes."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )

    def credentials() -> list[dict]:
        found = cdp.send("WebAuthn.getCredentials", {"authenticatorId": added["authenticatorId"]})
        return found["credentials"]

    return credentials


@pytest.fixture
def policy_violations(page):
    """What Chromium refused under the Content-Security-Policy, and script errors."""
    problems = []
    page.on(
        "console",
        lambda message: (
            problems.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    return problems


def password_step(page, site, user, next_url="/admin/"):
    page.goto(f"{site}/admin/login/?next={next_url}")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_add_a_passkey_then_sign_in_with_password_and_passkey(
    page, passkey_site, authenticator, policy_violations, screenshot
):
    officer = UserFactory(username="officer", is_superuser=True)
    app = authenticator_for(officer)
    two_factor.backup_codes_issue(user=officer)
    page.set_default_timeout(15_000)

    # Signed in with the app's code, the officer adds a passkey on "Your sign-in methods".
    password_step(page, passkey_site, officer)
    page.get_by_label("Code").fill(authenticator_code(app))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"{passkey_site}/admin/")
    page.goto(f"{passkey_site}/admin/two-factor/methods/")
    expect(page.get_by_role("heading", name="Your sign-in methods")).to_be_visible()
    expect(page.get_by_role("cell", name="Authenticator app")).to_be_visible()
    screenshot("sign-in-methods")
    page.get_by_role("button", name="Register a passkey").click()
    expect(page.get_by_text("Your passkey was added.")).to_be_visible()
    expect(page.get_by_role("cell", name="Passkey", exact=True)).to_be_visible()
    screenshot("passkey-added")
    assert len(authenticator()) == 1
    passkey = WebAuthnCredential.objects.get(user=officer)
    assert passkey.confirmed and passkey.name == two_factor.PASSKEY_DEVICE_NAME

    # Signed out, the password alone leads to the second step, and nowhere else.
    page.get_by_role("button", name="Log out").click()
    password_step(page, passkey_site, officer, next_url="/admin/dsr/dsrcase/")
    page.wait_for_url(re.compile(r"/admin/two-factor/\?next="))
    expect(page.get_by_role("button", name="Use a passkey")).to_be_visible()
    expect(page.get_by_label("Code")).to_be_visible()
    screenshot("second-step-with-passkey")
    page.goto(f"{passkey_site}/admin/")
    expect(page.get_by_label("Password")).to_be_visible()  # the sign-in form, not the admin
    screenshot("password-alone-reaches-nothing")

    # With the passkey, the same sign-in a code gives: verified, then on to `next`.
    page.goto(f"{passkey_site}/admin/two-factor/?next=/admin/dsr/dsrcase/")
    page.get_by_role("button", name="Use a passkey").click()
    page.wait_for_url(f"{passkey_site}/admin/dsr/dsrcase/")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    screenshot("signed-in-with-passkey")
    page.goto(f"{passkey_site}/admin/")
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    passkey.refresh_from_db()
    assert passkey.last_used_at is not None
    assert policy_violations == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_newcomer_enrols_with_a_passkey_instead_of_an_app(
    page, passkey_site, authenticator, policy_violations, screenshot
):
    newcomer = UserFactory(username="newcomer", is_superuser=True)
    page.set_default_timeout(15_000)

    password_step(page, passkey_site, newcomer)
    page.wait_for_url(re.compile(r"/admin/two-factor/setup/"))
    expect(page.get_by_role("heading", name="Or a passkey")).to_be_visible()
    screenshot("setup-app-or-passkey")
    page.get_by_role("button", name="Register a passkey").click()

    # The first passkey comes with backup codes, as a first app does.
    expect(page.get_by_role("heading", name="Your backup codes")).to_be_visible()
    codes = page.locator("ul.backup-codes code").all_inner_texts()
    assert len(codes) == two_factor.BACKUP_CODES
    screenshot("backup-codes-after-passkey")
    page.get_by_role("link", name="Continue").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    assert WebAuthnCredential.objects.filter(user=newcomer, confirmed=True).count() == 1
    assert not newcomer.totpdevice_set.exists()  # the unused app enrolment is gone

    # Next time: password, then the passkey (no app to offer a code from).
    page.get_by_role("button", name="Log out").click()
    password_step(page, passkey_site, newcomer)
    page.get_by_role("button", name="Use a passkey").click()
    page.wait_for_url(f"{passkey_site}/admin/")
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    screenshot("signed-in-with-passkey")
    assert policy_violations == []


# --- The JSON views, without a browser ------------------------------------------------------


@pytest.fixture
def officer_with_passkey(db, settings):
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = ["http://localhost:8000"]
    officer = UserFactory(username="officer", is_superuser=True)
    WebAuthnCredential.objects.create(
        user=officer,
        name=two_factor.PASSKEY_DEVICE_NAME,
        credential_id=b"test-credential",
        public_key=b"not a real key",
        sign_count=0,
        confirmed=True,
    )
    return officer


def test_no_passkey_sign_in_without_the_password_step(client, officer_with_passkey):
    for url in (
        "/admin/two-factor/passkey/begin/",
        "/admin/two-factor/passkey/complete/",
        # The library's own sign-in views: passwordless sign-in is off.
        "/admin/two-factor/webauthn/authentication/begin/",
        "/admin/two-factor/webauthn/authentication/complete/",
    ):
        response = client.post(url, content_type="application/json", data={})
        assert response.status_code == 403, url
    assert client.get("/admin/").status_code == 302


def test_the_second_step_offers_a_passkey_to_those_who_have_one(client, officer_with_passkey):
    client.post("/admin/login/", {"username": "officer", "password": TEST_PASSWORD})
    page = client.get("/admin/two-factor/?next=/admin/").content.decode()
    assert "Use a passkey" in page
    assert 'id="otp_webauthn_config" type="application/json"' in page
    assert "/admin/two-factor/passkey/begin/" in page

    begin = client.post("/admin/two-factor/passkey/begin/")
    assert begin.status_code == 200
    assert begin.json()["rpId"] == "localhost"
    assert [c["type"] for c in begin.json()["allowCredentials"]] == ["public-key"]

    WebAuthnCredential.objects.all().delete()
    authenticator_for(officer_with_passkey)
    assert "Use a passkey" not in client.get("/admin/two-factor/").content.decode()


def test_a_wrong_passkey_answer_counts_as_a_failed_sign_in(client, officer_with_passkey):
    client.post("/admin/login/", {"username": "officer", "password": TEST_PASSWORD})
    client.post("/admin/two-factor/passkey/begin/")
    forged = {
        "id": "dGVzdC1jcmVkZW50aWFs",
        "rawId": "dGVzdC1jcmVkZW50aWFs",
        "type": "public-key",
        "response": {
            "clientDataJSON": "e30",
            "authenticatorData": "AAAA",
            "signature": "AAAA",
        },
    }
    response = client.post(
        "/admin/two-factor/passkey/complete/", content_type="application/json", data=forged
    )
    assert response.status_code in (400, 403, 404, 422)
    assert AccessAttempt.objects.filter(username="officer").get().failures_since_start == 1
    assert client.get("/admin/").status_code == 302


def test_methods_page_needs_a_verified_session(client, officer_with_passkey):
    force_login_without_second_factor(client, officer_with_passkey)
    assert client.get("/admin/two-factor/methods/").status_code == 302
    assert client.post("/admin/two-factor/passkey/added/").status_code == 302
    # django-otp-webauthn refuses a new passkey to a session that skipped the second factor.
    response = client.post("/admin/two-factor/webauthn/registration/begin/")
    assert response.status_code == 403
    client.force_login(officer_with_passkey)
    page = client.get("/admin/two-factor/methods/").content.decode()
    assert "Register a passkey" in page and "Backup codes: 0 left" in page


def test_a_reset_removes_passkeys_too(officer_with_passkey):
    two_factor.second_factor_reset(user=officer_with_passkey)
    assert not two_factor.has_second_factor(officer_with_passkey)
    assert not WebAuthnCredential.objects.exists()


def test_staff_remove_their_own_passkey_but_not_their_last_factor(client, officer_with_passkey):
    passkey = WebAuthnCredential.objects.get(user=officer_with_passkey)
    force_login_without_second_factor(client, officer_with_passkey)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = passkey.persistent_id  # signed in with the passkey
    session.save()

    refused = client.post(reverse("accounts:passkey_remove", args=[passkey.pk]), follow=True)

    assert "your only one" in refused.content.decode()
    assert WebAuthnCredential.objects.filter(pk=passkey.pk).exists()

    TOTPDevice.objects.create(user=officer_with_passkey, name="Phone", confirmed=True)
    page = client.get(reverse("accounts:methods"))
    assert reverse("accounts:passkey_remove", args=[passkey.pk]) in page.content.decode()
    removed = client.post(reverse("accounts:passkey_remove", args=[passkey.pk]), follow=True)

    assert "The passkey was removed." in removed.content.decode()
    assert not WebAuthnCredential.objects.filter(pk=passkey.pk).exists()


def test_nobody_removes_a_colleagues_passkey_from_the_methods_page(client, officer_with_passkey):
    passkey = WebAuthnCredential.objects.get(user=officer_with_passkey)
    client.force_login(UserFactory(username="colleague", is_superuser=True))

    client.post(reverse("accounts:passkey_remove", args=[passkey.pk]))

    assert WebAuthnCredential.objects.filter(pk=passkey.pk).exists()
