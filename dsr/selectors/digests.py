"""Manager digests: what happened to requests in a period, what is late or coming due, how
fast requests are answered, and what needs attention elsewhere (reviews, retention, failures).

Periods, in the subscriber's time zone and counted from local midnight:
- daily: yesterday; weekly: the 7 days before the chosen weekday; monthly: the previous month.
- A period is due once the local time has passed the chosen hour on the day it ends (the day
  after its last day). Only the latest due period is ever looked at, so after an outage a
  subscriber gets that one digest, not a backlog.
- Exactly once: the digest is claimed as SentNotice "digest:<subscription>:<period start>" in
  the transaction that writes its email to the outbox.

The figures come from a fixed number of aggregate queries (GROUP BY and FILTER over the case
table, lists LIMITed), whatever the number of cases; see digest_figures. Rendered by
dsr.emails, sent by dsr.services.digests.
"""

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import Count, Q, Sum, Window

from accounts.models import DigestFrequency, DigestSubscription
from accounts.selectors import digest_subscriptions_active
from core.choices import OutboxStatus
from core.models import OutboxEmail, SentNotice
from core.selectors import admin_url
from dsr.choices import FINAL_STATUSES, CaseStatus, ExportStatus, Right, TaskStatus
from dsr.models import CaseTask, DsrCase, ExportJob, RetentionRun
from privacy.models import RetentionRule
from privacy.retention import add_months
from processors.models import ProcessorAgreement, Transfer
from processors.selectors import agreements_due_for_review, transfers_due_for_review

CATEGORY = "digest"
CASE_LIST_LIMIT = 20  # overdue and due-soon cases listed; the totals count them all
OTHER_LIST_LIMIT = 10  # reviews, retention rules and failures listed
TREND_WEEKS = 8

_FINAL = sorted(FINAL_STATUSES)
_UTC = ZoneInfo("UTC")


# --- Periods --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DigestPeriod:
    """[start, end) in the subscriber's time zone, and the period before it,
    [previous_start, start). `due_at` is when the digest became due (None for a preview)."""

    start: datetime
    end: datetime
    previous_start: datetime
    due_at: datetime | None = None

    @property
    def first_day(self) -> date:
        return self.start.date()

    @property
    def last_day(self) -> date:
        return (self.end - timedelta(microseconds=1)).date()

    @property
    def previous_first_day(self) -> date:
        return self.previous_start.date()

    @property
    def previous_last_day(self) -> date:
        return (self.start - timedelta(microseconds=1)).date()


def _latest_boundary(subscription: DigestSubscription, day: date) -> date:
    """The last day on or before `day` on which a period of the subscription ends."""
    if subscription.frequency == DigestFrequency.DAILY:
        return day
    if subscription.frequency == DigestFrequency.WEEKLY:
        return day - timedelta(days=(day.weekday() - subscription.weekday) % 7)
    return day.replace(day=1)


def _boundary_before(subscription: DigestSubscription, day: date) -> date:
    if subscription.frequency == DigestFrequency.DAILY:
        return day - timedelta(days=1)
    if subscription.frequency == DigestFrequency.WEEKLY:
        return day - timedelta(days=7)
    return add_months(day, -1)


def _at(day: date, hour: int, zone: ZoneInfo) -> datetime:
    # A wall-clock time skipped by a DST change (02:30 on a spring-forward night) resolves to
    # the instant an hour later; one that occurs twice resolves to the first.
    return datetime.combine(day, time(hour), tzinfo=zone)


def period_due(subscription: DigestSubscription, now: datetime) -> DigestPeriod:
    """The latest complete period whose digest is due at `now`."""
    zone = ZoneInfo(subscription.time_zone)
    end = _latest_boundary(subscription, now.astimezone(zone).date())
    # Compared in UTC: Python compares two datetimes of the same zone by wall clock.
    if _at(end, subscription.hour, zone).astimezone(_UTC) > now.astimezone(_UTC):
        end = _boundary_before(subscription, end)
    start = _boundary_before(subscription, end)
    return DigestPeriod(
        start=_at(start, 0, zone),
        end=_at(end, 0, zone),
        previous_start=_at(_boundary_before(subscription, start), 0, zone),
        due_at=_at(end, subscription.hour, zone),
    )


def _one_period_back(subscription: DigestSubscription, moment: datetime) -> datetime:
    if subscription.frequency == DigestFrequency.DAILY:
        return moment - timedelta(days=1)
    if subscription.frequency == DigestFrequency.WEEKLY:
        return moment - timedelta(days=7)
    return datetime.combine(add_months(moment.date(), -1), moment.timetz())


def period_preview(subscription: DigestSubscription, now: datetime) -> DigestPeriod:
    """The period of the subscription's length that ends now (`send_digests --now`)."""
    end = now.astimezone(ZoneInfo(subscription.time_zone))
    start = _one_period_back(subscription, end)
    return DigestPeriod(start=start, end=end, previous_start=_one_period_back(subscription, start))


def claim_key(subscription: DigestSubscription, period: DigestPeriod) -> str:
    return f"digest:{subscription.pk}:{period.first_day.isoformat()}"


def digests_due(now: datetime) -> list[tuple[DigestSubscription, DigestPeriod]]:
    """Active subscriptions whose latest due period has no digest yet. Two queries."""
    candidates = [
        (subscription, period_due(subscription, now))
        for subscription in digest_subscriptions_active()
    ]
    keys = [claim_key(subscription, period) for subscription, period in candidates]
    sent = set(SentNotice.objects.filter(key__in=keys).values_list("key", flat=True))
    return [(s, p) for s, p in candidates if claim_key(s, p) not in sent]


# --- Figures --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    new: int = 0
    closed: int = 0
    open: int = 0


@dataclass(frozen=True)
class BreakdownRow:
    key: str
    label: str
    new: int
    closed: int
    open: int


@dataclass(frozen=True)
class CaseLine:
    pk: int
    reference: str
    right: str
    right_label: str
    status: str
    status_label: str
    due_date: date
    target_date: date
    days: int  # overdue: days since the due date; due soon: days left
    url: str


@dataclass(frozen=True)
class Item:
    label: str
    when: date | datetime | None
    url: str


@dataclass(frozen=True)
class Listing:
    """The first items of a list and how many there are in all."""

    total: int
    items: list

    @property
    def more(self) -> int:
        return self.total - len(self.items)


@dataclass(frozen=True)
class ClosingStats:
    closed: int
    on_time: int
    median_days: float | None

    @property
    def on_time_rate(self) -> float | None:
        """Per cent of the cases closed in the period that closed by their legal due date."""
        return 100 * self.on_time / self.closed if self.closed else None


@dataclass(frozen=True)
class TrendWeek:
    first_day: date
    new: int
    closed: int


@dataclass(frozen=True)
class RetentionLine:
    rule: str
    runs: int
    dry_runs: int
    failed: int
    rows_removed: int
    url: str


@dataclass(frozen=True)
class DigestFigures:
    start: datetime
    end: datetime
    previous_start: datetime
    today: date
    cells: dict[tuple[str, str], Counts]
    by_right: list[BreakdownRow]
    by_status: list[BreakdownRow]
    totals: Counts
    overdue: Listing
    due_soon: Listing
    current: ClosingStats
    previous: ClosingStats
    trend: list[TrendWeek]
    agreements: Listing
    transfers: Listing
    retention: list[RetentionLine]
    failed_emails: Listing
    failed_tasks: Listing
    failed_exports: Listing


def case_admin_url(pk: int) -> str:
    return admin_url(DsrCase, "change", pk)


def _listing(queryset, fields: tuple[str, ...], limit: int) -> tuple[int, list[dict]]:
    """The first `limit` rows and the total, in one query (COUNT(*) OVER () before LIMIT)."""
    rows = list(queryset.annotate(total=Window(Count("pk"))).values(*fields, "total")[:limit])
    return (rows[0]["total"] if rows else 0), rows


def _week_starts(end: datetime) -> list[datetime]:
    """TREND_WEEKS + 1 boundaries of whole weeks ending at `end` (wall-clock weeks in its zone)."""
    return [end - timedelta(weeks=TREND_WEEKS - index) for index in range(TREND_WEEKS + 1)]


@dataclass(frozen=True)
class _CaseFigures:
    """Every figure of the digest about cases: the cells by right and status, closing in this
    period and the one before, the weekly trend, and the first overdue and due-soon cases."""

    cells: dict[tuple[str, str], Counts]
    overdue: int
    due_soon: int
    closed_before: int
    on_time: int
    on_time_before: int
    median_days: float | None
    median_days_before: float | None
    trend: list[TrendWeek]
    overdue_lines: list[CaseLine]
    due_soon_lines: list[CaseLine]


def _cells(
    new: dict[tuple[str, str], int],
    closed: dict[tuple[str, str], int],
    open_: dict[tuple[str, str], int],
) -> dict[tuple[str, str], Counts]:
    cells = {}
    for key in sorted({*new, *closed, *open_}):
        counts = Counts(new.get(key, 0), closed.get(key, 0), open_.get(key, 0))
        if counts.new or counts.closed or counts.open:
            cells[key] = counts
    return cells


def _case_line(row: dict, today: date, *, overdue: bool) -> CaseLine:
    due = row["extended_due_date"] or row["due_date"]
    return CaseLine(
        pk=row["pk"],
        reference=row["reference"],
        right=row["right"],
        right_label=Right(row["right"]).label,
        status=row["status"],
        status_label=CaseStatus(row["status"]).label,
        due_date=due,
        target_date=row["target_date"],
        days=(today - due).days if overdue else (due - today).days,
        url=case_admin_url(row["pk"]),
    )


# --- The case figures: one statement ------------------------------------------------------------
#
# Through the ORM these figures took six queries, and building them cost the application more
# time than PostgreSQL took to answer. Each count reads one index and nothing else (an
# index-only scan: the indexes INCLUDE the columns counted): the partial index of open cases,
# the received_at index, the closed_at index. Counts run over the narrowest range that answers
# them (the period for the cells, one week per trend figure) rather than testing every row of
# the eight weeks against every range.
#
# The lists walk the open cases' index by target date, which never falls after the legal due
# date. Overdue cases come in the queue's order (target date) and stop after the first few.
# Due-soon cases come by legal due date, which the index does not order: the target dates of the
# first ones are found in the index alone, and only the cases with those target dates are read
# from the table (the first cases by due date, target date and id are all among them), instead
# of every open case with a target date in the coming week.

_DUE = "COALESCE(extended_due_date, due_date)"
_OPEN = "NOT (status = ANY(%(final)s))"
# Closed on or before the legal due date, both as local dates where the controller is.
_ON_TIME = f"(closed_at AT TIME ZONE %(zone)s)::date <= {_DUE}"
_SOON = f"{_OPEN} AND target_date <= %(soon)s AND {_DUE} BETWEEN %(today)s AND %(soon)s"
_LINE = 'id AS pk, reference, "right", status, target_date, due_date, extended_due_date'


def _weekly_counts(column: str) -> str:
    weeks = (
        f"(SELECT count(*) FROM dsr_dsrcase"  # noqa: S608 - column names of this module
        f" WHERE {column} >= %(week_{index})s AND {column} < %(week_{index + 1})s)"
        for index in range(TREND_WEEKS)
    )
    return f"ARRAY[{', '.join(weeks)}]"


_CASE_FIGURES_SQL = f"""
SELECT
  (SELECT json_agg(c) FROM (
     SELECT "right", status, count(*) AS open,
            count(*) FILTER (WHERE {_DUE} < %(today)s) AS overdue,
            count(*) FILTER (WHERE {_DUE} BETWEEN %(today)s AND %(soon)s) AS due_soon
       FROM dsr_dsrcase WHERE {_OPEN} GROUP BY 1, 2) c),
  (SELECT json_agg(c) FROM (
     SELECT "right", status, count(*) AS new FROM dsr_dsrcase
      WHERE received_at >= %(start)s AND received_at < %(end)s GROUP BY 1, 2) c),
  (SELECT json_agg(c) FROM (
     SELECT "right", status, count(*) AS closed FROM dsr_dsrcase
      WHERE closed_at >= %(start)s AND closed_at < %(end)s GROUP BY 1, 2) c),
  closing.*,
  {_weekly_counts("received_at")},
  {_weekly_counts("closed_at")},
  (SELECT json_agg(l ORDER BY l.target_date, l.pk) FROM (
     SELECT {_LINE} FROM dsr_dsrcase
      WHERE {_OPEN} AND target_date < %(today)s AND {_DUE} < %(today)s
      ORDER BY target_date, id LIMIT %(limit)s) l),
  (SELECT json_agg(l ORDER BY COALESCE(l.extended_due_date, l.due_date), l.target_date, l.pk)
     FROM (
     SELECT {_LINE} FROM dsr_dsrcase
      WHERE {_SOON} AND target_date = ANY(ARRAY(
        SELECT target_date FROM dsr_dsrcase WHERE {_SOON}
         ORDER BY {_DUE}, target_date LIMIT %(limit)s))
      ORDER BY {_DUE}, target_date, id LIMIT %(limit)s) l)
FROM (
  SELECT count(*) FILTER (WHERE closed_at < %(start)s) AS closed_before,
         count(*) FILTER (WHERE closed_at >= %(start)s AND {_ON_TIME}) AS on_time,
         count(*) FILTER (WHERE closed_at < %(start)s AND {_ON_TIME}) AS on_time_before,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY closed_at - received_at)
           FILTER (WHERE closed_at >= %(start)s AND status = ANY(%(final)s)) AS median,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY closed_at - received_at)
           FILTER (WHERE closed_at < %(start)s AND status = ANY(%(final)s)) AS median_before
    FROM dsr_dsrcase WHERE closed_at >= %(previous_start)s AND closed_at < %(end)s
) closing
"""  # noqa: S608 - fixed text; every value is a parameter


def _json(value) -> list:
    """json_agg's rows: NULL when there are none; text if the driver leaves JSON undecoded."""
    if value is None:
        return []
    return json.loads(value) if isinstance(value, str | bytes) else value


def _case_figures(
    start: datetime, end: datetime, previous_start: datetime, today: date
) -> _CaseFigures:
    weeks = _week_starts(end)
    params = {
        "final": _FINAL,
        "today": today,
        "soon": today + timedelta(days=settings.DSR_DUE_SOON_DAYS),
        "start": start,
        "end": end,
        "previous_start": previous_start,
        "zone": settings.DSR_DEADLINE_TIME_ZONE,
        "limit": CASE_LIST_LIMIT,
        **{f"week_{index}": week for index, week in enumerate(weeks)},
    }
    with connection.cursor() as cursor:
        cursor.execute(_CASE_FIGURES_SQL, params)
        (
            open_rows,
            new_rows,
            closed_rows,
            closed_before,
            on_time,
            on_time_before,
            median,
            median_before,
            new_weeks,
            closed_weeks,
            overdue_rows,
            due_soon_rows,
        ) = cursor.fetchone()
    open_rows, new_rows, closed_rows = _json(open_rows), _json(new_rows), _json(closed_rows)

    def lines(rows, *, overdue: bool) -> list[CaseLine]:
        rows = _json(rows)
        for row in rows:
            # JSON carries dates as text.
            for name in ("target_date", "due_date", "extended_due_date"):
                if row[name] is not None:
                    row[name] = date.fromisoformat(row[name])
        return [_case_line(row, today, overdue=overdue) for row in rows]

    return _CaseFigures(
        cells=_cells(
            {(r["right"], r["status"]): r["new"] for r in new_rows},
            {(r["right"], r["status"]): r["closed"] for r in closed_rows},
            {(r["right"], r["status"]): r["open"] for r in open_rows},
        ),
        overdue=sum(r["overdue"] for r in open_rows),
        due_soon=sum(r["due_soon"] for r in open_rows),
        closed_before=closed_before,
        on_time=on_time,
        on_time_before=on_time_before,
        median_days=_days(median),
        median_days_before=_days(median_before),
        trend=[
            TrendWeek(weeks[index].date(), new_weeks[index], closed_weeks[index])
            for index in range(TREND_WEEKS)
        ],
        overdue_lines=lines(overdue_rows, overdue=True),
        due_soon_lines=lines(due_soon_rows, overdue=False),
    )


def _breakdown(cells: dict[tuple[str, str], Counts]):
    def row(key, label, picked) -> BreakdownRow:
        return BreakdownRow(
            key=key,
            label=label,
            new=sum(c.new for c in picked),
            closed=sum(c.closed for c in picked),
            open=sum(c.open for c in picked),
        )

    by_right = [
        row(right, Right(right).label, [c for (r, _s), c in cells.items() if r == right])
        for right in Right.values
    ]
    by_status = [
        row(status, CaseStatus(status).label, [c for (_r, s), c in cells.items() if s == status])
        for status in CaseStatus.values
    ]
    by_status = [r for r in by_status if r.new or r.closed or r.open]
    total = row("", "", list(cells.values()))
    return by_right, by_status, Counts(total.new, total.closed, total.open)


def _days(duration: timedelta | None) -> float | None:
    return None if duration is None else duration.total_seconds() / 86400


def _reviews(today: date) -> tuple[Listing, Listing]:
    total, rows = _listing(
        agreements_due_for_review(within_days=settings.REVIEW_REMINDER_DAYS, today=today).order_by(
            "review_due_on", "pk"
        ),
        ("pk", "title", "processor__name", "review_due_on"),
        OTHER_LIST_LIMIT,
    )
    agreements = Listing(
        total,
        [
            Item(
                f"{row['processor__name']}: {row['title']}",
                row["review_due_on"],
                admin_url(ProcessorAgreement, "change", row["pk"]),
            )
            for row in rows
        ],
    )
    total, rows = _listing(
        transfers_due_for_review(within_days=settings.REVIEW_REMINDER_DAYS, today=today).order_by(
            "next_review_on", "pk"
        ),
        ("pk", "importer__name", "destination__name", "next_review_on"),
        OTHER_LIST_LIMIT,
    )
    transfers = Listing(
        total,
        [
            Item(
                f"{row['importer__name']} ({row['destination__name']})",
                row["next_review_on"],
                admin_url(Transfer, "change", row["pk"]),
            )
            for row in rows
        ],
    )
    return agreements, transfers


def retention_runs_in(start: datetime, end: datetime) -> list[RetentionLine]:
    """What the retention sweep did in the period, per rule: one grouped query. Empty when no
    sweep ran (the digest says so)."""
    rows = (
        RetentionRun.objects.filter(started_at__gte=start, started_at__lt=end)
        .values("rule_id", "rule__name")
        .annotate(
            runs=Count("pk"),
            dry_runs=Count("pk", filter=Q(dry_run=True)),
            failed=Count("pk", filter=Q(finished_at__isnull=False, succeeded=False)),
            rows_removed=Sum("rows", filter=Q(dry_run=False), default=0),
        )
        .order_by("rule__name", "rule_id")[:OTHER_LIST_LIMIT]
    )
    return [
        RetentionLine(
            rule=row["rule__name"],
            runs=row["runs"],
            dry_runs=row["dry_runs"],
            failed=row["failed"],
            rows_removed=row["rows_removed"],
            url=admin_url(RetentionRule, "change", row["rule_id"]),
        )
        for row in rows
    ]


def _failures(since: datetime) -> tuple[Listing, Listing, Listing]:
    """Work that failed and is still failed (nobody retried it yet), newest first: fulfilment
    tasks and exports whenever they failed, emails written since `since` (the outbox keeps
    every email ever sent; its created_at index keeps this query small)."""
    total, rows = _listing(
        OutboxEmail.objects.filter(status=OutboxStatus.FAILED, created_at__gte=since).order_by(
            "-created_at", "-pk"
        ),
        ("pk", "reference", "created_at"),
        OTHER_LIST_LIMIT,
    )
    emails = Listing(
        total,
        [
            Item(
                row["reference"] or f"#{row['pk']}",
                row["created_at"],
                admin_url(OutboxEmail, "change", row["pk"]),
            )
            for row in rows
        ],
    )
    total, rows = _listing(
        CaseTask.objects.filter(status=TaskStatus.FAILED).order_by("-updated_at", "-pk"),
        ("pk", "case_id", "case__reference", "system__name", "recipient__name", "updated_at"),
        OTHER_LIST_LIMIT,
    )
    tasks = Listing(
        total,
        [
            Item(
                f"{row['case__reference']}: {row['system__name'] or row['recipient__name']}",
                row["updated_at"],
                case_admin_url(row["case_id"]),
            )
            for row in rows
        ],
    )
    total, rows = _listing(
        ExportJob.objects.filter(status=ExportStatus.FAILED).order_by("-updated_at", "-pk"),
        ("pk", "case__reference", "updated_at"),
        OTHER_LIST_LIMIT,
    )
    exports = Listing(
        total,
        [
            Item(
                row["case__reference"],
                row["updated_at"],
                admin_url(ExportJob, "change", row["pk"]),
            )
            for row in rows
        ],
    )
    return emails, tasks, exports


def digest_figures(
    *, start: datetime, end: datetime, previous_start: datetime, today: date
) -> DigestFigures:
    """Every figure of a digest for the period [start, end), compared with
    [previous_start, start); `today` (the controller's local date) dates overdue and due-soon.

    Seven queries on PostgreSQL whatever the number of cases: one statement for everything
    about cases (counts, closing times, trend and the first overdue and due-soon cases, each
    part read from an index alone), then the reviews, retention runs and failures (LIMITed,
    each total counted by a window over the same query).
    """
    cases = _case_figures(start, end, previous_start, today)
    by_right, by_status, totals = _breakdown(cases.cells)
    agreements, transfers = _reviews(today)
    failed_emails, failed_tasks, failed_exports = _failures(previous_start)
    return DigestFigures(
        start=start,
        end=end,
        previous_start=previous_start,
        today=today,
        cells=cases.cells,
        by_right=by_right,
        by_status=by_status,
        totals=totals,
        overdue=Listing(cases.overdue, cases.overdue_lines),
        due_soon=Listing(cases.due_soon, cases.due_soon_lines),
        current=ClosingStats(totals.closed, cases.on_time, cases.median_days),
        previous=ClosingStats(cases.closed_before, cases.on_time_before, cases.median_days_before),
        trend=cases.trend,
        agreements=agreements,
        transfers=transfers,
        retention=retention_runs_in(start, end),
        failed_emails=failed_emails,
        failed_tasks=failed_tasks,
        failed_exports=failed_exports,
    )
