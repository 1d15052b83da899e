"""Legal dates of a request, by the rule in domain.md section 2 (Reg. 1182/71, Swedish holidays).

Expected dates are worked out by hand from the calendar, not by the code under test.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from dsr import deadlines

STOCKHOLM = ZoneInfo("Europe/Stockholm")
UTC = ZoneInfo("UTC")


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, 0, tzinfo=STOCKHOLM)


VECTORS = [
    # (received, due_date, extended_due_date, why)
    # From domain.md:
    (noon(date(2026, 1, 31)), date(2026, 3, 2), date(2026, 4, 30), "Sat 28 Feb rolls to Mon"),
    (noon(date(2026, 3, 5)), date(2026, 4, 7), date(2026, 6, 5), "Easter Sunday and Monday"),
    (noon(date(2026, 5, 6)), date(2026, 6, 8), date(2026, 8, 6), "National Day on a Saturday"),
    (noon(date(2026, 11, 26)), date(2026, 12, 28), date(2027, 2, 26), "Christmas weekend"),
    # Our own:
    (noon(date(2024, 1, 31)), date(2024, 2, 29), date(2024, 4, 30), "leap-year month end"),
    (noon(date(2024, 2, 29)), date(2024, 4, 2), date(2024, 5, 29), "Good Friday to Easter Monday"),
    (noon(date(2026, 5, 20)), date(2026, 6, 22), date(2026, 8, 20), "Midsummer Day, Saturday"),
    (noon(date(2026, 5, 19)), date(2026, 6, 19), date(2026, 8, 19), "Midsummer Eve is no holiday"),
    (noon(date(2025, 5, 6)), date(2025, 6, 9), date(2025, 8, 6), "National Day on a Friday"),
    (noon(date(2026, 4, 14)), date(2026, 5, 15), date(2026, 7, 14), "Ascension Day"),
    (
        noon(date(2026, 10, 1)),
        date(2026, 11, 2),
        date(2027, 1, 4),
        "1 Nov Sunday; 1 Jan New Year's Day then weekend",
    ),
    (noon(date(2025, 12, 6)), date(2026, 1, 7), date(2026, 3, 6), "Epiphany"),
    (noon(date(2025, 12, 1)), date(2026, 1, 2), date(2026, 3, 2), "New Year's Day; 1 Mar Sunday"),
    (noon(date(2026, 11, 25)), date(2026, 12, 28), date(2027, 2, 25), "Christmas Day, Boxing Day"),
    (noon(date(2026, 12, 31)), date(2027, 2, 1), date(2027, 3, 31), "year end, 31 Jan Sunday"),
    (noon(date(2027, 11, 30)), date(2027, 12, 30), date(2028, 2, 29), "extension into leap Feb"),
    (noon(date(2026, 11, 30)), date(2026, 12, 30), date(2027, 3, 1), "28 Feb 2027 is a Sunday"),
    # Time zone edges: the date of receipt is Stockholm's, not UTC's.
    (
        datetime(2026, 6, 30, 22, 30, tzinfo=UTC),
        date(2026, 8, 3),
        date(2026, 10, 1),
        "00:30 on 1 July in Stockholm; 1 Aug Saturday",
    ),
    (
        datetime(2026, 6, 30, 21, 30, tzinfo=UTC),
        date(2026, 7, 30),
        date(2026, 9, 30),
        "23:30 on 30 June in Stockholm",
    ),
    (
        datetime(2026, 1, 31, 23, 5, tzinfo=UTC),
        date(2026, 3, 2),
        date(2026, 5, 4),
        "00:05 on 1 Feb in Stockholm: 1 Mar Sunday; 1 May holiday, weekend",
    ),
]


@pytest.mark.parametrize(
    ("received_at", "due", "extended", "why"), VECTORS, ids=[v[3] for v in VECTORS]
)
def test_due_dates(received_at, due, extended, why):
    assert deadlines.due_date(received_at) == due
    assert deadlines.extended_due_date(received_at) == extended


def test_the_hour_of_receipt_does_not_matter():
    early = datetime(2026, 3, 5, 0, 1, tzinfo=STOCKHOLM)
    late = datetime(2026, 3, 5, 23, 59, tzinfo=STOCKHOLM)
    assert deadlines.due_date(early) == deadlines.due_date(late) == date(2026, 4, 7)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="aware"):
        deadlines.due_date(datetime(2026, 3, 5, 12, 0))


@pytest.mark.parametrize(
    ("received", "target", "why"),
    [
        (date(2026, 1, 31), date(2026, 3, 2), "both end on 2 March"),
        (date(2027, 1, 31), date(2027, 3, 1), "the legal month ends first"),
        (date(2026, 3, 1), date(2026, 3, 31), "30 days end first"),
        (date(2026, 3, 5), date(2026, 4, 4), "30 days end first, on a Saturday"),
    ],
)
def test_the_promised_target_never_runs_past_the_legal_date(received, target, why):
    received_at = noon(received)
    assert deadlines.target_date(received_at) == target
    assert deadlines.target_date(received_at) <= deadlines.due_date(received_at)


def test_the_promise_follows_the_setting(settings):
    settings.DSR_RESPONSE_DAYS = 14
    assert deadlines.target_date(noon(date(2026, 3, 5))) == date(2026, 3, 19)


def test_paused_days_push_the_dates_back():
    received_at = noon(date(2026, 3, 5))
    # 5 April + 3 days = Wednesday 8 April.
    assert deadlines.due_date(received_at, paused_days=3) == date(2026, 4, 8)
    assert deadlines.extended_due_date(received_at, paused_days=3) == date(2026, 6, 8)
    assert deadlines.target_date(received_at, paused_days=3) == date(2026, 4, 7)
    with pytest.raises(ValueError):
        deadlines.due_date(received_at, paused_days=-1)


def test_the_extension_notice_is_due_by_the_first_deadline():
    received_at = noon(date(2026, 3, 5))
    first_due = deadlines.due_date(received_at)
    assert deadlines.extension_notice_deadline(first_due) == first_due == date(2026, 4, 7)
    paused = deadlines.due_date(received_at, paused_days=3)
    assert deadlines.extension_notice_deadline(paused) == date(2026, 4, 8)


def test_case_dates_before_and_after_an_extension():
    received_at = noon(date(2026, 3, 5))
    assert deadlines.case_dates(received_at) == deadlines.CaseDates(
        target=date(2026, 4, 4), due=date(2026, 4, 7), extended_due=None
    )
    # Once extended, the target is the extended due date; pauses push every date back.
    assert deadlines.case_dates(received_at, extended=True) == deadlines.CaseDates(
        target=date(2026, 6, 5), due=date(2026, 4, 7), extended_due=date(2026, 6, 5)
    )
    assert deadlines.case_dates(received_at, paused_days=3, extended=True) == deadlines.CaseDates(
        target=date(2026, 6, 8), due=date(2026, 4, 8), extended_due=date(2026, 6, 8)
    )
    assert deadlines.case_dates(received_at, paused_days=3).target == date(2026, 4, 7)
    with pytest.raises(ValueError):
        deadlines.case_dates(received_at, paused_days=-1)
