"""The retention sweep: each enabled RetentionRule removes, in the systems that hold its data
categories, what has passed its period, in batches, by the connectors' RETENTION statements.

- A statement receives %(cutoff)s (rows whose period started before it are past it) and
  %(batch_size)s (at most this many rows per statement); it deletes or anonymises one batch
  and the sweep repeats it until nothing is left.
- What a legal hold keeps is never touched: a rule kept by legal obligation (the Accounting
  Act) has its own, long period, and its cutoff only passes rows whose obligation has ended.
- A dry run executes the same statements in a transaction that is rolled back, with one
  unbounded batch: the exact count, nothing changed. A rule is swept automatically only after
  a successful dry run (a switch per rule), and every run is logged by category and count.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from dsr.choices import Operation
from dsr.connectors.base import ConnectorError
from dsr.connectors.postgresql import transaction as sql_transaction
from dsr.models import ConnectorQuery, RetentionRun
from privacy.models import RetentionRule

logger = logging.getLogger(__name__)


class _RollBack(Exception):
    """Raised inside a dry run's transaction so that the database undoes it."""


def _statements(rule: RetentionRule):
    return (
        ConnectorQuery.objects.filter(
            operation=Operation.RETENTION,
            data_category__retention_rule=rule,
            connector__is_enabled=True,
            connector__kind="postgresql",
        )
        .select_related("connector__system", "data_category")
        .order_by("connector__system__name", "data_category__name", "label")
    )


def _apply(query: ConnectorQuery, *, cutoff, dry_run: bool) -> int:
    """Run one statement until it removes nothing more; the number of rows it touched."""
    if dry_run:
        total = 0
        try:
            with sql_transaction(query.connector.dsn) as session:
                _rows, total = session.execute(
                    query.sql, {"cutoff": cutoff, "batch_size": 2**31 - 1}
                )
                raise _RollBack
        except _RollBack:
            return total
    total = 0
    for _batch in range(settings.RETENTION_MAX_BATCHES):
        with sql_transaction(query.connector.dsn) as session:
            _rows, affected = session.execute(
                query.sql, {"cutoff": cutoff, "batch_size": settings.RETENTION_BATCH_SIZE}
            )
        total += affected
        if affected < settings.RETENTION_BATCH_SIZE:
            break
    return total


def retention_run(*, rule: RetentionRule, dry_run: bool, actor=None, today=None) -> RetentionRun:
    """Apply `rule` once (or count, for a dry run) and log what it removed."""
    today = today or timezone.localdate()
    cutoff = rule.expiry_cutoff(today)
    run = RetentionRun.objects.create(rule=rule, dry_run=dry_run, cutoff=cutoff, requested_by=actor)
    results, error = [], ""
    for query in _statements(rule):
        try:
            rows = _apply(query, cutoff=cutoff, dry_run=dry_run)
        except ConnectorError as failure:
            error = f"{query.connector.system.name} / {query.label}: {failure}"
            logger.warning("retention run %s: %s", run.pk, error)
            break
        results.append(
            {
                "system": query.connector.system.name,
                "category": query.data_category.name,
                "label": query.label,
                "rows": rows,
            }
        )
    run.results = results
    run.rows = sum(item["rows"] for item in results)
    run.error = error
    run.succeeded = not error
    run.finished_at = timezone.now()
    run.save()
    return run


@transaction.atomic
def retention_rule_enable(*, rule: RetentionRule, actor=None) -> RetentionRule:
    """Switch on automatic sweeping, only after a successful dry run in the last 30 days: what
    will be removed has been seen before anything is."""
    recent = rule.runs.filter(
        dry_run=True,
        succeeded=True,
        started_at__gte=timezone.now() - timedelta(days=settings.RETENTION_DRY_RUN_VALID_DAYS),
    )
    if not recent.exists():
        raise ApplicationError(
            _("Run a dry run of “%(rule)s” first, and check what it would remove.")
            % {"rule": rule.name}
        )
    if not _statements(rule).exists():
        raise ApplicationError(
            _("No system has a retention statement for the categories of “%(rule)s”.")
            % {"rule": rule.name}
        )
    RetentionRule.objects.filter(pk=rule.pk).update(sweep_enabled=True, updated_at=timezone.now())
    rule.refresh_from_db()
    return rule


@transaction.atomic
def retention_rule_disable(*, rule: RetentionRule, actor=None) -> RetentionRule:
    RetentionRule.objects.filter(pk=rule.pk).update(sweep_enabled=False, updated_at=timezone.now())
    rule.refresh_from_db()
    return rule


def retention_sweep(*, today=None) -> list[RetentionRun]:
    """Apply every enabled rule once (the daily beat, or run_sweeps)."""
    return [
        retention_run(rule=rule, dry_run=False, today=today)
        for rule in RetentionRule.objects.filter(sweep_enabled=True).order_by("name")
    ]
