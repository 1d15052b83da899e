"""Email that loses nothing, with a real worker on Redis and a real SMTP server."""

import time

import pytest
from celery import current_app

from core.models import OutboxEmail
from core.tasks import outbox_sweep
from dsr.models import DsrCase, Submission
from dsr.tasks import sweep_unregistered_submissions
from tests.factories import ControllerProfileFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def wait_until(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_a_refusing_mail_server_loses_nothing(celery_worker, smtp_sink, settings):
    from core.services import outbox_enqueue

    settings.OUTBOX_RETRY_BASE_SECONDS = 1
    smtp_sink.refuse_with = "421 4.7.0 Try again later"
    email = outbox_enqueue(to="anna@example.org", subject="Hej", body_text="Hej Anna")

    # The claim counts the attempt (status "sending"); the refusal then puts it back.
    assert wait_until(
        lambda: OutboxEmail.objects.filter(pk=email.pk, attempts=1, status="pending").exists()
    )
    assert smtp_sink.messages == []

    smtp_sink.refuse_with = None  # the server is back
    time.sleep(1.1)
    outbox_sweep.delay()  # what beat does every minute
    [mail] = smtp_sink.wait_for(1)
    assert mail.subject == "Hej"
    assert wait_until(lambda: OutboxEmail.objects.get(pk=email.pk).status == "sent")
    assert len(smtp_sink.messages) == 1


def test_a_request_submitted_while_redis_is_down_is_kept_registered_and_mailed_later(
    client, smtp_sink, monkeypatch, celery_worker
):
    ControllerProfileFactory()
    broker = current_app.conf.broker_url
    # Redis goes away: the broker's address points nowhere.
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    monkeypatch.setitem(current_app.conf, "broker_url", "redis://127.0.0.1:1/0")
    monkeypatch.setattr(current_app, "_pool", None)  # a fresh producer pool, to nowhere
    response = client.post(
        "/privacy/request/",
        {"rights": ["access"], "email": "anna@example.org", "age_confirmed": "on"},
    )
    assert response.status_code == 302  # the submission succeeds
    [submission] = Submission.objects.all()
    assert not DsrCase.objects.exists()  # its registration task never reached the broker

    # Redis is back; beat's registration sweep has the worker register it, and the email
    # it writes is sent by the task queued on that commit.
    monkeypatch.setitem(current_app.conf, "broker_url", broker)
    monkeypatch.setattr(current_app, "_pool", None)
    sweep_unregistered_submissions.delay()
    [mail] = smtp_sink.wait_for(1)
    case = DsrCase.objects.get()
    assert case.submission == submission and case.status == "awaiting_identity"
    assert wait_until(lambda: OutboxEmail.objects.get().status == "sent")
    assert mail.rcpt_tos == ["anna@example.org"]
    assert "confirm" in mail.subject.lower()
