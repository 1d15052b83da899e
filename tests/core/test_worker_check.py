import pytest
from django.urls import reverse

from core import services
from core.choices import WorkerCheckOrigin
from core.models import WorkerCheck
from tests.helpers import messages_of, queries_of_get

pytestmark = pytest.mark.django_db


def test_completing_a_check_is_idempotent():
    check = WorkerCheck.objects.create(origin=WorkerCheckOrigin.COMMAND)

    assert services.worker_check_complete(check_id=check.pk, worker="w1") is True
    assert services.worker_check_complete(check_id=check.pk, worker="w2") is False

    check.refresh_from_db()
    assert check.worker == "w1"
    assert check.completed_at is not None


def test_heartbeat_prunes_checks_past_retention(time_machine):
    time_machine.move_to("2026-01-01T12:00:00Z", tick=False)
    old = services.worker_heartbeat_record(worker="w")
    time_machine.move_to("2026-01-09T12:00:00Z", tick=False)

    recent = services.worker_heartbeat_record(worker="w")

    assert list(WorkerCheck.objects.all()) == [recent]
    assert not WorkerCheck.objects.filter(pk=old.pk).exists()


def test_status_page_shows_services_and_last_worker_contact(admin_client):
    WorkerCheck.objects.create(origin=WorkerCheckOrigin.BEAT, completed_at="2026-01-01T00:00Z")

    response = admin_client.get(reverse("admin:core_workercheck_changelist"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "System status" in page
    assert "Task broker" in page
    assert "Send a test task to the worker" in page
    assert "never" not in page


def test_send_button_queues_a_check_after_commit(
    admin_client, superuser, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(reverse("admin:core_workercheck_send"))

    assert response.status_code == 302
    check = WorkerCheck.objects.get()
    assert check.origin == WorkerCheckOrigin.WEB
    assert check.requested_by == superuser
    assert check.completed_at is None
    assert len(callbacks) == 1  # the enqueue waits for the commit


def test_send_button_says_when_the_broker_did_not_take_the_task(
    transactional_db, admin_client, monkeypatch
):
    # Committed for real, as in production: the task is sent when the check is committed.
    from core.tasks import complete_worker_check

    def refuse(*args):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(complete_worker_check, "delay", refuse)

    response = admin_client.post(reverse("admin:core_workercheck_send"), follow=True)

    check = WorkerCheck.objects.get()
    assert messages_of(response) == [
        f"Test task #{check.pk} could not be queued: the broker did not take it, so no worker "
        "will run it."
    ]
    assert check.completed_at is None


def test_send_button_needs_post(admin_client):
    assert admin_client.get(reverse("admin:core_workercheck_send")).status_code == 405


def test_status_page_is_for_staff_only(client):
    response = client.get(reverse("admin:core_workercheck_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_status_page_query_count_stays_flat(admin_client):
    url = reverse("admin:core_workercheck_changelist")
    WorkerCheck.objects.bulk_create(WorkerCheck(origin=WorkerCheckOrigin.BEAT) for _ in range(10))
    few = queries_of_get(admin_client, url)
    WorkerCheck.objects.bulk_create(WorkerCheck(origin=WorkerCheckOrigin.BEAT) for _ in range(490))
    assert queries_of_get(admin_client, url) == few
