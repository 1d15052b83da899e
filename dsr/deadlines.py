"""The one place where a request's dates are decided (GDPR Art. 12(3), counted by Reg. 1182/71).

- The day of receipt is not counted (Art. 3(1)): counting starts from the local date of receipt
  in the controller's time zone, whatever the hour.
- A period of months ends on the same date in the last month, or on that month's last day when
  the date does not exist (Art. 3(2)(c)).
- A period that would end on a Saturday, Sunday or public holiday ends on the next working day
  (Art. 3(4)); public holidays are Sweden's (lag 1989:253), from the `holidays` package.
- The company's own promise (DSR_RESPONSE_DAYS, "within 30 days") is a separate, earlier target
  that never runs past the legal date.
- Days the clock was paused (a recorded identity or clarification pause) push every date back
  by that many days.
- Once extended, the target is the extended due date (case_dates): the requester was told that
  date, and the promise made before no longer holds.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings
from django.utils import timezone

from privacy.retention import add_months


def local_received_date(received_at: datetime) -> date:
    """The calendar date of receipt where the controller is (not UTC)."""
    if received_at.tzinfo is None or received_at.utcoffset() is None:
        raise ValueError("received_at must be an aware datetime")
    return received_at.astimezone(ZoneInfo(settings.DSR_DEADLINE_TIME_ZONE)).date()


@lru_cache(maxsize=64)
def _public_holidays(year: int) -> frozenset[date]:
    calendar = holidays.country_holidays(settings.DSR_HOLIDAY_COUNTRY, years=year)
    return frozenset(calendar.keys())


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _public_holidays(day.year)


def next_working_day(day: date) -> date:
    """`day` itself if it is a working day, else the first working day after it."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def _legal_end(received_at: datetime, months: int, paused_days: int) -> date:
    if paused_days < 0:
        raise ValueError("paused_days cannot be negative")
    raw = add_months(local_received_date(received_at), months) + timedelta(days=paused_days)
    return next_working_day(raw)


def due_date(received_at: datetime, *, paused_days: int = 0) -> date:
    """The legal deadline: one month from receipt (Art. 12(3))."""
    return _legal_end(received_at, settings.DSR_DEADLINE_MONTHS, paused_days)


def extended_due_date(received_at: datetime, *, paused_days: int = 0) -> date:
    """The deadline after an extension: two further months, three in all (Art. 12(3))."""
    return _legal_end(
        received_at, settings.DSR_DEADLINE_MONTHS + settings.DSR_EXTENSION_MONTHS, paused_days
    )


def target_date(received_at: datetime, *, paused_days: int = 0) -> date:
    """The company's own promise, never later than the legal deadline.

    "30 days" can run past the legal month (received Sunday 31 January 2027: the month ends on
    Sunday 28 February, rolled to Monday 1 March, while 30 days end on 2 March), and in a long
    month the promise comes first (received 1 March: 31 March against 1 April), so staff are
    alerted on whichever comes first.
    """
    promised = (
        local_received_date(received_at)
        + timedelta(days=settings.DSR_RESPONSE_DAYS)
        + timedelta(days=paused_days)
    )
    return min(promised, due_date(received_at, paused_days=paused_days))


@dataclass(frozen=True)
class CaseDates:
    """The dates a case is stored with: target, legal due date, and the extended due date
    (None until extended)."""

    target: date
    due: date
    extended_due: date | None


def case_dates(received_at: datetime, *, paused_days: int = 0, extended: bool = False) -> CaseDates:
    """Every date of a case received at `received_at`, its clock paused `paused_days` days, and
    extended or not: what intake stores and what a pause or an extension recomputes."""
    due = due_date(received_at, paused_days=paused_days)
    if not extended:
        return CaseDates(
            target=target_date(received_at, paused_days=paused_days), due=due, extended_due=None
        )
    extended_due = extended_due_date(received_at, paused_days=paused_days)
    return CaseDates(target=extended_due, due=due, extended_due=extended_due)


def extension_notice_deadline(first_due_date: date) -> date:
    """The last day the subject can be told of an extension and its reasons (Art. 12(3):
    "within one month of receipt"): the first due date itself, pauses included."""
    return first_due_date


def today() -> date:
    """Today where the controller is (DSR_DEADLINE_TIME_ZONE), the date legal dates compare
    with: a case due today in Stockholm is not overdue at 00:30 Stockholm time."""
    return local_received_date(timezone.now())
