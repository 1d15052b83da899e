from datetime import date

import pytest

from privacy.retention import add_months, describe, retain_until

ACCOUNTING = {"period": 7, "unit": "years", "trigger": "financial_year_end"}


@pytest.mark.parametrize(
    ("financial_year_end", "kept_until"),
    [
        # domain.md: FY ending 2009 may be destroyed from 1 January 2017.
        (date(2009, 12, 31), date(2016, 12, 31)),
        (date(2025, 12, 31), date(2032, 12, 31)),
        # A broken financial year ending in June counts from the calendar year it ends in.
        (date(2025, 6, 30), date(2032, 12, 31)),
        (date(2024, 4, 30), date(2031, 12, 31)),
    ],
)
def test_accounting_records_are_kept_to_the_end_of_the_seventh_year(financial_year_end, kept_until):
    assert retain_until(financial_year_end, **ACCOUNTING) == kept_until


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2026, 5, 15), 24, date(2028, 5, 15)),
    ],
)
def test_calendar_months_clamp_to_the_month_end(start, months, expected):
    assert add_months(start, months) == expected


def test_periods_in_days_months_and_years():
    start = date(2026, 1, 31)
    assert retain_until(start, period=30, unit="days", trigger="collection") == date(2026, 3, 2)
    assert retain_until(start, period=1, unit="months", trigger="collection") == date(2026, 2, 28)
    assert retain_until(start, period=2, unit="years", trigger="collection") == date(2028, 1, 31)


def test_periods_are_described_in_words():
    assert describe(**ACCOUNTING) == (
        "until 31 December, 7 years after the year in which the financial year ended"
    )
    assert describe(period=24, unit="months", trigger="purpose_end").startswith("24 months")
