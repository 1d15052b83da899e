"""A real Celery worker on Redis executes tasks queued by services, and results land in the DB."""

import time

import pytest

from core import services
from core.choices import WorkerCheckOrigin
from core.models import WorkerCheck
from core.tasks import worker_heartbeat

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _wait_until(predicate, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_worker_completes_a_check_queued_by_a_service(celery_worker, superuser):
    check = services.worker_check_request(origin=WorkerCheckOrigin.WEB, requested_by=superuser)

    assert _wait_until(lambda: WorkerCheck.objects.get(pk=check.pk).completed_at is not None)
    check.refresh_from_db()
    assert check.worker and celery_worker.hostname.endswith(check.worker)
    assert check.completed_at >= check.requested_at


def test_heartbeat_task_runs_on_the_worker(celery_worker):
    worker_heartbeat.delay()

    assert _wait_until(lambda: WorkerCheck.objects.filter(origin=WorkerCheckOrigin.BEAT).exists())
    assert celery_worker.hostname.endswith(WorkerCheck.objects.get().worker)


def test_a_rolled_back_request_never_reaches_the_worker(celery_worker):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        services.worker_check_request(origin=WorkerCheckOrigin.COMMAND)
        raise RuntimeError("the caller's transaction fails")
    # A check that does exist proves the worker is consuming; the rolled-back one never came.
    done = services.worker_check_request(origin=WorkerCheckOrigin.COMMAND)

    assert _wait_until(lambda: WorkerCheck.objects.get(pk=done.pk).completed_at is not None)
    assert WorkerCheck.objects.count() == 1
