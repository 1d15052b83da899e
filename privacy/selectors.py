from datetime import datetime

from django.db.models import Max

from privacy.models import WorkerCheck


def worker_last_seen() -> datetime | None:
    """When a worker last completed a check or heartbeat, or None if never."""
    return WorkerCheck.objects.aggregate(last=Max("completed_at"))["last"]
