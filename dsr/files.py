"""Personal files of requests, sealed with the field keys: what systems exported for a task, the
evidence staff attached to one, the files of an export. Writing and reading them, nothing else:
who may do either is the services' and the views' business.

Task results are Fernet over base64 text, evidence and export files Fernet over the bytes (the
formats key rotation re-encrypts, dsr/apps.py). A file that cannot be read back (gone from
storage, or sealed with a key no longer configured) raises ApplicationError, so every caller
answers with a message instead of a 500.
"""

import base64
import logging

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from core import crypto, uploads
from core.errors import ApplicationError

logger = logging.getLogger(__name__)


def _unreadable(what: str, pk, error: Exception) -> ApplicationError:
    # The log keeps the cause for staff; the message says what it means for the reader.
    logger.warning("%s %s cannot be read: %s", what, pk, type(error).__name__, exc_info=True)
    return ApplicationError(
        _("The file could not be read: it is missing from storage or can no longer be decrypted.")
    )


def result_file_store(task, name: str, data: bytes) -> None:
    """Attach `data` to `task` as its result file (the caller saves the task)."""
    sealed = crypto.encrypt(base64.b64encode(data).decode()).encode()
    task.result_file.save(f"{task.public_id}-{name}.enc", ContentFile(sealed), save=False)


def result_file_read(task) -> bytes:
    """The plain content of a task's result file (exported rows, or files a system sent)."""
    try:
        with task.result_file.open("rb") as handle:
            sealed = handle.read().decode()
        return base64.b64decode(crypto.decrypt(sealed))
    except (OSError, ValueError) as error:  # UnicodeDecodeError and binascii.Error included
        raise _unreadable("result file of task", task.pk, error) from error


def evidence_file_store(task, attachment) -> None:
    """Attach an uploaded file to `task` as its evidence (the caller saves the task), under a
    name of ours whose extension says how to serve it back."""
    attachment.seek(0)
    sealed = crypto.encrypt_bytes(attachment.read())
    name = f"{task.public_id}-evidence.{uploads.extension(attachment.name)}.enc"
    task.evidence_file.save(name, ContentFile(sealed), save=False)


def evidence_file_read(task) -> tuple[bytes, str, str]:
    """The plain content of a task's evidence attachment, its download name and type."""
    try:
        with task.evidence_file.open("rb") as handle:
            data = crypto.decrypt_bytes(handle.read())
    except (OSError, ValueError) as error:
        raise _unreadable("evidence file of task", task.pk, error) from error
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
    try:
        with default_storage.open(file.storage_name, "rb") as handle:
            return crypto.decrypt_bytes(handle.read())
    except (OSError, ValueError) as error:
        raise _unreadable("export file", file.pk, error) from error
