"""Reminders with real Celery workers on Redis: two sweeps at once, a worker killed mid-sweep,
a beat that was down for a day. Exactly once is the database's doing, not the broker's."""

import os
import signal
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.roles import Role
from config.celery import app
from core.models import OutboxEmail, SentNotice
from dsr.tasks import send_case_reminders, sweep_case_reminders
from tests.factories import ControllerProfileFactory, DsrCaseFactory, SubmissionFactory, UserFactory
from tests.processes import database_url, project_env, start_celery_worker, stop

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def wait_until(predicate, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def team(db):
    ControllerProfileFactory()
    return UserFactory(
        username="officer", email="officer@staff.example.com", roles=[Role.PRIVACY_OFFICER]
    )


def cases_due(count: int, *, days_ago: int = 26):
    """Cases whose 7-day reminder (at least) is due now."""
    received = timezone.now() - timedelta(days=days_ago)
    return [
        DsrCaseFactory(submission=SubmissionFactory(received_at=received), status="in_progress")
        for _ in range(count)
    ]


def lead_kind(case) -> str:
    """The lead-time reminder due for `case` today (computed the way staff would)."""
    from dsr.deadlines import today

    days_left = (case.target_date - today()).days
    lead = min(lead for lead in [*settings.DSR_REMINDER_LEAD_DAYS, 0] if lead >= days_left)
    return f"target-{lead}"


def sent_once_each():
    """Every claimed, unsuperseded reminder has exactly one email per recipient."""
    per_message = Counter((e.reference, e.subject) for e in OutboxEmail.objects.all())
    notices = SentNotice.objects.filter(category="case_reminder", superseded=False)
    return per_message, notices


@pytest.fixture
def threaded_worker(transactional_db):
    from celery.contrib.testing.worker import start_worker

    app.control.purge()
    with start_worker(
        app, pool="threads", concurrency=4, perform_ping_check=False, shutdown_timeout=20
    ) as worker:
        yield worker
    app.control.purge()


def test_two_sweeps_at_once_send_one_email_per_case_and_kind(team, threaded_worker, smtp_sink):
    cases = cases_due(30)
    ids = [case.pk for case in cases]

    # Two beats, and two more chunk tasks for the same cases, all on four worker threads.
    sweep_case_reminders.delay()
    sweep_case_reminders.delay()
    send_case_reminders.delay(ids)
    send_case_reminders.delay(ids)

    expected = {f"case:{case.pk}:{lead_kind(case)}" for case in cases}
    assert wait_until(lambda: expected <= set(SentNotice.objects.values_list("key", flat=True)))
    assert wait_until(lambda: not OutboxEmail.objects.exclude(status="sent").exists())
    per_message, notices = sent_once_each()
    assert set(per_message.values()) == {1}
    assert len(per_message) == notices.count() >= 30
    # Through the real SMTP server too: one message per reminder.
    subjects = Counter(m.subject for m in smtp_sink.messages)
    assert len(smtp_sink.messages) == len(per_message) and set(subjects.values()) == {1}


def test_a_worker_killed_mid_sweep_loses_and_repeats_nothing(team, tmp_path):
    cases = cases_due(600)
    db_name = settings.DATABASES["default"]["NAME"]
    env = project_env(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=database_url(db_name),
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
    )
    app.control.purge()
    first = start_celery_worker(
        "--pool=solo",
        "-Q",
        settings.CELERY_TASK_DEFAULT_QUEUE,
        env=env,
        log_path=tmp_path / "a.log",
    )
    try:
        # Small chunks, so that the kill lands between two of them.
        sweep_case_reminders.delay(chunk_size=20)
        started = wait_until(lambda: SentNotice.objects.count() >= 30, timeout=90)
        assert started, (tmp_path / "a.log").read_text()[-3000:]
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
    finally:
        stop(first)
    claimed_before = {key.split(":")[1] for key in SentNotice.objects.values_list("key", flat=True)}
    assert len(claimed_before) < len(cases), "the sweep finished before it could be interrupted"

    # The killed chunk's message would only come back after the visibility timeout; the next
    # beat's sweep is what finishes the work.
    second = start_celery_worker("--pool=solo", env=env, log_path=tmp_path / "b.log")
    try:
        sweep_case_reminders.delay()
        expected = {f"case:{case.pk}:{lead_kind(case)}" for case in cases}
        assert wait_until(
            lambda: expected <= set(SentNotice.objects.values_list("key", flat=True)), timeout=120
        ), (tmp_path / "b.log").read_text()[-3000:]
    finally:
        stop(second)
        app.control.purge()
    per_message, notices = sent_once_each()
    assert set(per_message.values()) == {1}
    assert notices.count() == len(per_message)


def test_a_day_without_beat_is_caught_up_by_the_next_sweep(team, celery_worker, time_machine):
    time_machine.move_to(timezone.now(), tick=True)
    [case] = cases_due(1, days_ago=21)
    days_left = (case.target_date - timezone.localdate()).days
    assert days_left > 7  # nothing due today
    sweep_case_reminders.delay().get(timeout=30, disable_sync_subtasks=False)
    assert not SentNotice.objects.exists()

    # Beat was down on the day of the 7-day mark; the next sweep comes a day later.
    time_machine.shift(timedelta(days=days_left - 7 + 1))
    sweep_case_reminders.delay()
    assert wait_until(lambda: SentNotice.objects.filter(key=f"case:{case.pk}:target-7").exists())
    assert wait_until(lambda: OutboxEmail.objects.exists())
    assert "in 6 day(s)" in OutboxEmail.objects.get().subject  # late, and it says so
