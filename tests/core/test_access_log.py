"""The access log is append-only and hash-chained; verify_access_log finds tampering."""

import itertools

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from core.access_log import access_log_record, verify_chain
from core.models import AccessLogEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def log(privacy_officer):
    for n in range(5):
        access_log_record(
            actor=privacy_officer,
            action="view",
            object_type="data subject",
            object_id=str(n),
            subject_id=n,
            case_reference=f"DSR-2026-00000{n}",
            purpose="Handling a request",
            query="anna@example.org" if n == 2 else "",
            ip_address="192.0.2.1",
        )
    return list(AccessLogEntry.objects.order_by("pk"))


def test_entries_chain_onto_each_other(log):
    assert log[0].previous_hash == "0" * 64
    for before, after in itertools.pairwise(log):
        assert after.previous_hash == before.row_hash
    assert verify_chain().intact


def test_the_database_refuses_edits_and_deletions(log):
    with pytest.raises(IntegrityError), transaction.atomic():
        AccessLogEntry.objects.filter(pk=log[1].pk).update(purpose="nothing to see")
    with pytest.raises(IntegrityError), transaction.atomic():
        log[1].delete()


def _tamper(sql: str, params: list) -> None:
    """What an attacker with superuser access to the database does: skip triggers and edit."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        cursor.execute("SET LOCAL session_replication_role = origin")


def test_a_tampered_row_is_reported(log, capsys):
    _tamper("UPDATE core_accesslogentry SET purpose = 'innocent' WHERE id = %s", [log[2].pk])
    report = verify_chain()
    assert report.first_broken_id == log[2].pk and "content" in report.problem
    with pytest.raises(CommandError, match=f"broken at entry {log[2].pk}"):
        call_command("verify_access_log")


def test_a_removed_row_is_reported(log):
    _tamper("DELETE FROM core_accesslogentry WHERE id = %s", [log[3].pk])
    report = verify_chain()
    assert report.first_broken_id == log[4].pk and "removed" in report.problem


def test_an_intact_log_passes_the_command(log, capsys):
    call_command("verify_access_log")
    assert "intact: 5 entries" in capsys.readouterr().out


def test_search_terms_are_encrypted_at_rest(log):
    with connection.cursor() as cursor:
        cursor.execute("SELECT query FROM core_accesslogentry WHERE id = %s", [log[2].pk])
        assert "anna" not in cursor.fetchone()[0]
    assert AccessLogEntry.objects.get(pk=log[2].pk).query == "anna@example.org"
