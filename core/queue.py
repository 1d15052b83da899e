"""Queueing a task once the caller's transaction commits, without ever failing the caller.

A task is queued with ids of rows the same transaction writes, so it must not reach a worker
before they are committed; and a broker that is down must not undo a change already made (a
request registered, an email written). Every task queued this way has a sweep that finds the
rows still waiting (the outbox sweep, the pending-task sweep, ...) and queues them again.
"""

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_on_commit(task, *args) -> None:
    """`task.delay(*args)` after the current transaction commits (at once outside one); a
    broker error is logged, and the task's sweep catches up."""

    def send() -> None:
        try:
            task.delay(*args)
        except Exception:
            logger.warning("could not queue %s%r; its sweep will catch up", task.name, args)

    transaction.on_commit(send)
