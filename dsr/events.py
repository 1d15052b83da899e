"""What every dsr service shares: the case's timeline, and the row locks that order its steps.

A case is changed under its row lock, so two staff acting at once, or a worker finishing a
task while staff close the case, take turns; every change writes its event on the timeline,
which the database keeps append-only.
"""

from datetime import datetime

from django.utils import timezone

from dsr.models import CaseEvent, CaseTask, DsrCase


def event_record(
    *,
    case: DsrCase,
    kind: str,
    actor=None,
    note: str = "",
    from_status: str = "",
    to_status: str = "",
    at: datetime | None = None,
) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        kind=kind,
        actor=actor,
        note=note,
        from_status=from_status,
        to_status=to_status,
        at=at or timezone.now(),
    )


def case_lock(case_id: int) -> DsrCase:
    """Re-read the case under a row lock (with its submission), inside the caller's
    transaction: two steps on one case cannot interleave."""
    return (
        DsrCase.objects.select_for_update(of=("self",)).select_related("submission").get(pk=case_id)
    )


def task_lock(task_id: int) -> CaseTask:
    """Re-read a fulfilment task under a row lock; take its case's lock first."""
    return (
        CaseTask.objects.select_for_update(of=("self",))
        .select_related("system", "recipient")
        .get(pk=task_id)
    )
