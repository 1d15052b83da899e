"""Connectors against real peers: the SQL connector on a scratch PostgreSQL database, and the
webhook connector against a local HTTP server."""

import json
import time
import uuid
from datetime import date

import pytest

from demo import names
from dsr.choices import Operation
from dsr.connectors import (
    ConnectorRequest,
    PermanentConnectorError,
    RetainedRows,
    TransientConnectorError,
    postgresql,
    webhook,
)
from tests.dsr.conftest import ANNA, ANNA_PRIVATE, BO, CECILIA, platform_count, platform_rows
from tests.dsr.factories import WEBHOOK_SECRET, ConnectorQueryFactory, WebhookConnectorFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]

REFERENCE = "DSR-2026-000042"


def connector_request(system, operation, *, emails=(ANNA, ANNA_PRIVATE), rectification="{}"):
    connector = system.connector
    return ConnectorRequest(
        task_id=1,
        task_public_id=str(uuid.uuid4()),
        case_reference=REFERENCE,
        operation=operation,
        emails=list(emails),
        rectification=rectification,
        connector=connector,
        categories=list(system.data_categories.select_related("retention_rule")),
        queries=list(connector.queries.all()),
        callback_url="http://testserver/dsr/callback/x/",
    )


def run(register, system_name, operation, **kwargs):
    return postgresql.run(connector_request(register.systems[system_name], operation, **kwargs))


# --- Find and export -------------------------------------------------------------------------


def test_export_finds_the_person_by_every_address_in_any_case(register):
    url = register.url
    platform_rows(
        url,
        "INSERT INTO events (user_email, kind, occurred_at) VALUES (%(e)s, 'sign_in', %(at)s)",
        e="Anna.B@Post.Example",
        at="2025-06-01 10:00:00",
    )
    anna_events = platform_count(
        url, "events", "lower(user_email) IN (%(a)s, %(b)s)", a=ANNA, b=ANNA_PRIVATE
    )
    assert anna_events >= 6

    result = run(register, names.SYS_EVENTS, Operation.EXPORT)

    rows = result.export[names.CAT_USAGE]["events"]
    assert len(rows) == anna_events
    assert {"kind", "ip_address", "user_agent", "occurred_at"} == set(rows[0])
    assert result.summary["statements"] == [
        {"category": names.CAT_USAGE, "label": "events", "operation": "export", "rows": anna_events}
    ]
    # Counts only in the summary: it is stored on the task, the rows go to the result file.
    assert ANNA not in json.dumps(result.summary)
    assert result.retained == []


def test_find_reports_counts_per_statement(register):
    result = run(register, names.SYS_DATABASE, Operation.FIND)

    statements = {s["label"]: s["rows"] for s in result.summary["statements"]}
    assert statements["users"] == 1
    assert set(statements) == {"users", "functions", "evaluations", "indexes"}
    assert result.export is None


# --- Erasure and the legal hold --------------------------------------------------------------


def test_erasure_restricts_invoices_under_the_legal_hold_and_never_deletes_them(register):
    url = register.url
    assert (
        register.systems[names.SYS_BILLING]
        .connector.queries.filter(operation="erase", sql__startswith="DELETE")
        .exists()
    )
    before = platform_count(url, "invoices", "customer_email = %(e)s", e=ANNA)
    assert before == 12  # quarterly, fiscal years 2023-2025

    result = run(register, names.SYS_BILLING, Operation.ERASE)

    assert result.summary["statements"] == [
        {"category": names.CAT_INVOICES, "label": "invoices", "operation": "restrict", "rows": 12}
    ]
    invoices = register.categories[names.CAT_INVOICES]
    # Bokföringslagen 7 kap. 2 §: the 2025 books are kept to the end of 2032.
    assert result.retained == [
        RetainedRows(category_id=invoices.pk, rows=12, retained_until=date(2032, 12, 31))
    ]
    kept = platform_rows(
        url,
        "SELECT restricted, restricted_reason FROM invoices WHERE customer_email = %(e)s",
        e=ANNA,
    )
    assert len(kept) == 12
    assert {(bool(r["restricted"]), r["restricted_reason"]) for r in kept} == {(True, REFERENCE)}
    assert platform_count(url, "invoices", "customer_email = %(e)s AND restricted", e=CECILIA) == 0


def test_the_kept_until_date_follows_the_latest_financial_year_of_the_rows(register):
    url = register.url
    platform_rows(url, "DELETE FROM invoices WHERE fiscal_year_end > %(d)s", d=date(2023, 12, 31))

    result = run(register, names.SYS_BILLING, Operation.ERASE)

    assert result.retained[0].rows == 4
    assert result.retained[0].retained_until == date(2030, 12, 31)


def test_erasure_anonymises_usage_events_as_their_rule_says(register):
    url = register.url
    total = platform_count(url, "events")
    bo_events = platform_count(url, "events", "lower(user_email) = %(e)s", e=BO)
    anna_events = platform_count(url, "events", "lower(user_email) = %(e)s", e=ANNA)

    result = run(register, names.SYS_EVENTS, Operation.ERASE)

    assert result.summary["statements"] == [
        {
            "category": names.CAT_USAGE,
            "label": "events",
            "operation": "anonymise",
            "rows": anna_events,
        }
    ]
    assert platform_count(url, "events", "lower(user_email) = %(e)s", e=ANNA) == 0
    assert platform_count(url, "events") == total  # kept for statistics, without the person
    assert platform_count(url, "events", "lower(user_email) = %(e)s", e=BO) == bo_events
    assert result.retained == []


def test_erasure_detaches_content_before_deleting_the_account(register):
    url = register.url
    functions = platform_count(url, "functions")

    result = run(register, names.SYS_DATABASE, Operation.ERASE)

    operations = [(s["label"], s["operation"]) for s in result.summary["statements"]]
    assert operations[-1] == ("users", "erase")
    assert {op for label, op in operations[:-1]} == {"anonymise"}
    assert platform_count(url, "users", "lower(email) = %(e)s", e=ANNA) == 0
    assert platform_count(url, "users", "lower(email) = %(e)s", e=BO) == 1
    # The organisation's functions stay; who made them is gone.
    assert platform_count(url, "functions") == functions


def test_a_failing_statement_leaves_the_system_as_it_was(register):
    system = register.systems[names.SYS_DATABASE]
    ConnectorQueryFactory(
        connector=system.connector,
        operation="erase",
        data_category=register.categories[names.CAT_ACCOUNT],
        label="zz_sessions",
        sql="DELETE FROM sessions_that_do_not_exist WHERE email = %(email)s",
    )

    with pytest.raises(PermanentConnectorError, match="SQL error"):
        run(register, names.SYS_DATABASE, Operation.ERASE)

    # The users statement ran before the broken one, in the same transaction: rolled back.
    assert platform_count(register.url, "users", "lower(email) = %(e)s", e=ANNA) == 1


def test_a_held_category_with_erase_sql_but_no_restriction_is_refused(register):
    connector = register.systems[names.SYS_BILLING].connector
    connector.queries.filter(operation="restrict").delete()

    with pytest.raises(PermanentConnectorError, match="legal obligation"):
        run(register, names.SYS_BILLING, Operation.ERASE)

    assert platform_count(register.url, "invoices", "customer_email = %(e)s", e=ANNA) == 12


# --- Rectification and restriction ---------------------------------------------------------


def test_rectification_applies_the_corrections_as_json(register):
    result = run(
        register,
        names.SYS_DATABASE,
        Operation.RECTIFY,
        rectification=json.dumps({"name": "Anna Lindqvist"}),
    )

    assert result.summary["statements"][0]["rows"] == 1
    names_now = {
        r["email"].lower(): r["name"]
        for r in platform_rows(register.url, "SELECT email, name FROM users")
    }
    assert names_now[ANNA] == "Anna Lindqvist"
    assert names_now[BO] == "Bo Ek"


def test_restriction_marks_the_rows(register):
    run(register, names.SYS_EVENTS, Operation.RESTRICT)
    url = register.url
    assert (
        platform_count(url, "events", "lower(user_email) = %(e)s AND NOT restricted", e=ANNA) == 0
    )
    assert platform_count(url, "events", "restricted") == platform_count(
        url, "events", "lower(user_email) = %(e)s", e=ANNA
    )


# --- Errors ---------------------------------------------------------------------------------


def test_an_unreachable_database_is_a_transient_error(register):
    connector = register.systems[names.SYS_EVENTS].connector
    connector.dsn = "postgresql://postgres@127.0.0.1:1/platform"
    connector.save()
    with pytest.raises(TransientConnectorError, match="could not connect"):
        run(register, names.SYS_EVENTS, Operation.FIND)


def test_a_connection_string_that_is_not_one_is_a_permanent_error(register):
    connector = register.systems[names.SYS_EVENTS].connector
    connector.dsn = "sqlite:///platform.sqlite3"
    connector.save()
    with pytest.raises(PermanentConnectorError, match="bad connection string"):
        run(register, names.SYS_EVENTS, Operation.FIND)


def test_no_statement_for_the_operation_is_a_permanent_error(register):
    with pytest.raises(PermanentConnectorError, match="no rectify statement"):
        run(register, names.SYS_BILLING, Operation.RECTIFY)


# --- Webhook --------------------------------------------------------------------------------


def test_a_signature_verifies_only_with_the_secret_the_body_and_a_fresh_time():
    body = b'{"status": "done"}'
    header = webhook.sign("s3cret", body)
    webhook.verify("s3cret", body, header)

    for secret, signed_body in (("other", body), ("s3cret", body + b" ")):
        with pytest.raises(webhook.SignatureError, match="does not match"):
            webhook.verify(secret, signed_body, header)
    stale = webhook.sign("s3cret", body, timestamp=int(time.time()) - 301)
    with pytest.raises(webhook.SignatureError, match="window"):
        webhook.verify("s3cret", body, stale)
    for malformed in ("", "v1=abc", "t=123", "t=x,v1=abc"):
        with pytest.raises(webhook.SignatureError, match="malformed"):
            webhook.verify("s3cret", body, malformed)
    # A sender rotating its secret signs with both; either may match.
    rotated = header.replace(",v1=", ",v1=" + "0" * 64 + ",v1=")
    webhook.verify("s3cret", body, rotated)


def webhook_request(connector):
    return ConnectorRequest(
        task_id=1,
        task_public_id="0b0e4c1e-8a55-4d5c-9f5b-3c2f3d0f7a11",
        case_reference=REFERENCE,
        operation="erase",
        emails=[ANNA, ANNA_PRIVATE],
        rectification="{}",
        connector=connector,
        categories=[],
        callback_url="https://portal.example/dsr/callback/0b0e4c1e/",
    )


def test_a_webhook_request_is_signed_json_and_the_task_then_waits(webhook_receiver):
    connector = WebhookConnectorFactory(webhook_url=webhook_receiver.url)

    result = webhook.run(webhook_request(connector))

    assert result.waiting
    [(headers, body)] = webhook_receiver.requests
    assert headers["Content-Type"] == "application/json"
    webhook.verify(WEBHOOK_SECRET, body, headers[webhook.SIGNATURE_HEADER])
    sent = json.loads(body)
    assert sent["task"] == "0b0e4c1e-8a55-4d5c-9f5b-3c2f3d0f7a11"
    assert sent["reference"] == REFERENCE
    assert sent["operation"] == "erase"
    assert sent["identifiers"] == {"emails": [ANNA, ANNA_PRIVATE]}
    assert sent["callback_url"] == "https://portal.example/dsr/callback/0b0e4c1e/"
    assert sent["sent_at"]


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (500, TransientConnectorError),
        (503, TransientConnectorError),
        (429, TransientConnectorError),
        (400, PermanentConnectorError),
        (401, PermanentConnectorError),
        (404, PermanentConnectorError),
        (302, PermanentConnectorError),
    ],
)
def test_webhook_answers_are_transient_or_permanent(webhook_receiver, status, error):
    webhook_receiver.status = status
    webhook_receiver.headers = {"Location": "http://127.0.0.1:9/elsewhere"}
    connector = WebhookConnectorFactory(webhook_url=webhook_receiver.url)

    with pytest.raises(error, match=f"HTTP {status}"):
        webhook.run(webhook_request(connector))
    assert len(webhook_receiver.requests) == 1  # a redirect is not followed


def test_an_unreachable_webhook_is_transient():
    connector = WebhookConnectorFactory(webhook_url="http://127.0.0.1:9/hook")
    with pytest.raises(TransientConnectorError, match="could not reach"):
        webhook.run(webhook_request(connector))
