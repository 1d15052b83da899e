"""The one place that turns a retention rule into a date.

Periods in months and years are calendar periods: the same day-number later, clamped to the
last day of a shorter month (31 Jan + 1 month = 28/29 Feb). The Swedish Accounting Act's rule
is different in kind: records are kept "until the end of the seventh year after the end of the
calendar year in which the financial year ended" (BFL 7 kap. 2 §), so the period runs to
31 December of (year of the financial year's end + N).
"""

import calendar
from datetime import date, timedelta

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from privacy.choices import PeriodUnit, RetentionTrigger


def add_months(start: date, months: int) -> date:
    """The same day-number `months` later, clamped to that month's last day."""
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def retain_until(start: date, *, period: int, unit: str, trigger: str) -> date:
    """The last day data may be kept when its period starts on `start`.

    For FINANCIAL_YEAR_END, `start` is the last day of the financial year.
    """
    if trigger == RetentionTrigger.FINANCIAL_YEAR_END:
        if unit != PeriodUnit.YEARS:
            raise ValueError("a period after the financial year is counted in years")
        return date(start.year + period, 12, 31)
    if unit == PeriodUnit.DAYS:
        return start + timedelta(days=period)
    if unit == PeriodUnit.MONTHS:
        return add_months(start, period)
    if unit == PeriodUnit.YEARS:
        return add_months(start, 12 * period)
    raise ValueError(f"unknown period unit {unit!r}")


def expiry_cutoff(*, period: int, unit: str, trigger: str, today: date) -> date:
    """Data whose period started before this date has passed its period on `today`.

    The inverse of retain_until: start < cutoff exactly when retain_until(start) < today
    (for calendar months up to the clamping of month ends, which only keeps data a day or two
    longer, never shorter).
    """
    if trigger == RetentionTrigger.FINANCIAL_YEAR_END:
        # Kept to 31 December of (year + N): past once that year is over.
        return date(today.year - period, 1, 1)
    if unit == PeriodUnit.DAYS:
        return today - timedelta(days=period)
    months = period if unit == PeriodUnit.MONTHS else 12 * period
    return add_months(today, -months)


def describe(*, period: int, unit: str, trigger: str) -> str:
    """The period in words, e.g. "7 years after the end of the financial year"."""
    if trigger == RetentionTrigger.FINANCIAL_YEAR_END:
        return ngettext(
            "until 31 December, %(n)d year after the year in which the financial year ended",
            "until 31 December, %(n)d years after the year in which the financial year ended",
            period,
        ) % {"n": period}
    amount = {
        PeriodUnit.DAYS: ngettext("%(n)d day", "%(n)d days", period),
        PeriodUnit.MONTHS: ngettext("%(n)d month", "%(n)d months", period),
        PeriodUnit.YEARS: ngettext("%(n)d year", "%(n)d years", period),
    }[PeriodUnit(unit)] % {"n": period}
    return _("%(amount)s %(trigger)s") % {
        "amount": amount,
        "trigger": RetentionTrigger(trigger).label,
    }
