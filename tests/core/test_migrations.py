"""Upgrading a database made before `core` existed: the platform's rows move with their tables.

Migrates a database back to where the access log, the outbox, sent notices and worker checks
were privacy's, writes rows there as that release did, and migrates forward again.
"""

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from core import crypto
from core.access_log import access_log_record, verify_chain
from core.models import AccessLogEntry, OutboxEmail, SentNotice

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

BEFORE = [("core", None), ("privacy", "0012_count_estimate"), ("dsr", "0012_submission_intake")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def test_rows_written_before_the_move_are_core_rows_after_it(privacy_officer):
    access_log_record(actor=privacy_officer, action="view", object_type="case", object_id="1")
    access_log_record(actor=privacy_officer, action="view", object_type="case", object_id="2")
    _migrate(BEFORE)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM privacy_accesslogentry")
            assert cursor.fetchone()[0] == 2
            cursor.execute(
                "INSERT INTO privacy_sentnotice (key, category, created_at, superseded, recipients)"
                " VALUES ('case:1:target-3', 'case_reminder', now(), false, 1)"
            )
            cursor.execute(
                'INSERT INTO privacy_outboxemail ("to", subject, body_text, body_html, headers,'
                " attachments, reference, status, attempts, next_attempt_at, last_error,"
                " created_at) VALUES (%s, %s, %s, '', '{}', '[]', 'DSR-2026-000001',"
                " 'pending', 0, now(), '', now())",
                [crypto.encrypt("anna@example.org"), crypto.encrypt("Hello"), crypto.encrypt("")],
            )
            cursor.execute(
                "SELECT count(*) FROM django_content_type WHERE app_label = 'privacy'"
                " AND model IN ('accesslogentry', 'outboxemail', 'sentnotice', 'workercheck')"
            )
            assert cursor.fetchone()[0] == 4
    finally:
        _migrate([("core", "0001_initial"), ("privacy", "0013_platform_moved_to_core")])
        call_command("migrate", verbosity=0)

    assert AccessLogEntry.objects.count() == 2
    assert verify_chain().intact
    assert SentNotice.objects.get().key == "case:1:target-3"
    email = OutboxEmail.objects.get()
    assert (email.reference, email.to, email.subject) == (
        "DSR-2026-000001",
        "anna@example.org",
        "Hello",
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT app_label, count(*) FROM django_content_type"
            " WHERE model IN ('accesslogentry', 'outboxemail', 'sentnotice', 'workercheck')"
            " GROUP BY app_label"
        )
        assert cursor.fetchall() == [("core", 4)]
    # The log is still append-only under its new name.
    with pytest.raises(IntegrityError), transaction.atomic():
        AccessLogEntry.objects.filter(pk=AccessLogEntry.objects.first().pk).delete()
    # And the admin still counts through the renamed estimate function.
    with connection.cursor() as cursor:
        cursor.execute("SELECT core_count_estimate('SELECT 1')")
        assert cursor.fetchone()[0] == 1
