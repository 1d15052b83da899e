"""Fulfilment across systems: which tasks a case needs, and what came of them.

When a case is verified, one CaseTask is opened per System that may hold the subject's data,
each to be run by that system's connector (dsr.connectors). After rectification, erasure or
restriction, every recipient holding the data gets a notice task (Art. 19).

A task's life: PENDING -> RUNNING (claimed by one worker) -> DONE, or WAITING (a webhook
system answers by signed callback; a manual task waits for its owner's evidence), or FAILED
(the error is shown on the task and the case; transient errors are retried automatically,
staff retry any). One task never touches another's row, so a failing system loses no other
system's results.
"""

import json
import logging
from datetime import date, datetime, time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from core import uploads
from core.errors import ApplicationError, require
from core.queue import enqueue_on_commit
from dsr import rules
from dsr.choices import (
    OPEN_TASK_STATUSES,
    RIGHTS_NOTIFIED_TO_RECIPIENTS,
    ConnectorKind,
    EventKind,
    LetterKind,
    Operation,
    Right,
    TaskKind,
    TaskStatus,
)
from dsr.events import case_lock, event_record, task_lock
from dsr.files import evidence_file_store, result_file_store
from dsr.models import CaseTask, DsrCase, RetainedData, SystemConnector
from dsr.selectors.fulfilment import (
    RUNNING_CLAIM_TIMEOUT,
    case_emails,
    connector_for,
    recipients_for_case,
    systems_for_case,
)
from privacy.choices import ConsentAction, ConsentMethod
from privacy.services import consent_record

logger = logging.getLogger(__name__)

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


@transaction.atomic
def case_plan_tasks(*, case: DsrCase, actor=None) -> list[CaseTask]:
    """Open one task per system for a verified case and queue the automatic ones.

    Idempotent: a system that already has its task for this operation is skipped.
    """

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
        for task in created:
            if task.connector_kind != ConnectorKind.MANUAL:
                _queue(task.pk)
    return created


def _queue(task_id: int) -> None:
    from dsr.tasks import run_case_task

    # The pending-task sweep runs what the broker could not take.
    enqueue_on_commit(run_case_task, task_id)


@transaction.atomic
def case_plan_recipient_notices(*, case: DsrCase, actor=None) -> list[CaseTask]:
    """After rectification, erasure or restriction: one notice task per recipient (Art. 19).

    Sub-processors are reached through their processor, who passes the notice on.
    """
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


# --- Running tasks ----------------------------------------------------------------------------


class TaskRetryableError(Exception):
    """A transient connector error: the task is FAILED (and shows why) and Celery retries it."""


def _target_name(task: CaseTask) -> str:
    return task.system.name if task.system_id else task.recipient.name


def task_record(task: CaseTask, note: str, *, actor=None) -> None:

    event_record(
        case=task.case,
        kind=EventKind.TASK,
        actor=actor,
        note=f"{_target_name(task)}: {note}",
    )


def _rectification_json(case: DsrCase) -> str:
    """The corrections as a JSON object: staff may enter JSON; free text becomes {"text": ...}."""
    content = (case.rectification_content or "").strip()
    if not content:
        return "{}"
    try:
        parsed = json.loads(content)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        parsed = {"text": content}
    return json.dumps(parsed, ensure_ascii=False)


def callback_url(task: CaseTask) -> str:
    return settings.SITE_URL + reverse("dsr:webhook-callback", args=[task.public_id])


def _connector_request(task: CaseTask, connector: SystemConnector):
    from dsr.connectors import ConnectorRequest

    return ConnectorRequest(
        task_id=task.pk,
        task_public_id=str(task.public_id),
        case_reference=task.case.reference,
        operation=task.operation,
        emails=case_emails(task.case),
        rectification=_rectification_json(task.case),
        connector=connector,
        categories=list(task.system.data_categories.select_related("retention_rule")),
        queries=list(connector.queries.all()) if connector.kind == ConnectorKind.POSTGRESQL else [],
        callback_url=callback_url(task),
    )


def task_run(*, task_id: int) -> str:
    """Run one system task's connector and record the outcome on the task and the case.

    Idempotent: the task is claimed first with a conditional update (pending or failed ->
    running), so a duplicate message, a second worker or a late retry finds nothing to do. A
    SQL task's statements run in one transaction in the system, so a failed attempt changed
    nothing there and a retry starts clean. Only this task's row is written.

    Returns "done", "waiting", "failed", "skipped" or "not_claimed". After a transient error the
    task is FAILED with the error shown, and TaskRetryableError is raised for Celery to retry.
    """
    from dsr.connectors import ConnectorError, connector_for_kind

    now = timezone.now()
    claimed = (
        CaseTask.objects.filter(pk=task_id, kind=TaskKind.SYSTEM)
        .exclude(connector_kind=ConnectorKind.MANUAL)
        .filter(
            Q(status__in=[TaskStatus.PENDING, TaskStatus.FAILED])
            | Q(status=TaskStatus.RUNNING, started_at__lt=now - RUNNING_CLAIM_TIMEOUT)
        )
        .update(
            status=TaskStatus.RUNNING, started_at=now, attempts=F("attempts") + 1, updated_at=now
        )
    )
    if not claimed:
        logger.info("case task %s: not claimed (done, running or not automatic)", task_id)
        return "not_claimed"
    task = CaseTask.objects.select_related("case__submission", "system").get(pk=task_id)
    if not task.case.is_open:
        _task_finish(
            task,
            status=TaskStatus.SKIPPED,
            note=_("not run: the request was closed before the task ran."),
        )
        return "skipped"
    connector = connector_for(task.system)
    if connector is None:
        _task_failed(task, _("the system has no enabled connector."), transient=False)
        return "failed"
    try:
        result = connector_for_kind(connector.kind)(_connector_request(task, connector))
    except ConnectorError as error:
        _task_failed(task, error.message, transient=error.transient)
        if error.transient:
            raise TaskRetryableError(error.message) from error
        return "failed"
    except Exception as error:
        logger.exception("case task %s: the connector failed unexpectedly", task_id)
        # The message of an unexpected error may quote data: the log has it, the task does not.
        _task_failed(
            task,
            _("unexpected error (%(type)s); the worker's log has the details.")
            % {"type": type(error).__name__},
            transient=False,
        )
        return "failed"
    if result.waiting:
        _task_waiting(task, result)
        return "waiting"
    _task_succeeded(task, result)
    return "done"


@transaction.atomic
def _task_succeeded(task: CaseTask, result) -> None:
    case = case_lock(task.case_id)
    task = task_lock(task.pk)
    if task.status != TaskStatus.RUNNING:
        return  # finished meanwhile (staff or a callback): their record stands
    task.case = case
    if result.export is not None:
        data = json.dumps(result.export, ensure_ascii=False, indent=1, default=str).encode()
        result_file_store(task, f"{task.operation}.json", data)
    task.status = TaskStatus.DONE
    task.result = result.summary
    task.error = ""
    task.completed_at = timezone.now()
    task.save()
    categories = {c.pk: c for c in task.system.data_categories.select_related("retention_rule")}
    for kept in result.retained:
        category = categories[kept.category_id]
        RetainedData.objects.update_or_create(
            task=task,
            data_category=category,
            defaults={
                "case": case,
                "retention_rule": category.retention_rule,
                "rows": kept.rows,
                "retained_until": kept.retained_until,
            },
        )
    task_record(task, _("done. %(summary)s") % {"summary": summary_text(result.summary)})
    after_task_closed(case)


@transaction.atomic
def _task_waiting(task: CaseTask, result) -> None:
    case_lock(task.case_id)
    updated = CaseTask.objects.filter(pk=task.pk, status=TaskStatus.RUNNING).update(
        status=TaskStatus.WAITING, result=result.summary, error="", updated_at=timezone.now()
    )
    if updated:
        task_record(task, _("request sent; waiting for the system to confirm."))


@transaction.atomic
def _task_failed(task: CaseTask, message: str, *, transient: bool) -> None:
    case_lock(task.case_id)
    task = task_lock(task.pk)
    if task.status != TaskStatus.RUNNING:
        return
    task.status = TaskStatus.FAILED
    task.error = message[:2000]
    task.save(update_fields=["status", "error", "updated_at"])
    note = _("attempt %(attempt)d failed: %(error)s") % {
        "attempt": task.attempts,
        "error": message,
    }
    if transient:
        note += " " + _("It will be tried again automatically.")
    task_record(task, note)


def _task_finish(task: CaseTask, *, status: str, note: str) -> None:
    with transaction.atomic():
        case_lock(task.case_id)
        CaseTask.objects.filter(pk=task.pk, status=TaskStatus.RUNNING).update(
            status=status, completed_at=timezone.now(), updated_at=timezone.now()
        )
        task_record(task, note)


def summary_text(summary: dict) -> str:
    """A task result in words, counts only: "users: 1 (erase); events: 12 (anonymise)"."""
    parts = []
    for statement in summary.get("statements", []):
        parts.append(
            _("%(label)s: %(rows)d (%(operation)s)")
            % {
                "label": statement["label"],
                "rows": statement["rows"],
                "operation": str(Operation(statement["operation"]).label).lower(),
            }
        )
    for kept in summary.get("retained", []):
        parts.append(
            _("%(category)s kept and restricted until %(until)s")
            % {"category": kept["category"], "until": kept["until"] or _("the rule's end")}
        )
    if summary.get("not_covered"):
        parts.append(
            _("no statement for: %(categories)s")
            % {"categories": ", ".join(summary["not_covered"])}
        )
    return "; ".join(parts) + "." if parts else ""


# --- After a task closes: Art. 19 notices ---------------------------------------------------


def after_task_closed(case: DsrCase, *, actor=None) -> None:
    """Once every system task of a rectification, erasure or restriction is closed (and at
    least one did the work), open the Art. 19 notices and email those we can. The caller holds
    the case's lock, so two tasks finishing at once cannot both miss (or both do) this."""
    if case.right not in RIGHTS_NOTIFIED_TO_RECIPIENTS or not case.is_open:
        return
    system_tasks = CaseTask.objects.filter(case=case, kind=TaskKind.SYSTEM)
    if system_tasks.filter(status__in=sorted(OPEN_TASK_STATUSES)).exists():
        return
    if not system_tasks.filter(status=TaskStatus.DONE).exists():
        return
    for notice in case_plan_recipient_notices(case=case, actor=actor):
        _notice_send(notice, actor=actor)


def _notice_explanation(case: DsrCase) -> str:
    emails = ", ".join(case_emails(case))
    with translation.override(case.language):
        if case.right == Right.RECTIFICATION:
            return _(
                "The request concerns the person with the email address(es) %(emails)s. We "
                "corrected their data as follows: %(corrections)s"
            ) % {"emails": emails, "corrections": case.rectification_content}
        if case.right == Right.RESTRICTION:
            return _(
                "The request concerns the person with the email address(es) %(emails)s. We "
                "restricted the processing of their data: it is stored but not otherwise used."
            ) % {"emails": emails}
        return _(
            "The request concerns the person with the email address(es) %(emails)s. We erased "
            "or anonymised their data; data we must keep by law is restricted instead."
        ) % {"emails": emails}


def _notice_send(task: CaseTask, *, actor=None) -> bool:
    """Email the Art. 19 notice when the recipient's privacy contact is an address; the letter
    is the record. Otherwise the task stays pending for staff to send it another way."""
    from dsr.services.letters import letter_send

    contact = (task.recipient.privacy_contact or "").strip()
    try:
        validate_email(contact)
    except ValidationError:
        return False
    letter = letter_send(
        case=task.case,
        kind=LetterKind.RECIPIENT_NOTICE,
        actor=actor,
        to=contact,
        task=task,
        extra={"explanation": _notice_explanation(task.case)},
    )
    task.status = TaskStatus.DONE
    task.completed_at = letter.created_at
    task.completed_by = actor
    task.result = {"letter": letter.pk}
    task.evidence = _("Notice emailed to %(to)s.") % {"to": contact}
    task.save()
    return True


# --- Staff actions and callbacks ------------------------------------------------------------


@transaction.atomic
def task_retry(*, task: CaseTask, actor) -> CaseTask:
    """Staff try a task again: a failed (or still unanswered webhook) task is queued after
    commit; an Art. 19 notice is emailed if the recipient now has an email contact."""

    case = case_lock(task.case_id)
    task = task_lock(task.pk)
    task.case = case
    require(rules.task_retry_blocker(case, task))
    if task.kind == TaskKind.RECIPIENT_NOTICE:
        if not _notice_send(task, actor=actor):
            raise ApplicationError(
                _(
                    "%(recipient)s has no email address as privacy contact: send the notice "
                    "another way and complete the task with evidence."
                )
                % {"recipient": task.recipient.name}
            )
        return task
    task.status = TaskStatus.PENDING
    task.save(update_fields=["status", "updated_at"])
    event_record(
        case=case,
        kind=EventKind.TASK,
        actor=actor,
        note=_("%(system)s: tried again by staff.") % {"system": task.system.name},
    )
    _queue(task.pk)
    return task


def _as_datetime(value) -> datetime:
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    if isinstance(value, date):
        return timezone.make_aware(datetime.combine(value, time(12)))
    raise ApplicationError(_("Say when it was done."))


@transaction.atomic
def task_complete_manual(
    *, task: CaseTask, actor, evidence: str, done_at, attachment=None
) -> CaseTask:
    """Staff or the named owner record that a task was done by hand: what was done, when, and
    optionally an attachment. Works for manual tasks, Art. 19 notices sent another way, and
    failed tasks done outside the portal. Evidence is required: it is the proof."""
    if not (evidence or "").strip():
        raise ApplicationError(_("Describe what was done: the evidence is the proof."))
    done_at = _as_datetime(done_at)
    require(rules.done_at_blocker(done_at, now=timezone.now()))
    if attachment is not None:
        try:
            uploads.check(attachment, uploads.EVIDENCE)
        except ValidationError as error:
            raise ApplicationError(" ".join(error.messages)) from error
    case = case_lock(task.case_id)
    task = task_lock(task.pk)
    task.case = case
    require(rules.task_close_blocker(case, task))
    task.status = TaskStatus.DONE
    task.completed_at = done_at
    task.completed_by = actor
    task.evidence = evidence.strip()
    task.error = ""
    if attachment is not None:
        # Evidence may show the person: kept encrypted.
        evidence_file_store(task, attachment)
    task.save()
    task_record(
        task,
        _("done by hand on %(date)s: %(evidence)s")
        % {
            "date": formats.date_format(timezone.localtime(done_at), "DATE_FORMAT"),
            "evidence": task.evidence,
        },
        actor=actor,
    )
    after_task_closed(case, actor=actor)
    return task


@transaction.atomic
def task_skip(*, task: CaseTask, actor, reason: str) -> CaseTask:
    """Staff decide a task is not needed (e.g. the system holds nothing of the person), and why."""
    if not (reason or "").strip():
        raise ApplicationError(_("Say why the task is not needed."))
    case = case_lock(task.case_id)
    task = task_lock(task.pk)
    task.case = case
    require(rules.task_close_blocker(case, task))
    task.status = TaskStatus.SKIPPED
    task.completed_at = timezone.now()
    task.completed_by = actor
    task.evidence = reason.strip()
    task.save()
    task_record(task, _("not needed: %(reason)s") % {"reason": task.evidence}, actor=actor)
    after_task_closed(case, actor=actor)
    return task
