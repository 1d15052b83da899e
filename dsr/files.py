"""Personal files of requests, sealed with the field keys: what systems exported for a task, the
evidence staff attached to one, the files of an export. Writing and reading them, nothing else:
who may do either is the services' and the views' business.

Task results are Fernet over base64 text, evidence and export files Fernet over the bytes (the
formats key rotation re-encrypts, dsr/apps.py).
"""

import base64

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from core import crypto, uploads
from core.errors import ApplicationError


def result_file_store(task, name: str, data: bytes) -> None:
    """Attach `data` to `task` as its result file (the caller saves the task)."""
    sealed = crypto.encrypt(base64.b64encode(data).decode()).encode()
    task.result_file.save(f"{task.public_id}-{name}.enc", ContentFile(sealed), save=False)


def result_file_read(task) -> bytes:
    """The plain content of a task's result file (exported rows, or files a system sent)."""
    with task.result_file.open("rb") as handle:
        sealed = handle.read().decode()
    return base64.b64decode(crypto.decrypt(sealed))


def evidence_file_store(task, attachment) -> None:
    """Attach an uploaded file to `task` as its evidence (the caller saves the task), under a
    name of ours whose extension says how to serve it back."""
    attachment.seek(0)
    sealed = crypto.encrypt_bytes(attachment.read())
    name = f"{task.public_id}-evidence.{uploads.extension(attachment.name)}.enc"
    task.evidence_file.save(name, ContentFile(sealed), save=False)


def evidence_file_read(task) -> tuple[bytes, str, str]:
    """The plain content of a task's evidence attachment, its download name and type."""
    with task.evidence_file.open("rb") as handle:
        data = crypto.decrypt_bytes(handle.read())
    kind = task.evidence_file.name.removesuffix(".enc").rsplit(".", 1)[-1]
    return data, f"{task.case.reference}-evidence.{kind}", uploads.content_type(f"x.{kind}")


def export_file_store(job, kind: str, data: bytes) -> str:
    """Store one file of an export; its storage name."""
    return default_storage.save(
        f"exports/{job.public_id}/{kind}.enc", ContentFile(crypto.encrypt_bytes(data))
    )


def export_file_read(file) -> bytes:
    if not file.storage_name or file.deleted_at:
        raise ApplicationError(_("This file has expired and was deleted."))
    with default_storage.open(file.storage_name, "rb") as handle:
        return crypto.decrypt_bytes(handle.read())
