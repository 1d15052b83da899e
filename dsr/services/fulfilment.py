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

import base64
import contextlib
import io
import json
import logging
import zipfile
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from core import crypto, uploads
from core.errors import ApplicationError
from core.identifiers import normalise_email
from dsr.choices import (
    FINAL_STATUSES,
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
from dsr.models import CaseTask, DsrCase, RetainedData, SystemConnector
from privacy.choices import ConsentAction, ConsentMethod
from privacy.models import ProcessingActivity, SubjectEmail, System
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


# --- Running tasks ----------------------------------------------------------------------------

# A task claimed longer ago than this belongs to a worker that died mid-run (longer than the
# Celery task's hard time limit): the sweep or a retry may claim it again.
RUNNING_CLAIM_TIMEOUT = timedelta(minutes=10)
# How old an automatic task still pending must be before the sweep queues it again.
PENDING_SWEEP_AFTER = timedelta(minutes=1)


class TaskRetryableError(Exception):
    """A transient connector error: the task is FAILED (and shows why) and Celery retries it."""


class CallbackRejected(ApplicationError):
    """A webhook callback refused; `status` is the HTTP status the view answers with."""

    def __init__(self, message: str, *, status: int):
        super().__init__(message)
        self.status = status


def _lock_case(case_id: int) -> DsrCase:
    return (
        DsrCase.objects.select_for_update(of=("self",)).select_related("submission").get(pk=case_id)
    )


def _lock_task(task_id: int) -> CaseTask:
    return (
        CaseTask.objects.select_for_update(of=("self",))
        .select_related("system", "recipient")
        .get(pk=task_id)
    )


def _target_name(task: CaseTask) -> str:
    return task.system.name if task.system_id else task.recipient.name


def _record(task: CaseTask, note: str, *, actor=None) -> None:
    from dsr.services.cases import event_record

    event_record(
        case=task.case,
        kind=EventKind.TASK,
        actor=actor,
        note=f"{_target_name(task)}: {note}",
    )


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
    case = _lock_case(task.case_id)
    task = _lock_task(task.pk)
    if task.status != TaskStatus.RUNNING:
        return  # finished meanwhile (staff or a callback): their record stands
    task.case = case
    if result.export is not None:
        data = json.dumps(result.export, ensure_ascii=False, indent=1, default=str).encode()
        _store_result_file(task, f"{task.operation}.json", data)
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
    _record(task, _("done. %(summary)s") % {"summary": summary_text(result.summary)})
    _after_task_closed(case)


@transaction.atomic
def _task_waiting(task: CaseTask, result) -> None:
    _lock_case(task.case_id)
    updated = CaseTask.objects.filter(pk=task.pk, status=TaskStatus.RUNNING).update(
        status=TaskStatus.WAITING, result=result.summary, error="", updated_at=timezone.now()
    )
    if updated:
        _record(task, _("request sent; waiting for the system to confirm."))


@transaction.atomic
def _task_failed(task: CaseTask, message: str, *, transient: bool) -> None:
    _lock_case(task.case_id)
    task = _lock_task(task.pk)
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
    _record(task, note)


def _task_finish(task: CaseTask, *, status: str, note: str) -> None:
    with transaction.atomic():
        _lock_case(task.case_id)
        CaseTask.objects.filter(pk=task.pk, status=TaskStatus.RUNNING).update(
            status=status, completed_at=timezone.now(), updated_at=timezone.now()
        )
        _record(task, note)


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


def _store_result_file(task: CaseTask, name: str, data: bytes) -> None:
    """Results hold personal data: stored encrypted like every other personal text."""
    sealed = crypto.encrypt(base64.b64encode(data).decode()).encode()
    task.result_file.save(f"{task.public_id}-{name}.enc", ContentFile(sealed), save=False)


def result_file_read(task: CaseTask) -> bytes:
    """The plain content of a task's result file (exported rows, or files a system sent)."""
    with task.result_file.open("rb") as handle:
        sealed = handle.read().decode()
    return base64.b64decode(crypto.decrypt(sealed))


# --- After a task closes: Art. 19 notices ---------------------------------------------------


def _after_task_closed(case: DsrCase, *, actor=None) -> None:
    """Once every system task of a rectification, erasure or restriction is closed (and at
    least one did the work), open the Art. 19 notices and email those we can. The caller holds
    the case's lock, so two tasks finishing at once cannot both miss (or both do) this."""
    if case.right not in RIGHTS_NOTIFIED_TO_RECIPIENTS or not case.is_open:
        return
    system_tasks = CaseTask.objects.filter(case=case, kind=TaskKind.SYSTEM)
    if system_tasks.filter(status__in=OPEN_TASK_STATUS_VALUES).exists():
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
    from dsr.services.cases import event_record

    case = _lock_case(task.case_id)
    task = _lock_task(task.pk)
    task.case = case
    if not case.is_open:
        raise ApplicationError(_("The request is closed."))
    if task.kind == TaskKind.RECIPIENT_NOTICE:
        if task.status != TaskStatus.PENDING:
            raise ApplicationError(_("This notice is not waiting to be sent."))
        if not _notice_send(task, actor=actor):
            raise ApplicationError(
                _(
                    "%(recipient)s has no email address as privacy contact: send the notice "
                    "another way and complete the task with evidence."
                )
                % {"recipient": task.recipient.name}
            )
        return task
    if task.connector_kind == ConnectorKind.MANUAL:
        raise ApplicationError(_("A manual task is completed by its owner, with evidence."))
    retryable = {TaskStatus.FAILED}
    if task.connector_kind == ConnectorKind.WEBHOOK:
        retryable.add(TaskStatus.WAITING)
    if task.status not in retryable:
        raise ApplicationError(
            _("Only a failed task, or a webhook still unanswered, can be tried again.")
        )
    task.status = TaskStatus.PENDING
    task.save(update_fields=["status", "updated_at"])
    event_record(
        case=case,
        kind=EventKind.TASK,
        actor=actor,
        note=_("%(system)s: tried again by staff.") % {"system": task.system.name},
    )
    task_id = task.pk
    transaction.on_commit(lambda: _queue([task_id]))
    return task


def _as_datetime(value) -> datetime:
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    if isinstance(value, date):
        return timezone.make_aware(datetime.combine(value, time(12)))
    raise ApplicationError(_("Say when it was done."))


def _already(task: CaseTask) -> str:
    return _("This task is already %(status)s.") % {
        "status": str(task.get_status_display()).lower()
    }


def _closable(task: CaseTask) -> None:
    if not task.is_open:
        raise ApplicationError(_already(task))
    if task.status == TaskStatus.RUNNING:
        raise ApplicationError(_("This task is running now; wait for it to finish."))


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
    if done_at > timezone.now() + timedelta(minutes=5):
        raise ApplicationError(_("The task cannot have been done in the future."))
    if attachment is not None:
        try:
            uploads.check(attachment, uploads.EVIDENCE)
        except ValidationError as error:
            raise ApplicationError(" ".join(error.messages)) from error
    case = _lock_case(task.case_id)
    task = _lock_task(task.pk)
    task.case = case
    _closable(task)
    task.status = TaskStatus.DONE
    task.completed_at = done_at
    task.completed_by = actor
    task.evidence = evidence.strip()
    task.error = ""
    if attachment is not None:
        # Evidence may show the person: kept encrypted, under a name of ours (the original
        # name's extension says how to serve it back).
        attachment.seek(0)
        sealed = crypto.encrypt_bytes(attachment.read())
        name = f"{task.public_id}-evidence.{uploads.extension(attachment.name)}.enc"
        task.evidence_file.save(name, ContentFile(sealed), save=False)
    task.save()
    _record(
        task,
        _("done by hand on %(date)s: %(evidence)s")
        % {
            "date": formats.date_format(timezone.localtime(done_at), "DATE_FORMAT"),
            "evidence": task.evidence,
        },
        actor=actor,
    )
    _after_task_closed(case, actor=actor)
    return task


@transaction.atomic
def task_skip(*, task: CaseTask, actor, reason: str) -> CaseTask:
    """Staff decide a task is not needed (e.g. the system holds nothing of the person), and why."""
    if not (reason or "").strip():
        raise ApplicationError(_("Say why the task is not needed."))
    case = _lock_case(task.case_id)
    task = _lock_task(task.pk)
    task.case = case
    _closable(task)
    task.status = TaskStatus.SKIPPED
    task.completed_at = timezone.now()
    task.completed_by = actor
    task.evidence = reason.strip()
    task.save()
    _record(task, _("not needed: %(reason)s") % {"reason": task.evidence}, actor=actor)
    _after_task_closed(case, actor=actor)
    return task


def _callback_payload(payload: bytes) -> dict:
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as error:
        raise CallbackRejected(_("The body is not valid JSON."), status=400) from error
    if not isinstance(data, dict) or data.get("status") not in ("done", "failed"):
        raise CallbackRejected(_('"status" must be "done" or "failed".'), status=400)
    if not isinstance(data.get("result", {}), dict):
        raise CallbackRejected(_('"result" must be an object.'), status=400)
    if not isinstance(data.get("error", ""), str):
        raise CallbackRejected(_('"error" must be text.'), status=400)
    files = data.get("files", [])
    if not isinstance(files, list) or not all(
        isinstance(f, dict) and isinstance(f.get("name"), str) and isinstance(f.get("content"), str)
        for f in files
    ):
        raise CallbackRejected(
            _('"files" must be a list of {"name", "content" (base64)}.'), status=400
        )
    return data


def _callback_files(data: dict, uploads) -> list[tuple[str, bytes]]:
    files = []
    for item in data.get("files", []):
        try:
            files.append((item["name"], base64.b64decode(item["content"], validate=True)))
        except ValueError as error:
            raise CallbackRejected(_("A file's content is not base64."), status=400) from error
    files.extend((upload.name, upload.read()) for upload in uploads)
    return files


def _bundle(files: list[tuple[str, bytes]]) -> tuple[str, bytes]:
    if len(files) == 1:
        return files[0]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files:
            archive.writestr(name.replace("/", "_") or "file", content)
    return "results.zip", buffer.getvalue()


@transaction.atomic
def webhook_callback(
    *, task_public_id, body: bytes, signature: str, payload: bytes | None = None, uploads=()
) -> CaseTask:
    """A webhook system reports the outcome of a task, signed like our request.

    `body` is the raw request body the signature covers; `payload` is the JSON (the body itself,
    or the `payload` field of a multipart upload, whose files come as `uploads`). JSON:
    {"status": "done" | "failed", "result": {...counts...}, "error": "...",
     "files": [{"name": "...", "content": "<base64>"}]}.
    Raises CallbackRejected with the HTTP status to answer: 404 unknown task, 401 bad or stale
    signature, 400 malformed body, 409 task already completed (a replay).
    """
    task = (
        CaseTask.objects.select_related("system")
        .filter(
            public_id=task_public_id,
            kind=TaskKind.SYSTEM,
            connector_kind=ConnectorKind.WEBHOOK,
        )
        .first()
    )
    connector = SystemConnector.objects.filter(system_id=task.system_id).first() if task else None
    if task is None or connector is None or not connector.webhook_secret:
        raise CallbackRejected(_("Unknown task."), status=404)
    from dsr.connectors.webhook import SignatureError, verify

    try:
        verify(connector.webhook_secret, body, signature)
    except SignatureError as error:
        raise CallbackRejected(
            _("Invalid signature: %(reason)s.") % {"reason": error}, status=401
        ) from error
    data = _callback_payload(body if payload is None else payload)
    files = _callback_files(data, uploads)
    case = _lock_case(task.case_id)
    task = _lock_task(task.pk)
    task.case = case
    if not task.is_open:
        raise CallbackRejected(_already(task), status=409)
    if data["status"] == "failed":
        task.status = TaskStatus.FAILED
        task.error = (data.get("error") or _("The system reported a failure."))[:2000]
        task.save(update_fields=["status", "error", "updated_at"])
        _record(task, _("the system reported a failure: %(error)s") % {"error": task.error})
        return task
    if files:
        name, content = _bundle(files)
        _store_result_file(task, name, content)
    task.status = TaskStatus.DONE
    task.result = {"operation": task.operation, "reported": data.get("result", {})}
    task.error = ""
    task.completed_at = timezone.now()
    task.save()
    _record(task, _("done, confirmed by the system."))
    _after_task_closed(case)
    return task


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


def evidence_file_read(task: CaseTask) -> tuple[bytes, str, str]:
    """The plain content of a task's evidence attachment, its download name and type."""
    with task.evidence_file.open("rb") as handle:
        data = crypto.decrypt_bytes(handle.read())
    kind = task.evidence_file.name.removesuffix(".enc").rsplit(".", 1)[-1]
    return data, f"{task.case.reference}-evidence.{kind}", uploads.content_type(f"x.{kind}")
