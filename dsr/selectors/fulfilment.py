"""Reads of fulfilment: which systems and recipients a case reaches, what its tasks kept and
told, by which addresses the person is known, and the tasks no worker took."""

import contextlib
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from core.identifiers import normalise_email
from dsr.choices import FINAL_STATUSES, ConnectorKind, TaskKind, TaskStatus
from dsr.models import CaseTask, DsrCase, RetainedData, SystemConnector
from privacy.models import ProcessingActivity, SubjectEmail, System
from processors.choices import ProcessorRole
from processors.models import Processor


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


def case_retained_summary(case: DsrCase) -> list[dict]:
    """What an erasure kept, why and until when: for the outcome and the completion letter.
    `until` stays a date (or None): the letter formats it in its own language."""
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
                "until": kept.retained_until,
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


def connector_for(system: System) -> SystemConnector | None:
    return SystemConnector.objects.filter(system=system, is_enabled=True).first()


# A task claimed longer ago than this belongs to a worker that died mid-run (longer than the
# Celery task's hard time limit): the sweep or a retry may claim it again.
RUNNING_CLAIM_TIMEOUT = timedelta(minutes=10)


# How old an automatic task still pending must be before the sweep queues it again.
PENDING_SWEEP_AFTER = timedelta(minutes=1)


def case_emails(case: DsrCase) -> list[str]:
    """Every address the person is known by, normalised: the matched subject's (primary first),
    then the address the request came from."""
    emails = []
    if case.subject_id:
        emails.extend(
            SubjectEmail.objects.filter(subject_id=case.subject_id)
            .order_by("-is_primary", "email")
            .values_list("email", flat=True)
        )
    requester = case.submission.requester_email
    if requester:
        with contextlib.suppress(ValidationError):
            emails.append(normalise_email(requester))
    return list(dict.fromkeys(emails))


def tasks_pending_unqueued(*, limit: int = 500) -> list[int]:
    """Automatic system tasks of open cases that no worker took: still pending a while after
    they were written (the broker was down at commit), or claimed by a worker that died."""
    now = timezone.now()
    return list(
        CaseTask.objects.filter(kind=TaskKind.SYSTEM)
        .exclude(connector_kind=ConnectorKind.MANUAL)
        .exclude(case__status__in=sorted(FINAL_STATUSES))
        .filter(
            Q(status=TaskStatus.PENDING, updated_at__lt=now - PENDING_SWEEP_AFTER)
            | Q(status=TaskStatus.RUNNING, started_at__lt=now - RUNNING_CLAIM_TIMEOUT)
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
