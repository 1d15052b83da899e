"""Re-encrypting stored personal data under the newest key (FIELD_ENCRYPTION_KEYS[0]).

Order of a rotation: put the new key first in FIELD_ENCRYPTION_KEYS and keep the old ones
(everything stays readable), run `manage.py reencrypt_fields`, then drop the old keys.

Append-only tables (the case timeline, the access log) refuse every UPDATE by trigger; for
re-encryption the trigger is switched off for one batch at a time, inside that batch's
transaction, with foreign-key checks made immediate so nothing is left pending. Only the
encrypted columns are written, and the access log's hash chain covers the plain text, so the
chain stays intact.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction

from privacy import crypto
from privacy.fields import EncryptedTextField

# Tables whose append-only trigger must step aside for a re-encryption batch.
APPEND_ONLY = {
    "privacy_accesslogentry": "privacy_accesslogentry_append_only",
    "dsr_caseevent": "dsr_caseevent_append_only",
}


@dataclass
class RotationReport:
    rows: dict[str, int]
    files: int


def encrypted_models():
    for model in apps.get_models():
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if names:
            yield model, names


def _without_trigger(table: str, work: Callable[[], None]) -> None:
    trigger = APPEND_ONLY.get(table)
    if trigger is None:
        work()
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER "{trigger}"')
            work()
            cursor.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER "{trigger}"')
        else:
            name = f"{trigger}_update"
            cursor.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = %s", [name]
            )
            row = cursor.fetchone()
            cursor.execute(f'DROP TRIGGER IF EXISTS "{name}"')
            work()
            if row:
                cursor.execute(row[0])


def reencrypt_rows(*, batch_size: int = 1000, log=lambda message: None) -> dict[str, int]:
    counts = {}
    for model, names in encrypted_models():
        label = model._meta.label
        table = model._meta.db_table
        done, last = 0, 0
        while True:
            batch = list(
                model.objects.filter(pk__gt=last)
                .order_by("pk")
                .values_list("pk", *names)[:batch_size]
            )
            if not batch:
                break

            def write(batch=batch, model=model, names=names):
                for pk, *values in batch:
                    # Reading decrypted with any key; writing encrypts with the newest.
                    model.objects.filter(pk=pk).update(**dict(zip(names, values, strict=True)))

            with transaction.atomic():
                _without_trigger(table, write)
            done += len(batch)
            last = batch[-1][0]
        counts[label] = done
        if done:
            log(f"{label}: {done} row(s)")
    return counts


def reencrypt_files(*, log=lambda message: None) -> int:
    """Export files (Fernet over bytes) and task result files (Fernet over base64 text)."""
    ExportFile = apps.get_model("dsr", "ExportFile")
    CaseTask = apps.get_model("dsr", "CaseTask")
    count = 0
    for file in ExportFile.objects.exclude(storage_name="").filter(deleted_at__isnull=True):
        with default_storage.open(file.storage_name, "rb") as handle:
            sealed = crypto.rotate_bytes(handle.read())
        _overwrite(file.storage_name, sealed)
        count += 1
    for task in CaseTask.objects.exclude(result_file=""):
        with task.result_file.open("rb") as handle:
            sealed = crypto.rotate(handle.read().decode()).encode()
        _overwrite(task.result_file.name, sealed)
        count += 1
    if count:
        log(f"files: {count}")
    return count


def _overwrite(name: str, data: bytes) -> None:
    default_storage.delete(name)
    saved = default_storage.save(name, ContentFile(data))
    if saved != name:  # a storage that renamed it would lose the reference
        raise RuntimeError(f"storage saved {name} as {saved}")


def reencrypt_all(*, batch_size: int = 1000, log=lambda message: None) -> RotationReport:
    return RotationReport(
        rows=reencrypt_rows(batch_size=batch_size, log=log), files=reencrypt_files(log=log)
    )
