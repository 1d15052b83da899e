import logging
import socket

from celery import shared_task

from privacy import services

logger = logging.getLogger(__name__)


def _worker_name(task) -> str:
    return task.request.hostname or socket.gethostname()


@shared_task(bind=True, acks_late=True, soft_time_limit=20, time_limit=30)
def complete_worker_check(self, check_id: int) -> None:
    """Complete a worker check. Idempotent (a redelivery finds it done), hence acks_late."""
    done = services.worker_check_complete(check_id=check_id, worker=_worker_name(self))
    logger.info("worker check %s %s", check_id, "completed" if done else "already complete")


@shared_task(bind=True, soft_time_limit=20, time_limit=30)
def worker_heartbeat(self) -> None:
    """Beat's proof of life for /healthz; also prunes old checks."""
    check = services.worker_heartbeat_record(worker=_worker_name(self))
    logger.info("worker heartbeat %s", check.pk)
