"""Fulfilment across systems: which tasks a case needs, and what came of them.

When a case is verified, one CaseTask is opened per System that may hold the subject's data,
each to be run by that system's connector (dsr.connectors). After rectification, erasure or
restriction, every recipient holding the data gets a notice task (Art. 19).
"""

import logging

from django.db import transaction
from django.utils import formats
from django.utils.translation import gettext as _

from dsr.choices import (
    OPEN_TASK_STATUSES,
    RIGHTS_NOTIFIED_TO_RECIPIENTS,
    ConnectorKind,
    EventKind,
    Operation,
    Right,
    TaskKind,
    TaskStatus,
)
from dsr.models import CaseTask, DsrCase, RetainedData, SystemConnector
from privacy.choices import ConsentAction, ConsentMethod
from privacy.models import ProcessingActivity, System
from privacy.services import consent_record
from processors.choices import ProcessorRole
from processors.models import Processor

logger = logging.getLogger(__name__)

OPEN_TASK_STATUS_VALUES = sorted(OPEN_TASK_STATUSES)

OPERATION_FOR_RIGHT = {
    Right.ACCESS: Operation.EXPORT,
    Right.PORTABILITY: Operation.EXPORT,
    Right.ERASURE: Operation.ERASE,
    Right.RECTIFICATION: Operation.RECTIFY,
    Right.RESTRICTION: Operation.RESTRICT,
    # Art. 18(1)(d): processing is restricted while the objection is weighed.
    Right.OBJECTION: Operation.RESTRICT,
    Right.OBJECTION_MARKETING: Operation.RESTRICT,
}


def systems_for_case(case: DsrCase) -> list[System]:
    """Systems with an enabled connector that may hold this person's data.

    With a matched subject, those holding a data category processed about their category of
    subject; when that finds none, or the requester is unknown, every connected system (the
    connectors then look the address up, and "not found" is an answer too).
    """
    connected = list(
        System.objects.filter(is_active=True, connector__is_enabled=True)
        .prefetch_related("data_categories")
        .order_by("name")
    )
    if case.subject_id is None or not connected:
        return connected
    category = case.subject.category
    relevant = set()
    for activity in ProcessingActivity.objects.filter(is_active=True).prefetch_related(
        "data_categories"
    ):
        if category in activity.subject_categories:
            relevant.update(c.pk for c in activity.data_categories.all())
    chosen = [s for s in connected if relevant & {c.pk for c in s.data_categories.all()}]
    return chosen or connected


@transaction.atomic
def case_plan_tasks(*, case: DsrCase, actor=None) -> list[CaseTask]:
    """Open one task per system for a verified case and queue the automatic ones.

    Idempotent: a system that already has its task for this operation is skipped.
    """
    from dsr.services.cases import event_record

    if case.right == Right.OBJECTION_MARKETING and case.subject_id:
        # Art. 21(3): absolute; the ledger's withdrawal puts the person on the suppression list.
        consent_record(
            subject=case.subject,
            action=ConsentAction.WITHDRAWN,
            method=ConsentMethod.REQUEST,
            evidence=_("Objection to direct marketing, request %(reference)s.")
            % {"reference": case.reference},
            recorded_by=actor,
        )
        event_record(
            case=case,
            kind=EventKind.TASK,
            actor=actor,
            note=_("Marketing consent withdrawn in the ledger; the address is suppressed."),
        )
    operation = OPERATION_FOR_RIGHT[case.right]
    created = []
    for system in systems_for_case(case):
        task, made = CaseTask.objects.get_or_create(
            case=case,
            kind=TaskKind.SYSTEM,
            system=system,
            operation=operation,
            defaults={"connector_kind": system.connector.kind},
        )
        if made:
            created.append(task)
    if created:
        event_record(
            case=case,
            kind=EventKind.TASK,
            actor=actor,
            note=_("%(count)d task(s) opened: %(systems)s.")
            % {"count": len(created), "systems": ", ".join(t.system.name for t in created)},
        )
        automatic = [t.pk for t in created if t.connector_kind != ConnectorKind.MANUAL]
        transaction.on_commit(lambda: _queue(automatic))
    return created


def _queue(task_ids: list[int]) -> None:
    from dsr.tasks import run_case_task

    for task_id in task_ids:
        try:
            run_case_task.delay(task_id)
        except Exception:
            # Broker down: the pending-task sweep picks it up (the task row is committed).
            logger.warning("could not queue case task %s; the sweep will run it", task_id)


def case_retained_summary(case: DsrCase) -> list[dict]:
    """What an erasure kept, why and until when: for the outcome and the completion letter."""
    items = []
    for kept in (
        RetainedData.objects.filter(case=case)
        .select_related("data_category", "retention_rule", "task__system")
        .order_by("data_category__name")
    ):
        rule = kept.retention_rule
        items.append(
            {
                "category": kept.data_category.name,
                "system": kept.task.system.name if kept.task.system_id else "",
                "rows": kept.rows,
                "reason": rule.legal_reference or rule.name,
                "until": formats.date_format(kept.retained_until, "DATE_FORMAT")
                if kept.retained_until
                else "",
            }
        )
    return items


def recipients_for_case(case: DsrCase) -> list[Processor]:
    """Recipients holding data of the categories in the systems this case touched (Art. 19)."""
    systems = System.objects.filter(
        pk__in=case.tasks.filter(kind=TaskKind.SYSTEM).values("system_id")
    )
    categories = set(systems.values_list("data_categories", flat=True)) - {None}
    return list(
        Processor.objects.filter(is_active=True, data_categories__in=categories)
        .exclude(role=ProcessorRole.SUB_PROCESSOR)
        .distinct()
        .order_by("name")
    )


def case_notified_recipients(case: DsrCase) -> list[str]:
    """Names of the recipients told of this case under Art. 19 (the requester may ask)."""
    return list(
        case.tasks.filter(kind=TaskKind.RECIPIENT_NOTICE)
        .exclude(status=TaskStatus.SKIPPED)
        .order_by("recipient__name")
        .values_list("recipient__name", flat=True)
    )


@transaction.atomic
def case_plan_recipient_notices(*, case: DsrCase, actor=None) -> list[CaseTask]:
    """After rectification, erasure or restriction: one notice task per recipient (Art. 19).

    Sub-processors are reached through their processor, who passes the notice on.
    """
    from dsr.services.cases import event_record

    if case.right not in RIGHTS_NOTIFIED_TO_RECIPIENTS:
        return []
    created = []
    for recipient in recipients_for_case(case):
        task, made = CaseTask.objects.get_or_create(
            case=case,
            kind=TaskKind.RECIPIENT_NOTICE,
            recipient=recipient,
            defaults={"status": TaskStatus.PENDING},
        )
        if made:
            created.append(task)
    if created:
        event_record(
            case=case,
            kind=EventKind.TASK,
            actor=actor,
            note=_("Art. 19 notices to send: %(names)s.")
            % {"names": ", ".join(t.recipient.name for t in created)},
        )
    return created


def connector_for(system: System) -> SystemConnector | None:
    return SystemConnector.objects.filter(system=system, is_enabled=True).first()
