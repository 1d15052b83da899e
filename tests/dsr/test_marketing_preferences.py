"""Unsubscribe and preferences: every change of marketing consent is a ConsentRecord."""

import pytest

from core.models import OutboxEmail
from privacy import selectors, services
from privacy.models import ConsentRecord
from tests.factories import ControllerProfileFactory, DataSubjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscriber():
    ControllerProfileFactory()
    subject = DataSubjectFactory(email="anna@example.org")
    services.consent_record(subject=subject, action="given", method="signup", evidence="Form")
    return subject


def paths(subject):
    token = services.marketing_token(subject)
    return f"/privacy/unsubscribe/{token}/", f"/privacy/preferences/{token}/"


def test_marketing_email_carries_one_click_unsubscribe_headers(subscriber, smtp_sink):
    from core.tasks import send_outbox_email

    email = services.marketing_email_enqueue(
        subject=subscriber, subject_line="News", body_text="Our new release."
    )
    send_outbox_email(email.pk)
    [mail] = smtp_sink.wait_for(1)
    unsubscribe, preferences = paths(subscriber)
    assert str(mail.message["List-Unsubscribe"]).strip() == f"<http://127.0.0.1:8000{unsubscribe}>"
    assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert preferences in mail.text()


def test_one_click_unsubscribe_needs_no_session_or_csrf(subscriber):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    unsubscribe, _ = paths(subscriber)
    response = client.post(unsubscribe, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert selectors.consent_state(subscriber) == "withdrawn"
    record = ConsentRecord.objects.filter(subject=subscriber).order_by("-pk").first()
    assert (record.action, record.method) == ("withdrawn", "unsubscribe_link")
    assert "RFC 8058" in record.evidence


def test_opening_the_link_only_asks(client, subscriber):
    unsubscribe, _ = paths(subscriber)
    assert "Unsubscribe from marketing emails?" in client.get(unsubscribe).content.decode()
    assert selectors.consent_state(subscriber) == "given"


def test_unsubscribing_twice_records_one_change(client, subscriber):
    unsubscribe, _ = paths(subscriber)
    client.post(unsubscribe)
    client.post(unsubscribe)
    assert ConsentRecord.objects.filter(subject=subscriber, action="withdrawn").count() == 1


def test_no_marketing_without_consent(subscriber):
    services.marketing_set(subject=subscriber, consent=False, method="web_form", evidence="x")
    assert (
        services.marketing_email_enqueue(subject=subscriber, subject_line="News", body_text="Hi")
        is None
    )
    assert not OutboxEmail.objects.exists()


def test_the_preferences_page_changes_consent_both_ways(client, subscriber):
    _, preferences = paths(subscriber)
    page = client.get(preferences).content.decode()
    assert 'value="yes" checked' in page
    client.post(preferences, {"marketing": "no"})
    assert selectors.consent_state(subscriber) == "withdrawn"
    saved = client.post(preferences, {"marketing": "yes"}).content.decode()
    assert "Your choice is saved." in saved
    assert selectors.consent_state(subscriber) == "given"
    given = ConsentRecord.objects.filter(subject=subscriber).order_by("-pk").first()
    assert given.method == "web_form" and given.policy_version is None  # no policy published
    assert "Choose yes or no." in client.post(preferences, {"marketing": "maybe"}).content.decode()


def test_a_forged_or_unknown_token_is_not_found(client, subscriber):
    unsubscribe, _preferences = paths(subscriber)
    assert client.get(unsubscribe[:-3] + "xx/").status_code == 404
    assert client.post("/privacy/unsubscribe/1:forged/").status_code == 404
    assert client.get("/privacy/preferences/nothing/").status_code == 404
