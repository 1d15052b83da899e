"""Manager digests: periods in the subscriber's time zone, once per period, figures that match
the database, a flat query count, and an HTML email with an inline chart through real SMTP."""

import io
import random
import re
import statistics
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from html import unescape
from itertools import pairwise
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import resolve, reverse
from PIL import Image

from accounts.models import DigestSubscription, validate_time_zone
from accounts.roles import Role
from core.models import OutboxEmail, SentNotice
from core.tasks import send_outbox_email
from dsr import deadlines
from dsr.choices import FINAL_STATUSES, CaseStatus, Right
from dsr.models import CaseTask, DsrCase, ExportJob, RetentionRun
from dsr.selectors import digests as digest_selectors
from dsr.services import digests
from dsr.tasks import send_digest, sweep_digests
from tests.factories import (
    ControllerProfileFactory,
    DigestSubscriptionFactory,
    ProcessorAgreementFactory,
    RetentionRuleFactory,
    SubmissionFactory,
    SystemFactory,
    TransferFactory,
    UserFactory,
)
from tests.helpers import count_queries, queries_of_get

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
STOCKHOLM = ZoneInfo("Europe/Stockholm")


@pytest.fixture(autouse=True)
def _setup(media_in_tmp):
    ControllerProfileFactory()


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def manager(username: str, **subscription):
    user = UserFactory(username=username, roles=[Role.MANAGER])
    return DigestSubscriptionFactory(user=user, **subscription)


def keys() -> set[str]:
    return set(SentNotice.objects.filter(category="digest").values_list("key", flat=True))


# --- Periods --------------------------------------------------------------------------------


def period_at(now: str, **fields) -> digest_selectors.DigestPeriod:
    subscription = DigestSubscription(time_zone="America/New_York", **fields)
    return digest_selectors.period_due(subscription, utc(now))


def local_days(period) -> tuple[date, date]:
    return period.first_day, period.last_day


def test_daily_is_yesterday_in_the_subscribers_zone_once_the_hour_has_passed():
    # 11:00 UTC is 07:00 in New York (EDT since 8 March): yesterday's digest is due.
    period = period_at("2026-03-10T11:00", frequency="daily", hour=7)
    assert local_days(period) == (date(2026, 3, 9), date(2026, 3, 9))
    assert period.start == datetime(2026, 3, 9, tzinfo=NEW_YORK)
    assert period.start.astimezone(UTC) == utc("2026-03-09T04:00")
    assert period.due_at.astimezone(UTC) == utc("2026-03-10T11:00")
    # A minute earlier it is not: the latest due period is the day before.
    assert local_days(period_at("2026-03-10T10:59", frequency="daily", hour=7)) == (
        date(2026, 3, 8),
        date(2026, 3, 8),
    )
    # 02:00 UTC on the 10th is still the 9th in New York: the 9th is not over yet.
    assert period_at("2026-03-10T02:00", frequency="daily", hour=0).first_day == date(2026, 3, 8)


def test_daily_periods_across_daylight_saving_time():
    spring = period_at("2026-03-09T12:00", frequency="daily", hour=7)  # the 8th: clocks forward
    assert spring.first_day == date(2026, 3, 8)
    assert spring.end.astimezone(UTC) - spring.start.astimezone(UTC) == timedelta(hours=23)
    autumn = period_at("2026-11-02T13:00", frequency="daily", hour=7)  # the 1st: clocks back
    assert autumn.first_day == date(2026, 11, 1)
    assert autumn.end.astimezone(UTC) - autumn.start.astimezone(UTC) == timedelta(hours=25)
    # 07:00 on 2 November is EST (UTC-5): due at 12:00 UTC, not 11:00.
    assert period_at("2026-11-02T11:30", frequency="daily", hour=7).first_day == date(2026, 10, 31)
    assert period_at("2026-11-02T12:00", frequency="daily", hour=7).first_day == date(2026, 11, 1)


def test_an_hour_skipped_by_the_clock_change_falls_due_an_hour_later():
    # 02:00 does not exist in New York on 8 March 2026 (02:00 EST -> 03:00 EDT = 07:00 UTC).
    assert period_at("2026-03-08T06:59", frequency="daily", hour=2).first_day == date(2026, 3, 6)
    assert period_at("2026-03-08T07:00", frequency="daily", hour=2).first_day == date(2026, 3, 7)


def test_weekly_is_the_seven_days_before_this_weeks_weekday():
    # Wednesday 11 March, 09:00 EDT; digests on Mondays after 08:00.
    period = period_at("2026-03-11T13:00", frequency="weekly", weekday=0, hour=8)
    assert local_days(period) == (date(2026, 3, 2), date(2026, 3, 8))
    assert period.previous_start == datetime(2026, 2, 23, tzinfo=NEW_YORK)
    # The week that ended with the clock change is 167 hours long.
    assert period.end.astimezone(UTC) - period.start.astimezone(UTC) == timedelta(hours=167)
    # On the Monday itself, before 08:00 EDT, the week before is still the latest.
    assert period_at("2026-03-09T11:59", frequency="weekly", weekday=0, hour=8).first_day == date(
        2026, 2, 23
    )
    assert period_at("2026-03-09T12:00", frequency="weekly", weekday=0, hour=8).first_day == date(
        2026, 3, 2
    )
    # Fridays: Friday 6 March to Thursday 12 March, due on Friday 13 March.
    friday = period_at("2026-03-14T12:00", frequency="weekly", weekday=4, hour=8)
    assert local_days(friday) == (date(2026, 3, 6), date(2026, 3, 12))


def test_monthly_is_the_previous_calendar_month():
    # 1 November 2026, the day New York's clocks go back: 06:00 EST is 11:00 UTC.
    assert local_days(period_at("2026-11-01T10:59", frequency="monthly", hour=6)) == (
        date(2026, 9, 1),
        date(2026, 9, 30),
    )
    october = period_at("2026-11-01T11:00", frequency="monthly", hour=6)
    assert local_days(october) == (date(2026, 10, 1), date(2026, 10, 31))
    assert october.previous_start == datetime(2026, 9, 1, tzinfo=NEW_YORK)
    assert local_days(period_at("2027-01-15T12:00", frequency="monthly", hour=6)) == (
        date(2026, 12, 1),
        date(2026, 12, 31),
    )


def test_a_preview_covers_the_period_ending_now():
    subscription = DigestSubscription(frequency="monthly", hour=7, time_zone="America/New_York")
    period = digest_selectors.period_preview(subscription, utc("2026-03-31T16:00"))
    assert period.end == utc("2026-03-31T16:00")
    assert period.start == datetime(2026, 2, 28, 12, tzinfo=NEW_YORK)
    assert period.due_at is None


def test_time_zone_names_are_validated():
    validate_time_zone("America/New_York")
    for bad in ("Mars/Olympus_Mons", "", "../etc/passwd", "america/new_york"):
        with pytest.raises(ValidationError):
            validate_time_zone(bad)


# --- Once per manager and period ------------------------------------------------------------


def test_the_sweep_sends_one_digest_per_manager_per_period(time_machine):
    anna = manager("anna", frequency="daily", hour=7, time_zone="America/New_York")
    bo = manager("bo", frequency="weekly", weekday=0, hour=7)
    time_machine.move_to(utc("2026-03-09T11:30"), tick=False)  # Mon 07:30 NY, 12:30 Stockholm

    assert sweep_digests(inline=True) == 2
    assert sweep_digests(inline=True) == 0
    send_digest(anna.pk)  # a redelivered task
    assert Counter(OutboxEmail.objects.values_list("to", flat=True)) == {
        "anna@staff.example.com": 1,
        "bo@staff.example.com": 1,
    }
    assert keys() == {f"digest:{anna.pk}:2026-03-08", f"digest:{bo.pk}:2026-03-02"}

    cecilia = manager("cecilia", frequency="monthly", hour=6)
    sweep_digests(inline=True)
    sweep_digests(inline=True)
    assert (
        Counter(OutboxEmail.objects.values_list("to", flat=True))["cecilia@staff.example.com"] == 1
    )
    assert OutboxEmail.objects.count() == 3
    assert f"digest:{cecilia.pk}:2026-02-01" in keys()


def test_after_an_outage_only_the_latest_period_is_sent(time_machine):
    subscription = manager("anna", frequency="daily", hour=7)
    time_machine.move_to(datetime(2026, 3, 2, 8, tzinfo=STOCKHOLM), tick=False)
    sweep_digests(inline=True)
    assert keys() == {f"digest:{subscription.pk}:2026-03-01"}

    # Beat was down for five days: one digest, for yesterday, not five.
    time_machine.move_to(datetime(2026, 3, 7, 9, tzinfo=STOCKHOLM), tick=False)
    sweep_digests(inline=True)
    sweep_digests(inline=True)
    assert keys() == {
        f"digest:{subscription.pk}:2026-03-01",
        f"digest:{subscription.pk}:2026-03-06",
    }
    assert OutboxEmail.objects.count() == 2


def test_digests_due_waits_for_the_hour_in_the_subscribers_zone(time_machine):
    new_york = manager("anna", frequency="daily", hour=7, time_zone="America/New_York")
    stockholm = manager("bo", frequency="daily", hour=7)
    due = digest_selectors.digests_due(utc("2026-03-10T06:30"))  # 07:30 Stockholm, 02:30 New York
    assert {(s.pk, p.first_day) for s, p in due} == {
        (stockholm.pk, date(2026, 3, 9)),
        (new_york.pk, date(2026, 3, 8)),
    }


def test_only_active_managers_with_an_address_receive_digests(time_machine):
    manager("anna", frequency="daily")
    manager("paused", frequency="daily", is_active=False)
    DigestSubscriptionFactory(
        user=UserFactory(username="officer", roles=[Role.PRIVACY_OFFICER]), frequency="daily"
    )
    gone = manager("gone", frequency="daily")
    gone.user.is_active = False
    gone.user.save()
    time_machine.move_to(utc("2026-03-10T12:00"), tick=False)
    sweep_digests(inline=True)
    assert list(OutboxEmail.objects.values_list("to", flat=True)) == ["anna@staff.example.com"]


def test_send_digests_now_previews_every_subscriber_and_claims_nothing(time_machine):
    manager("anna", frequency="daily")
    manager("bo", frequency="monthly", language="sv")
    manager("paused", is_active=False)
    time_machine.move_to(utc("2026-03-10T12:00"), tick=False)

    call_command("send_digests", "--now", stdout=io.StringIO())
    previews = {email.to: email.subject for email in OutboxEmail.objects.all()}
    assert sorted(previews) == ["anna@staff.example.com", "bo@staff.example.com"]
    # A day's preview ends now: 13:00 on 10 March in Stockholm.
    assert previews["anna@staff.example.com"] == (
        "Preview: Privacy digest for 2026-03-09 to 2026-03-10"
    )
    assert keys() == set()

    # Without --now the command sends what is due, once, like the sweep.
    call_command("send_digests", stdout=io.StringIO())
    call_command("send_digests", stdout=io.StringIO())
    assert OutboxEmail.objects.count() == 4
    assert len(keys()) == 2


@pytest.mark.worker
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_on_a_real_worker_deliver_one_digest_each(
    celery_worker, smtp_sink, time_machine
):
    manager("anna", frequency="daily")
    manager("bo", frequency="weekly", weekday=1, language="sv")
    time_machine.move_to(utc("2026-03-10T12:00"), tick=True)
    sweep_digests.delay()
    sweep_digests.delay()
    smtp_sink.wait_for(2, timeout=60)
    time.sleep(1)  # room for a duplicate to arrive, were there one
    assert sorted(to for mail in smtp_sink.messages for to in mail.rcpt_tos) == [
        "anna@staff.example.com",
        "bo@staff.example.com",
    ]
    assert all("image/png" in parts(mail.message) for mail in smtp_sink.messages)


# --- Figures --------------------------------------------------------------------------------

PERIOD_START = datetime(2026, 3, 2, tzinfo=STOCKHOLM)
PERIOD_END = datetime(2026, 3, 9, tzinfo=STOCKHOLM)
PREVIOUS_START = datetime(2026, 2, 23, tzinfo=STOCKHOLM)
TODAY = date(2026, 3, 10)
NOW = datetime(2026, 3, 10, 9, tzinfo=STOCKHOLM)


def build_cases(count: int, *, seed: int, start_number: int = 0) -> list[DsrCase]:
    """`count` cases received over the 16 weeks before NOW, in every right and status, some
    extended, closed at various times: bulk-created, one query per thousand."""
    rng = random.Random(seed)
    submission = SubmissionFactory(received_at=NOW - timedelta(days=120))
    cases = []
    for number in range(start_number, start_number + count):
        received_at = NOW - timedelta(minutes=rng.randrange(1, 16 * 7 * 24 * 60))
        status = rng.choice(CaseStatus.values)
        fields = {
            "reference": f"DSR-TEST-{number:07d}",
            "submission": submission,
            "right": rng.choice(Right.values),
            "status": status,
            "received_at": received_at,
            "target_date": deadlines.target_date(received_at),
            "due_date": deadlines.due_date(received_at),
        }
        if rng.random() < 0.2:
            # As case_extend does: the target moves to the extended date.
            fields.update(
                target_date=deadlines.extended_due_date(received_at),
                extended_due_date=deadlines.extended_due_date(received_at),
                extension_reason="Many systems",
                extension_notified_at=received_at + timedelta(days=3),
            )
        if status in FINAL_STATUSES:
            latest = (NOW - received_at).total_seconds()
            fields["closed_at"] = received_at + timedelta(seconds=rng.uniform(60, latest))
        if status == CaseStatus.REFUSED:
            fields["refusal_basis"] = "other"
        cases.append(DsrCase(**fields))
    return DsrCase.objects.bulk_create(cases, batch_size=1000)


def surroundings():
    """Reviews coming due, retention runs, and work that failed."""
    ProcessorAgreementFactory(review_due_on=TODAY + timedelta(days=10), title="Hosting DPA")
    ProcessorAgreementFactory(review_due_on=TODAY - timedelta(days=3), title="Overdue DPA")
    ProcessorAgreementFactory(review_due_on=TODAY + timedelta(days=45), title="Later DPA")
    TransferFactory(next_review_on=TODAY + timedelta(days=20))
    TransferFactory(next_review_on=TODAY + timedelta(days=90))
    rule = RetentionRuleFactory(name="Usage events")
    for dry_run, succeeded, rows, started in (
        (True, True, 500, PERIOD_START + timedelta(days=1)),
        (False, True, 480, PERIOD_START + timedelta(days=2)),
        (False, False, 20, PERIOD_START + timedelta(days=3)),
        (False, True, 999, PERIOD_START - timedelta(days=2)),  # before the period
    ):
        run = RetentionRun.objects.create(
            rule=rule,
            dry_run=dry_run,
            cutoff=date(2025, 1, 1),
            finished_at=started + timedelta(minutes=5),
            succeeded=succeeded,
            rows=rows,
        )
        RetentionRun.objects.filter(pk=run.pk).update(started_at=started)
    OutboxEmail.objects.create(
        to="a@example.org", subject="s", body_text="b", status="failed", reference="DSR-X"
    )
    OutboxEmail.objects.create(to="b@example.org", subject="s", body_text="b", status="sent")
    case = DsrCase.objects.order_by("pk").first()
    CaseTask.objects.create(case=case, kind="system", system=SystemFactory(), status="failed")
    CaseTask.objects.create(case=case, kind="system", system=SystemFactory(), status="done")
    ExportJob.objects.create(case=case, status="failed")
    ExportJob.objects.create(case=case, status="ready")


def figures():
    return digest_selectors.digest_figures(
        start=PERIOD_START, end=PERIOD_END, previous_start=PREVIOUS_START, today=TODAY
    )


def independent(
    cases: list[DsrCase],
    start=PERIOD_START,
    end=PERIOD_END,
    previous_start=PREVIOUS_START,
    today=TODAY,
) -> dict:
    """The digest's figures computed in Python, case by case, without its queries."""

    def within(moment, start, end):
        return moment is not None and start <= moment < end

    def due(case):
        return case.extended_due_date or case.due_date

    cells: dict[tuple[str, str], list[int]] = {}
    for case in cases:
        counts = cells.setdefault((case.right, case.status), [0, 0, 0])
        counts[0] += within(case.received_at, start, end)
        counts[1] += within(case.closed_at, start, end)
        counts[2] += case.status not in FINAL_STATUSES
    open_cases = [c for c in cases if c.status not in FINAL_STATUSES]
    # Overdue in the queue's order (target date), due soon by legal due date.
    overdue = sorted((c for c in open_cases if due(c) < today), key=lambda c: (c.target_date, c.pk))
    soon = sorted(
        (c for c in open_cases if today <= due(c) <= today + timedelta(days=7)),
        key=lambda c: (due(c), c.target_date, c.pk),
    )

    def closing(start, end):
        closed = [c for c in cases if within(c.closed_at, start, end)]
        on_time = [c for c in closed if c.closed_at.astimezone(STOCKHOLM).date() <= due(c)]
        days = [(c.closed_at - c.received_at).total_seconds() / 86400 for c in closed]
        return len(closed), len(on_time), (statistics.median(days) if days else None)

    weeks = [end - timedelta(weeks=8 - i) for i in range(9)]
    trend = [
        (
            sum(within(c.received_at, a, b) for c in cases),
            sum(within(c.closed_at, a, b) for c in cases),
        )
        for a, b in pairwise(weeks)
    ]
    return {
        "cells": {key: tuple(counts) for key, counts in cells.items() if any(counts)},
        "overdue": (len(overdue), [c.reference for c in overdue[:20]]),
        "soon": (len(soon), [c.reference for c in soon[:20]]),
        "current": closing(start, end),
        "previous": closing(previous_start, start),
        "trend": trend,
    }


def test_the_figures_match_counts_computed_from_the_cases(time_machine):
    time_machine.move_to(NOW, tick=False)
    build_cases(400, seed=7)
    surroundings()
    expected = independent(list(DsrCase.objects.all()))
    result = figures()

    assert {
        key: (counts.new, counts.closed, counts.open) for key, counts in result.cells.items()
    } == expected["cells"]
    assert sum(row.new for row in result.by_right) == result.totals.new
    assert result.totals.new == sum(new for new, _c, _o in expected["cells"].values())
    assert result.totals.open == sum(o for _n, _c, o in expected["cells"].values())
    assert (result.overdue.total, [c.reference for c in result.overdue.items]) == expected[
        "overdue"
    ]
    assert (result.due_soon.total, [c.reference for c in result.due_soon.items]) == expected["soon"]
    assert result.overdue.total > 20 and len(result.overdue.items) == 20
    assert result.due_soon.total > 0
    for stats, (closed, on_time, median) in (
        (result.current, expected["current"]),
        (result.previous, expected["previous"]),
    ):
        assert (stats.closed, stats.on_time) == (closed, on_time)
        assert stats.median_days == pytest.approx(median, abs=1e-6)
        assert 0 < stats.on_time < stats.closed
    assert [(week.new, week.closed) for week in result.trend] == expected["trend"]
    assert result.trend[-1].first_day == date(2026, 3, 2)

    assert result.agreements.total == 2
    assert [item.label.split(": ")[1] for item in result.agreements.items] == [
        "Overdue DPA",
        "Hosting DPA",
    ]
    assert result.transfers.total == 1
    [usage] = result.retention
    assert (usage.rule, usage.runs, usage.dry_runs, usage.failed, usage.rows_removed) == (
        "Usage events",
        3,
        1,
        1,
        500,
    )
    assert [listing.total for listing in (result.failed_emails, result.failed_tasks)] == [1, 1]
    assert result.failed_exports.total == 1
    assert result.failed_emails.items[0].label == "DSR-X"


def test_the_first_cases_due_soon_are_exact_when_more_are_due_than_listed(time_machine):
    # The due-soon list reads only the cases whose target dates its first keys have: with more
    # cases due than listed, the cut falls among cases due the same day with different targets.
    time_machine.move_to(NOW, tick=False)
    build_cases(1200, seed=5)
    expected = independent(list(DsrCase.objects.all()))
    result = figures()
    assert expected["soon"][0] > digest_selectors.CASE_LIST_LIMIT
    assert (result.due_soon.total, [c.reference for c in result.due_soon.items]) == expected["soon"]
    assert (result.overdue.total, [c.reference for c in result.overdue.items]) == expected[
        "overdue"
    ]
    assert [(week.new, week.closed) for week in result.trend] == expected["trend"]


@pytest.mark.parametrize(
    ("start", "end", "previous_start", "today"),
    [
        # One day, with the day before as the period to compare with.
        (PERIOD_END - timedelta(days=1), PERIOD_END, PERIOD_END - timedelta(days=2), TODAY),
        # A month that ended a week before the day the digest is read.
        (
            datetime(2026, 2, 1, tzinfo=STOCKHOLM),
            datetime(2026, 3, 1, tzinfo=STOCKHOLM),
            datetime(2026, 1, 1, tzinfo=STOCKHOLM),
            date(2026, 3, 2),
        ),
    ],
)
def test_the_figures_of_other_periods_match_counts_computed_from_the_cases(
    time_machine, start, end, previous_start, today
):
    time_machine.move_to(NOW, tick=False)
    build_cases(400, seed=3)
    expected = independent(list(DsrCase.objects.all()), start, end, previous_start, today)
    result = digest_selectors.digest_figures(
        start=start, end=end, previous_start=previous_start, today=today
    )
    assert {
        key: (counts.new, counts.closed, counts.open) for key, counts in result.cells.items()
    } == expected["cells"]
    assert (result.overdue.total, [c.reference for c in result.overdue.items]) == expected[
        "overdue"
    ]
    assert (result.due_soon.total, [c.reference for c in result.due_soon.items]) == expected["soon"]
    for stats, (closed, on_time, median) in (
        (result.current, expected["current"]),
        (result.previous, expected["previous"]),
    ):
        assert (stats.closed, stats.on_time) == (closed, on_time)
        if median is None:
            assert stats.median_days is None
        else:
            assert stats.median_days == pytest.approx(median, abs=1e-6)
    assert [(week.new, week.closed) for week in result.trend] == expected["trend"]


def test_no_retention_sweep_is_said_in_words(time_machine):
    time_machine.move_to(NOW, tick=False)
    assert digest_selectors.retention_runs_in(PERIOD_START, PERIOD_END) == []
    subscription = manager("anna")
    email = digests.digest_send(subscription=subscription, now=NOW, preview=True)
    assert "No retention sweep ran in this period." in email.body_text
    assert "No retention sweep ran in this period." in email.body_html


def test_the_query_count_does_not_grow_with_the_cases(time_machine):
    time_machine.move_to(NOW, tick=False)
    build_cases(10, seed=1)
    surroundings()
    with_ten = count_queries(figures)
    build_cases(990, seed=2, start_number=10)
    assert DsrCase.objects.count() == 1000
    with_a_thousand = count_queries(figures)
    assert with_ten == with_a_thousand
    assert with_a_thousand < 30


# --- The email ------------------------------------------------------------------------------


def parts(message) -> list[str]:
    return [part.get_content_type() for part in message.walk()]


def test_the_digest_arrives_as_html_and_text_with_the_chart_inline(time_machine, smtp_sink):
    time_machine.move_to(NOW, tick=False)
    build_cases(60, seed=11)
    surroundings()
    subscription = manager("anna", frequency="weekly", weekday=0, hour=7)
    email = digests.digest_send(subscription=subscription)
    assert email.subject == "Privacy digest for 2026-03-02 to 2026-03-08"
    send_outbox_email(email.pk)

    [mail] = smtp_sink.wait_for(1)
    assert mail.rcpt_tos == ["anna@staff.example.com"]
    assert parts(mail.message) == [
        "multipart/alternative",
        "text/plain",
        "multipart/related",
        "text/html",
        "image/png",
    ]
    html, text = mail.html(), mail.text()
    [image] = [part for part in mail.message.walk() if part.get_content_type() == "image/png"]
    content_id = image["Content-ID"].strip("<>")
    assert image.get_content_disposition() == "inline"
    assert f'src="cid:{content_id}"' in html
    alt = re.search(r'<img src="cid:[^"]+" alt="([^"]+)"', html).group(1)
    assert alt.startswith("Requests per week from 2026-01-12: new ")
    chart = Image.open(io.BytesIO(image.get_content()))
    assert chart.format == "PNG" and chart.size == (1120, 440)
    assert 'width="560" height="220"' in html

    figures_now = digest_selectors.digest_figures(
        start=PERIOD_START, end=PERIOD_END, previous_start=PREVIOUS_START, today=TODAY
    )
    assert f'id="total-new">{figures_now.totals.new}<' in html
    assert f'id="total-overdue">{figures_now.overdue.total}<' in html
    first_overdue = figures_now.overdue.items[0]
    assert first_overdue.url == f"{settings.SITE_URL}/admin/dsr/dsrcase/{first_overdue.pk}/change/"
    assert f'href="{first_overdue.url}"' in html
    assert first_overdue.reference in text and first_overdue.url in text
    assert "Access (Art. 15)" in text and "Median days to close" in text
    assert "Usage events" in text and "Hosting DPA" in html


ADMIN_LINK = re.compile(re.escape(settings.SITE_URL) + r"(/admin/[^\s\"'<>]*)")


def admin_links(*texts: str) -> set[str]:
    """The paths of every admin link in `texts` (HTML attribute escaping undone)."""
    return {urlsplit(unescape(path)).path for text in texts for path in ADMIN_LINK.findall(text)}


def assert_admin_pages(paths: set[str]) -> set[str]:
    """Each path is a page of the admin's own, not its catch-all (which answers any
    /admin/<anything>/ with a redirect or 404); returns their url names."""
    names = set()
    for path in paths:
        match = resolve(path)
        assert match.namespace == "admin" and match.url_name, path
        assert match.func.__name__ != "catch_all_view", path
        names.add(match.url_name)
    return names


def test_every_admin_link_in_a_digest_opens_an_admin_page(time_machine):
    time_machine.move_to(NOW, tick=False)
    build_cases(400, seed=7)
    surroundings()
    subscription = manager("anna")
    email = digests.digest_send(subscription=subscription, now=NOW, preview=True)
    names = assert_admin_pages(admin_links(email.body_text, email.body_html))
    assert {
        "dsr_dsrcase_change",
        "dsr_dsrcase_changelist",
        "dsr_exportjob_change",
        "core_outboxemail_change",
        "processors_processoragreement_change",
        "processors_transfer_change",
        "privacy_retentionrule_change",
        "accounts_digestsubscription_change",
    } <= names
    [failed] = OutboxEmail.objects.filter(status="failed")
    assert reverse("admin:core_outboxemail_change", args=[failed.pk]) in admin_links(
        email.body_html
    )


def test_inline_parts_and_ordinary_attachments_travel_together(smtp_sink, media_in_tmp):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from core.services import outbox_enqueue

    png = default_storage.save("digests/test.png", ContentFile(b"\x89PNG\r\n\x1a\nfake"))
    pdf = default_storage.save("letters/test.pdf", ContentFile(b"%PDF-1.7 fake"))
    email = outbox_enqueue(
        to="anna@example.org",
        subject="Both",
        body_text="Text",
        body_html='<p>HTML <img src="cid:chart@test" alt="chart"></p>',
        attachments=[
            {"name": "letter.pdf", "path": pdf, "content_type": "application/pdf"},
            {
                "name": "chart.png",
                "path": png,
                "content_type": "image/png",
                "content_id": "chart@test",
                "inline": True,
            },
        ],
    )
    send_outbox_email(email.pk)
    [mail] = smtp_sink.wait_for(1)
    assert parts(mail.message) == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "multipart/related",
        "text/html",
        "image/png",
        "application/pdf",
    ]
    [attachment] = list(mail.message.iter_attachments())
    assert attachment.get_filename() == "letter.pdf"


def test_a_swedish_digest(time_machine):
    time_machine.move_to(NOW, tick=False)
    build_cases(40, seed=5)
    subscription = manager("bo", frequency="weekly", weekday=0, language="sv")
    email = digests.digest_send(subscription=subscription)
    result = figures()
    assert '<html lang="sv">' in email.body_html
    # Labels the catalogue already translates; the rest follows with `make messages`.
    assert "Registerutdrag (art. 15)" in email.body_text
    assert "Access (Art. 15)" not in email.body_text
    assert f'id="total-new">{result.totals.new}<' in email.body_html
    assert "2026-03-02" in email.subject and "2026-03-08" in email.subject


def test_digest_subscription_admin(admin_client):
    subscriptions = [manager(f"manager{n}") for n in range(2)]
    url = reverse("admin:accounts_digestsubscription_changelist")
    few = queries_of_get(admin_client, url)
    subscriptions += [manager(f"more{n}", frequency="daily") for n in range(10)]
    assert queries_of_get(admin_client, url) == few
    page = admin_client.get(url).content.decode()
    assert "Monday after 07:00" in page
    assert admin_client.get(reverse("admin:accounts_digestsubscription_add")).status_code == 200
    user = subscriptions[0].user
    page = admin_client.get(reverse("admin:accounts_user_change", args=[user.pk]))
    assert page.status_code == 200 and "digest_subscriptions-TOTAL_FORMS" in page.content.decode()
    response = admin_client.post(
        reverse("admin:accounts_digestsubscription_change", args=[subscriptions[0].pk]),
        {
            "user": user.pk,
            "frequency": "weekly",
            "weekday": "2",
            "hour": "8",
            "time_zone": "Europe/Stockolm",
            "language": "sv",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "is not a time zone name" in response.content.decode()
