"""The retention sweep removes exactly what has passed its period, never what a legal hold
keeps, in batches, after a dry run that changes nothing."""

from datetime import date, timedelta

import psycopg
import pytest
from django.utils import timezone

from core.errors import ApplicationError
from dsr.services import retention
from dsr.tasks import sweep_retention
from privacy.models import RetentionRule
from tests.dsr.conftest import platform_count

pytestmark = pytest.mark.django_db


def execute(url: str, sql: str, params: dict | None = None) -> None:
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute(sql, params or {})


@pytest.fixture
def platform(register):
    """Known rows on both sides of each cutoff, next to the generated demo rows."""
    url = register.url
    execute(url, "DELETE FROM events; DELETE FROM invoices")
    today = timezone.localdate()
    usage = RetentionRule.objects.get(name="Usage events")
    accounting = register.accounting
    usage_cutoff = usage.expiry_cutoff(today)
    accounting_cutoff = accounting.expiry_cutoff(today)
    for n in range(23):  # past the 13 months: the day before the cutoff, or years before
        occurred = usage_cutoff - timedelta(days=1) if n % 2 else date(2019, 5, 1)
        execute(
            url,
            "INSERT INTO events (user_email, kind, occurred_at) VALUES (%(e)s, 'login', %(at)s)",
            {"e": f"old{n}@example.org", "at": occurred},
        )
    for n in range(5):  # within the period
        execute(
            url,
            "INSERT INTO events (user_email, kind, occurred_at) VALUES (%(e)s, 'login', now())",
            {"e": f"new{n}@example.org"},
        )
    # Invoices: whose financial year ended before the cutoff may go; the rest are on hold,
    # restricted or not.
    past_fy = date(accounting_cutoff.year - 1, 12, 31)
    held_fy = date(accounting_cutoff.year, 12, 31)
    for n, (fy, restricted) in enumerate(
        [
            (past_fy, False),
            (past_fy, True),
            (held_fy, False),
            (held_fy, True),
            (date(today.year - 1, 12, 31), False),
        ]
    ):
        execute(
            url,
            "INSERT INTO invoices (organisation_id, number, customer_email, customer_name, "
            "billing_address, amount_sek, issued_on, fiscal_year_end, restricted) VALUES ("
            "(SELECT min(id) FROM organisations), %(number)s, 'c@example.org', 'C', "
            "'Street 1', 100, %(fy)s, %(fy)s, %(restricted)s)",
            {"number": f"INV-{n}", "fy": fy, "restricted": restricted},
        )
    return {"url": url, "usage": usage, "accounting": accounting}


def anonymised(url: str) -> int:
    return platform_count(url, "events", "user_email IS NULL")


def test_a_dry_run_counts_exactly_and_changes_nothing(platform):
    run = retention.retention_run(rule=platform["usage"], dry_run=True)
    assert run.succeeded and run.rows == 23
    assert run.results == [
        {
            "system": "Platform event store and logs",
            "category": run.results[0]["category"],
            "label": "events",
            "rows": 23,
        }
    ]
    assert anonymised(platform["url"]) == 0


def test_sweeping_needs_a_dry_run_first(platform):
    with pytest.raises(ApplicationError, match="dry run"):
        retention.retention_rule_enable(rule=platform["usage"])
    retention.retention_run(rule=platform["usage"], dry_run=True)
    assert retention.retention_rule_enable(rule=platform["usage"]).sweep_enabled


def test_the_sweep_removes_exactly_what_has_passed_in_batches(platform, settings):
    settings.RETENTION_BATCH_SIZE = 7  # 23 rows: four statements
    retention.retention_run(rule=platform["usage"], dry_run=True)
    retention.retention_rule_enable(rule=platform["usage"])

    sweep_retention()

    url = platform["url"]
    assert anonymised(url) == 23
    assert platform_count(url, "events", "user_email LIKE 'new%%'") == 5  # untouched
    assert platform_count(url, "invoices") == 5  # the accounting rule is not switched on
    [run] = platform["usage"].runs.filter(dry_run=False)
    assert run.rows == 23 and run.succeeded
    assert sweep_retention() == 0  # nothing left


def test_invoices_go_only_when_the_accounting_act_lets_them(platform):
    accounting = platform["accounting"]
    retention.retention_run(rule=accounting, dry_run=True)
    retention.retention_rule_enable(rule=accounting)

    run = retention.retention_run(rule=accounting, dry_run=False)

    url = platform["url"]
    assert run.rows == 2
    remaining = platform_count(url, "invoices")
    assert remaining == 3  # the held years stay, restricted or not
    assert platform_count(url, "invoices", "fiscal_year_end < %(c)s", c=run.cutoff) == 0


def test_a_failing_system_is_logged_not_raised(platform, register):
    connector = register.systems["Platform event store and logs"].connector
    connector.dsn = "postgresql://nobody@127.0.0.1:1/none"
    connector.save()
    run = retention.retention_run(rule=platform["usage"], dry_run=True)
    assert not run.succeeded and "could not connect" in run.error
