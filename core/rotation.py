"""Re-encrypting stored personal data under the newest key (FIELD_ENCRYPTION_KEYS[0]).

Order of a rotation: put the new key first in FIELD_ENCRYPTION_KEYS and keep the old ones
(everything stays readable), run `manage.py reencrypt_fields`, then drop the old keys.

Append-only tables (the case timeline, the access log) refuse every UPDATE by trigger; for
re-encryption the trigger is switched off for one batch at a time, inside that batch's
transaction, with foreign-key checks made immediate so nothing is left pending. Only the
encrypted columns are written, and the access log's hash chain covers the plain text, so the
chain stays intact.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction

from core import crypto
from core.fields import EncryptedTextField


@dataclass
class RotationReport:
    rows: dict[str, int]
    files: int


@dataclass(frozen=True)
class EncryptedFiles:
    """Files in storage whose content is sealed with the field keys, declared by the app that
    writes them (in its AppConfig.ready): `names()` lists their storage names; `sealed_as` is
    "bytes" (Fernet over the bytes) or "text" (Fernet over base64 text)."""

    label: str
    names: Callable[[], Iterable[str]]
    sealed_as: str = "bytes"


_FILES: list[EncryptedFiles] = []


def register_encrypted_files(files: EncryptedFiles) -> None:
    if all(known.label != files.label for known in _FILES):
        _FILES.append(files)


def encrypted_models():
    for model in apps.get_models():
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if names:
            yield model, names


def _append_only_triggers(table: str) -> list[str]:
    """The table's append-only triggers (core.db.append_only_table names them so)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal"
            " AND tgname LIKE %s",
            [connection.ops.quote_name(table), "%\\_append\\_only"],
        )
        return [row[0] for row in cursor.fetchall()]


def _without_trigger(table: str, work: Callable[[], None]) -> None:
    triggers = _append_only_triggers(table)
    if not triggers:
        work()
        return
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for trigger in triggers:
            cursor.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER "{trigger}"')
        work()
        for trigger in triggers:
            cursor.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER "{trigger}"')


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
    """Every file an app declared (register_encrypted_files), sealed again with the newest key."""
    count = 0
    for files in _FILES:
        done = 0
        for name in files.names():
            with default_storage.open(name, "rb") as handle:
                sealed = handle.read()
            if files.sealed_as == "text":
                rotated = crypto.rotate(sealed.decode()).encode()
            else:
                rotated = crypto.rotate_bytes(sealed)
            _overwrite(name, rotated)
            done += 1
        if done:
            log(f"{files.label}: {done} file(s)")
        count += done
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
