"""The pages behind the emailed confirmation link."""

from datetime import timedelta

import pytest

from core.models import OutboxEmail
from dsr.choices import CaseStatus
from dsr.models import DsrCase
from dsr.services.intake import ReceiptInput, RequestedRight, submission_receive
from tests.factories import ControllerProfileFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(time_machine):
    time_machine.move_to("2026-03-05T10:00:00+01:00", tick=False)
    ControllerProfileFactory()
    submission_receive(
        data=ReceiptInput(
            channel="self_service",
            rights=[RequestedRight("access")],
            requester_email="anna@example.org",
        )
    )
    body = OutboxEmail.objects.get().body_text
    return body.split("/privacy/verify/")[1].split("/")[0]


def test_opening_the_link_only_shows_a_button(client, token):
    response = client.get(f"/privacy/verify/{token}/")
    assert response.status_code == 200
    assert "Yes, I made this request" in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert DsrCase.objects.get().status == CaseStatus.AWAITING_IDENTITY  # a scanner's GET


def test_confirming_starts_the_request(client, token):
    response = client.post(f"/privacy/verify/{token}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "DSR-2026-000001" in page and "April 4, 2026" in page
    assert DsrCase.objects.get().status == CaseStatus.IN_PROGRESS


def test_a_used_link_says_so_and_offers_a_new_one(client, token):
    client.post(f"/privacy/verify/{token}/")
    response = client.get(f"/privacy/verify/{token}/")
    assert response.status_code == 410
    assert "already been used" in response.content.decode()
    resend = client.post(f"/privacy/verify/{token}/new-link/")
    assert "Nothing left to confirm" in resend.content.decode()


def test_an_expired_link_offers_a_new_one_that_works(client, token, time_machine):
    time_machine.shift(timedelta(hours=25))
    response = client.get(f"/privacy/verify/{token}/")
    assert response.status_code == 410
    assert "expired" in response.content.decode()

    resend = client.post(f"/privacy/verify/{token}/new-link/")
    assert "We have sent you a new link" in resend.content.decode()
    fresh = OutboxEmail.objects.order_by("-pk").first().body_text
    new_token = fresh.split("/privacy/verify/")[1].split("/")[0]
    assert new_token != token
    client.post(f"/privacy/verify/{new_token}/")
    assert DsrCase.objects.get().status == CaseStatus.IN_PROGRESS


def test_an_unknown_link_is_not_found(client, token):
    assert client.get("/privacy/verify/not-a-real-token-at-all/").status_code == 404
    assert client.post("/privacy/verify/not-a-real-token-at-all/new-link/").status_code == 404


def test_the_pages_speak_swedish(client, token):
    response = client.get(f"/privacy/verify/{token}/", HTTP_ACCEPT_LANGUAGE="sv")
    assert response["Content-Language"] == "sv"


def test_new_links_are_rate_limited(client, token, settings):
    from django.core.cache import cache

    cache.clear()
    settings.DSR_REQUEST_LIMIT_PER_EMAIL = 2
    client.post(f"/privacy/verify/{token}/")
    for _ in range(2):
        assert client.post(f"/privacy/verify/{token}/new-link/").status_code == 200
    assert client.post(f"/privacy/verify/{token}/new-link/").status_code == 429
    cache.clear()
