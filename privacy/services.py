from django.conf import settings
from django.db import transaction
from django.utils import timezone

from privacy.choices import WorkerCheckOrigin
from privacy.models import WorkerCheck


@transaction.atomic
def worker_check_request(*, origin: str, requested_by=None) -> WorkerCheck:
    """Record a check and queue it for a worker once this transaction commits."""
    from privacy.tasks import complete_worker_check

    check = WorkerCheck.objects.create(origin=origin, requested_by=requested_by)
    complete_worker_check.delay_on_commit(check.pk)
    return check


def worker_check_complete(*, check_id: int, worker: str) -> bool:
    """Mark the check done by `worker`. Idempotent: only the first completion counts."""
    updated = WorkerCheck.objects.filter(pk=check_id, completed_at__isnull=True).update(
        completed_at=timezone.now(), worker=worker[:255]
    )
    return updated == 1


@transaction.atomic
def worker_heartbeat_record(*, worker: str) -> WorkerCheck:
    """Record that `worker` ran the scheduled heartbeat, and prune old checks."""
    now = timezone.now()
    check = WorkerCheck.objects.create(
        origin=WorkerCheckOrigin.BEAT, completed_at=now, worker=worker[:255]
    )
    WorkerCheck.objects.filter(requested_at__lt=now - settings.WORKER_CHECK_RETENTION).delete()
    return check
