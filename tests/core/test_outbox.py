"""The outbox: written with the change, sent after commit, retried, never dropped."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from core import services
from core.models import OutboxEmail
from core.tasks import outbox_sweep, send_outbox_email

pytestmark = pytest.mark.django_db


def enqueue(**fields):
    values = {"to": "anna@example.org", "subject": "Hej", "body_text": "Hej Anna", "reference": "X"}
    values.update(fields)
    return services.outbox_enqueue(**values)


def test_an_email_is_sent_once_through_smtp(smtp_sink):
    email = enqueue(body_html="<p>Hej Anna</p>", headers={"List-Unsubscribe": "<https://x/u>"})

    send_outbox_email(email.pk)
    send_outbox_email(email.pk)  # a duplicate message sends nothing

    [mail] = smtp_sink.wait_for(1)
    assert mail.rcpt_tos == ["anna@example.org"]
    assert mail.subject == "Hej"
    assert mail.message["List-Unsubscribe"] == "<https://x/u>"
    assert "<p>Hej Anna</p>" in mail.html()
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("sent", 1)
    assert len(smtp_sink.messages) == 1


def test_a_temporary_refusal_is_retried_with_backoff(smtp_sink, time_machine):
    time_machine.move_to("2026-05-01T10:00:00Z", tick=False)
    email = enqueue()
    smtp_sink.refuse_with = "451 4.3.0 Try again later"

    send_outbox_email(email.pk)

    email.refresh_from_db()
    assert email.status == "pending"
    assert "451" in email.last_error
    assert email.next_attempt_at == timezone.now() + timedelta(seconds=60)
    send_outbox_email(email.pk)  # not due yet: nothing happens
    assert OutboxEmail.objects.get().attempts == 1

    smtp_sink.refuse_with = None
    time_machine.shift(timedelta(seconds=61))
    assert outbox_sweep.apply().result == 1  # the sweep queues it (eager here)
    send_outbox_email(email.pk)
    assert OutboxEmail.objects.get().status == "sent"
    assert len(smtp_sink.messages) == 1


def test_a_permanent_refusal_is_visible_and_can_be_retried(smtp_sink):
    email = enqueue()
    smtp_sink.refuse_with = "550 5.1.1 No such user"
    send_outbox_email(email.pk)
    email.refresh_from_db()
    assert email.status == "failed"
    assert "550" in email.last_error

    smtp_sink.refuse_with = None
    services.outbox_retry(email=email)
    send_outbox_email(email.pk)
    assert OutboxEmail.objects.get().status == "sent"


def test_a_send_claimed_by_a_dead_worker_is_taken_over(smtp_sink, time_machine, settings):
    time_machine.move_to("2026-05-01T10:00:00Z", tick=False)
    email = enqueue()
    assert services.outbox_claim(email_id=email.pk)  # a worker claimed it, then died
    assert not services.outbox_claim(email_id=email.pk)
    time_machine.shift(settings.OUTBOX_CLAIM_TIMEOUT + timedelta(seconds=1))
    send_outbox_email(email.pk)
    assert OutboxEmail.objects.get().status == "sent"


def test_nothing_is_queued_when_the_change_rolls_back(django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        enqueue()
        raise RuntimeError
    assert callbacks == [] and not OutboxEmail.objects.exists()


def test_an_unreachable_broker_does_not_fail_the_change(
    monkeypatch, django_capture_on_commit_callbacks
):
    from celery import current_app

    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    monkeypatch.setitem(current_app.conf, "broker_url", "redis://127.0.0.1:1/0")
    with django_capture_on_commit_callbacks(execute=True):
        email = enqueue()
    assert OutboxEmail.objects.get(pk=email.pk).status == "pending"  # the sweep will send it


def test_contents_are_encrypted_at_rest():
    from django.db import connection

    email = enqueue(subject="Din begäran DSR-1", body_text="Hej Anna Berg")
    with connection.cursor() as cursor:
        cursor.execute(
            'SELECT "to", subject, body_text FROM core_outboxemail WHERE id = %s', [email.pk]
        )
        stored = " ".join(cursor.fetchone())
    assert "anna" not in stored.lower() and "DSR-1" not in stored


def test_failed_emails_are_visible_in_the_admin_and_can_be_sent_again(admin_client, smtp_sink):
    email = enqueue(reference="DSR-2026-000007")
    smtp_sink.refuse_with = "550 5.1.1 No such user"
    send_outbox_email(email.pk)
    smtp_sink.refuse_with = None

    page = admin_client.get("/admin/core/outboxemail/?status=failed").content.decode()
    assert "DSR-2026-000007" in page and "Failed permanently" in page
    assert admin_client.get(f"/admin/core/outboxemail/{email.pk}/change/").status_code == 200

    admin_client.post(
        "/admin/core/outboxemail/",
        {"action": "send_again", "_selected_action": [email.pk]},
    )
    assert OutboxEmail.objects.get().status == "pending"


def test_files_made_for_one_email_are_deleted_once_it_is_sent(smtp_sink, settings, tmp_path):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    settings.MEDIA_ROOT = tmp_path
    kept = default_storage.save("letters/kept.pdf", ContentFile(b"%PDF-1.7 kept"))
    chart = default_storage.save("digests/chart.png", ContentFile(b"\x89PNG chart"))
    email = enqueue(
        attachments=[
            {"name": "kept.pdf", "path": kept, "content_type": "application/pdf"},
            {
                "name": "chart.png",
                "path": chart,
                "content_type": "image/png",
                "delete_after_send": True,
            },
        ]
    )
    send_outbox_email(email.pk)
    assert smtp_sink.wait_for(1)
    assert default_storage.exists(kept) and not default_storage.exists(chart)
