"""Encrypted columns hold no plain text, and a key rotation keeps everything readable."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from core.access_log import access_log_record, verify_chain
from core.models import AccessLogEntry, OutboxEmail
from core.services import outbox_enqueue
from dsr.models import CaseEvent, Submission
from tests.factories import DsrCaseFactory

pytestmark = pytest.mark.django_db

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "{column}" FROM "{table}" WHERE id = %s', [pk])  # noqa: S608
        return cursor.fetchone()[0]


@pytest.fixture
def stored(settings, privacy_officer, media_in_tmp):
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    case = DsrCaseFactory(details="Anna Berg wants every invoice")
    case.submission.requester_email = "anna.berg@example.org"
    case.submission.save()
    event = CaseEvent.objects.create(
        case=case, kind="note", note="Called Anna Berg", at=case.received_at
    )
    entry = access_log_record(
        actor=privacy_officer, action="search", object_type="data subjects", query="anna berg"
    )
    email = outbox_enqueue(to="anna.berg@example.org", subject="Hej Anna", body_text="Hej Anna")
    return case, event, entry, email


@pytest.fixture
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_encrypted_columns_hold_no_plain_text(stored):
    case, event, entry, email = stored
    for table, column, pk in (
        ("dsr_submission", "requester_email", case.submission.pk),
        ("dsr_dsrcase", "details", case.pk),
        ("dsr_caseevent", "note", event.pk),
        ("core_accesslogentry", "query", entry.pk),
        ("core_outboxemail", "to", email.pk),
        ("core_outboxemail", "body_text", email.pk),
    ):
        value = raw(table, column, pk)
        assert value.startswith("enc1:"), (table, column)
        assert "anna" not in value.lower(), (table, column)


def test_rotation_keeps_old_data_readable_and_moves_it_to_the_new_key(stored, settings):
    case, event, entry, email = stored
    before = raw("dsr_dsrcase", "details", case.pk)

    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]  # new key first; the old one still decrypts
    assert Submission.objects.get(pk=case.submission.pk).requester_email == "anna.berg@example.org"

    call_command("reencrypt_fields", "--batch-size", "2")

    assert raw("dsr_dsrcase", "details", case.pk) != before
    settings.FIELD_ENCRYPTION_KEYS = [NEW]  # the old key is gone
    assert Submission.objects.get(pk=case.submission.pk).requester_email == "anna.berg@example.org"
    assert CaseEvent.objects.get(pk=event.pk).note == "Called Anna Berg"
    assert AccessLogEntry.objects.get(pk=entry.pk).query == "anna berg"
    assert OutboxEmail.objects.get(pk=email.pk).body_text == "Hej Anna"
    assert verify_chain().intact  # the chain covers the plain text, not the ciphertext


def test_append_only_tables_are_protected_again_after_a_rotation(stored, settings):
    from django.db import IntegrityError, transaction

    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]
    call_command("reencrypt_fields")
    _case, event, entry, _email = stored
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseEvent.objects.filter(pk=event.pk).update(kind="status")
    with pytest.raises(IntegrityError), transaction.atomic():
        AccessLogEntry.objects.filter(pk=entry.pk).delete()


def test_without_the_old_key_data_cannot_be_read(stored, settings):
    case, *_ = stored
    settings.FIELD_ENCRYPTION_KEYS = [NEW]
    with pytest.raises(ValueError, match="any configured key"):
        Submission.objects.get(pk=case.submission.pk).requester_email  # noqa: B018


def test_export_files_are_re_encrypted_too(stored, settings):
    from dsr.files import export_file_read
    from dsr.models import ExportJob
    from dsr.services.exports import export_store_file

    case, *_ = stored
    job = ExportJob.objects.create(case=case, status="ready")
    file = export_store_file(
        job=job, kind="report", name="r.pdf", content_type="application/pdf", data=b"%PDF-1.7 x"
    )
    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]
    call_command("reencrypt_fields")
    settings.FIELD_ENCRYPTION_KEYS = [NEW]
    assert export_file_read(file) == b"%PDF-1.7 x"
