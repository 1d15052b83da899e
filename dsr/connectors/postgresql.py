"""The SQL connector: parameterised statements per operation, all of a task in one transaction,
on a PostgreSQL database reached through psycopg 3 (postgresql://user:password@host:5432/name,
or any libpq connection string).

Statements are written in psycopg's named style, with these parameters:
  %(email)s          the primary address, lower case
  %(emails)s         every known address, lower case, as an array: compare with
                     `lower(email) = ANY(%(emails)s)`
  %(reference)s      the case reference (e.g. to mark restricted rows)
  %(rectification)s  the corrections of a rectification: a JSON object, as text

Which statements run (dsr.models.ConnectorQuery, for the data categories the system holds):
- find, export, rectify, restrict: every statement of that operation. Find and export return
  rows: find keeps only their count, export's rows go to the task's result file.
- erase: per category, a legal hold (retention rule with a legal obligation, Art. 17(3)(b))
  runs the category's restrict statements instead and never its erase statements; the rows they
  return are counted, and when a statement returns a `retention_start` column the rule says until
  when they are kept. Other categories run their anonymise statements when the rule anonymises
  (or there is no erase statement), else their erase statements. Restrictions run first, then
  anonymisations, then deletions: anonymising usually finds rows through what deleting removes.
Within each step, statements run in the order of their category's name and then their label.
"""

from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

import psycopg

from dsr.choices import Operation
from dsr.connectors.base import (
    ConnectorRequest,
    ConnectorResult,
    PermanentConnectorError,
    RetainedRows,
    TransientConnectorError,
)
from privacy.choices import RetentionAction

# Seconds: reaching the database, and any one statement (the task's time limit is 240 s).
CONNECT_TIMEOUT = 10
STATEMENT_TIMEOUT = 60


def parameters(request: ConnectorRequest) -> dict:
    return {
        "email": request.email,
        "emails": list(request.emails),
        "reference": request.case_reference,
        "rectification": request.rectification,
    }


# --- Connections --------------------------------------------------------------------------


class _Session:
    """One open transaction: execute a statement, get (rows or None, affected count)."""

    def __init__(self, cursor):
        self._cursor = cursor

    def execute(self, sql: str, params: dict) -> tuple[list[dict] | None, int]:
        self._cursor.execute(sql, params)
        if self._cursor.description is None:
            return None, max(self._cursor.rowcount, 0)
        names = [column[0] for column in self._cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in self._cursor.fetchall()]
        return rows, len(rows)


@contextmanager
def transaction(dsn: str):
    """A session in one transaction: committed when the block ends, rolled back on error.
    Errors come out as TransientConnectorError or PermanentConnectorError."""
    try:
        connection = psycopg.connect(dsn, connect_timeout=CONNECT_TIMEOUT)
    except psycopg.OperationalError as error:
        raise TransientConnectorError(_message("could not connect", error)) from error
    except psycopg.Error as error:
        raise PermanentConnectorError(_message("bad connection string", error)) from error
    try:
        with connection.transaction(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL statement_timeout = '{STATEMENT_TIMEOUT}s'")
            yield _Session(cursor)
    except psycopg.OperationalError as error:
        # Lost connection, statement timeout, deadlock, serialisation failure: all pass.
        raise TransientConnectorError(_message("database error", error)) from error
    except psycopg.Error as error:
        raise PermanentConnectorError(_message("SQL error", error)) from error
    finally:
        connection.close()


def error_first_line(error: Exception) -> str:
    """The first line of a driver's error: later lines (DETAIL) may quote row values."""
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _message(what: str, error: Exception) -> str:
    return f"{what}: {error_first_line(error)}"[:500]


# --- Running a task -----------------------------------------------------------------------


def _as_date(value) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError as error:
        raise PermanentConnectorError(
            f"retention_start is not a date: {type(value).__name__}"
        ) from error


def _jsonable(row: dict) -> dict:
    clean = {}
    for key, value in row.items():
        if isinstance(value, datetime | date):
            value = value.isoformat()
        elif isinstance(value, Decimal | UUID):
            value = str(value)
        elif isinstance(value, bytes | memoryview):
            value = bytes(value).hex()
        clean[key] = value
    return clean


def _plan(request: ConnectorRequest) -> tuple[list[tuple], list[str]]:
    """The statements to run, in order, as (step, operation, category, query); and the names of
    held categories no statement covers."""
    by_category: dict[int, dict[str, list]] = {}
    for query in sorted(request.queries, key=lambda q: q.label):
        by_category.setdefault(query.data_category_id, {}).setdefault(query.operation, []).append(
            query
        )
    steps = []
    uncovered = []
    for category in sorted(request.categories, key=lambda c: c.name):
        queries = by_category.get(category.pk, {})
        operation = request.operation
        if request.operation == Operation.ERASE:
            operation = _erasing_operation(category, queries)
        chosen = queries.get(operation, []) if operation else []
        if not chosen:
            uncovered.append(category.name)
            continue
        step = {Operation.RESTRICT: 0, Operation.ANONYMISE: 1, Operation.ERASE: 2}.get(operation, 0)
        steps.extend((step, operation, category, query) for query in chosen)
    steps.sort(key=lambda s: s[0])
    return steps, uncovered


def _erasing_operation(category, queries: dict) -> str | None:
    rule = category.retention_rule
    if rule is not None and rule.legal_obligation:
        if not queries.get(Operation.RESTRICT) and (
            queries.get(Operation.ERASE) or queries.get(Operation.ANONYMISE)
        ):
            raise PermanentConnectorError(
                f"{category.name} is kept by legal obligation ({rule.legal_reference}) but has no "
                "restrict statement: add one, so that erasure restricts it instead"
            )
        return Operation.RESTRICT
    prefer_anonymise = rule is not None and rule.action == RetentionAction.ANONYMISE
    if queries.get(Operation.ANONYMISE) and (prefer_anonymise or not queries.get(Operation.ERASE)):
        return Operation.ANONYMISE
    if queries.get(Operation.ERASE):
        return Operation.ERASE
    return None


def run(request: ConnectorRequest) -> ConnectorResult:
    """Run the task's statements in one transaction: all of them take effect, or none."""
    connector = request.connector
    if not connector.dsn:
        raise PermanentConnectorError("the connector has no connection string")
    if not request.emails:
        raise PermanentConnectorError("no email address to look the person up by")
    steps, uncovered = _plan(request)
    if not steps:
        raise PermanentConnectorError(
            f"no {request.operation} statement is configured for the data this system holds"
        )
    params = parameters(request)
    statements = []
    export: dict[str, dict[str, list[dict]]] = {}
    retained: dict[int, list] = {}
    with transaction(connector.dsn) as session:
        for _step, operation, category, query in steps:
            rows, count = session.execute(query.sql, params)
            statements.append(
                {
                    "category": category.name,
                    "label": query.label,
                    "operation": operation,
                    "rows": count,
                }
            )
            if request.operation == Operation.EXPORT:
                export.setdefault(category.name, {})[query.label] = [
                    _jsonable(r) for r in rows or []
                ]
            if request.operation == Operation.ERASE and operation == Operation.RESTRICT:
                starts = [_as_date(r.get("retention_start")) for r in rows or []]
                retained.setdefault(category.pk, [category, 0, []])
                retained[category.pk][1] += count
                retained[category.pk][2].extend(s for s in starts if s is not None)
    kept = []
    for category, count, starts in retained.values():
        if not count:
            continue
        rule = category.retention_rule
        until = max((rule.retain_until(s) for s in starts), default=None)
        kept.append(RetainedRows(category_id=category.pk, rows=count, retained_until=until))
    summary = {"operation": request.operation, "statements": statements}
    if uncovered:
        summary["not_covered"] = uncovered
    if kept:
        summary["retained"] = [
            {
                "category": next(c.name for c in request.categories if c.pk == k.category_id),
                "rows": k.rows,
                "until": k.retained_until.isoformat() if k.retained_until else None,
            }
            for k in kept
        ]
    return ConnectorResult(
        summary=summary,
        export=export if request.operation == Operation.EXPORT else None,
        retained=kept,
    )
