"""A webhook system reports the outcome of a task, signed like the request it answers."""

import base64
import io
import json
import zipfile

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from dsr import rules
from dsr.choices import ConnectorKind, TaskKind, TaskStatus
from dsr.events import case_lock, task_lock
from dsr.files import result_file_store
from dsr.models import CaseTask, SystemConnector
from dsr.services.fulfilment import after_task_closed, task_record


class CallbackRejected(ApplicationError):
    """A webhook callback refused; `status` is the HTTP status the view answers with."""

    def __init__(self, message: str, *, status: int):
        super().__init__(message)
        self.status = status


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


def _file_name(name: str) -> str:
    """A name a system sent, as one harmless path component: no folders, no leading dots, no
    "..", so that storing it (result_file_store) or zipping it cannot leave its place."""
    name = name.replace("\\", "/").replace("/", "_").replace("\x00", "")
    while ".." in name:
        name = name.replace("..", ".")
    return name.lstrip(".") or "file"


def _callback_files(data: dict, uploads) -> list[tuple[str, bytes]]:
    files = []
    for item in data.get("files", []):
        try:
            files.append((item["name"], base64.b64decode(item["content"], validate=True)))
        except ValueError as error:
            raise CallbackRejected(_("A file's content is not base64."), status=400) from error
    files.extend((upload.name, upload.read()) for upload in uploads)
    return [(_file_name(name), content) for name, content in files]


def _bundle(files: list[tuple[str, bytes]]) -> tuple[str, bytes]:
    if len(files) == 1:
        return files[0]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files:
            archive.writestr(name, content)
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
    case = case_lock(task.case_id)
    task = task_lock(task.pk)
    task.case = case
    closed = rules.task_close_blocker(case, task)
    if not task.is_open:
        raise CallbackRejected(closed, status=409)
    if data["status"] == "failed":
        task.status = TaskStatus.FAILED
        task.error = (data.get("error") or _("The system reported a failure."))[:2000]
        task.save(update_fields=["status", "error", "updated_at"])
        task_record(task, _("the system reported a failure: %(error)s") % {"error": task.error})
        return task
    if files:
        name, content = _bundle(files)
        result_file_store(task, name, content)
    task.status = TaskStatus.DONE
    task.result = {"operation": task.operation, "reported": data.get("result", {})}
    task.error = ""
    task.completed_at = timezone.now()
    task.save()
    task_record(task, _("done, confirmed by the system."))
    after_task_closed(case)
    return task
