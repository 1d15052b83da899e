"""Deadline reminders: once per (case, kind), caught up after an outage, stopped by closing."""

import re
from collections import Counter
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.urls import resolve, reverse

from accounts.roles import Role
from core.models import OutboxEmail, SentNotice
from dsr import rules
from dsr.selectors import reminders as reminder_selectors
from dsr.tasks import send_case_reminders, sweep_case_reminders
from tests.factories import ControllerProfileFactory, DsrCaseFactory, SubmissionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _team(db):
    ControllerProfileFactory()
    UserFactory(username="officer", email="officer@staff.example.com", roles=[Role.PRIVACY_OFFICER])
    UserFactory(username="boss", email="boss@staff.example.com", roles=[Role.MANAGER])


def case_received(day: str, **fields):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    received = datetime.fromisoformat(day).replace(hour=12, tzinfo=ZoneInfo("Europe/Stockholm"))
    return DsrCaseFactory(
        submission=SubmissionFactory(received_at=received), status="in_progress", **fields
    )


def emails() -> Counter:
    return Counter((e.to, e.subject) for e in OutboxEmail.objects.all())


def at(time_machine, day: str):
    time_machine.move_to(f"{day}T08:00:00+01:00", tick=False)


def test_each_lead_time_reminds_once(time_machine):
    assignee = UserFactory(username="agent", email="agent@staff.example.com")
    case = case_received("2026-03-05", assignee=assignee)  # target 4 April, due 7 April
    assert case.target_date == date(2026, 4, 4)

    at(time_machine, "2026-03-27")  # 8 days before the target: nothing yet
    assert sweep_case_reminders(inline=True) == 0
    at(time_machine, "2026-03-28")  # 7 days before
    sweep_case_reminders(inline=True)
    sweep_case_reminders(inline=True)  # a second run sends nothing
    assert list(emails()) == [
        ("agent@staff.example.com", f"[{case.reference}] Target date in 7 day(s): Access (Art. 15)")
    ]
    for day, kind in (
        ("2026-04-01", "target-3"),
        ("2026-04-03", "target-1"),
        ("2026-04-04", "target-0"),
    ):
        at(time_machine, day)
        sweep_case_reminders(inline=True)
        assert SentNotice.objects.filter(key=f"case:{case.pk}:{kind}").exists()
    assert len(OutboxEmail.objects.all()) == 4 + 1  # plus the extension window (due 7 April)
    assert all(count == 1 for count in emails().values())


def test_a_sweep_after_an_outage_sends_the_most_urgent_and_skips_the_stale(time_machine):
    case = case_received("2026-03-05")
    at(time_machine, "2026-04-02")  # beat was down since before the 7-day mark
    sweep_case_reminders(inline=True)
    keys = dict(SentNotice.objects.values_list("key", "superseded"))
    assert keys[f"case:{case.pk}:target-3"] is False  # sent now
    assert keys[f"case:{case.pk}:target-7"] is True  # pointless now: claimed, not sent
    subjects = [subject for _to, subject in emails()]
    assert any("in 2 day(s)" in s for s in subjects) and not any("in 7 day" in s for s in subjects)


def test_unassigned_reminders_go_to_the_team(time_machine, settings):
    case = case_received("2026-03-05")
    at(time_machine, "2026-03-28")
    sweep_case_reminders(inline=True)
    assert [to for to, _subject in emails()] == ["officer@staff.example.com"]
    settings.PRIVACY_TEAM_EMAIL = "privacy@example.com"
    case2 = case_received("2026-03-05")
    send_case_reminders([case2.pk])
    assert (
        "privacy@example.com",
        f"[{case2.reference}] Target date in 7 day(s): Access (Art. 15)",
    ) in emails()
    assert case


def test_a_passed_legal_deadline_escalates_to_the_managers_once(time_machine):
    case = case_received("2026-03-05")
    at(time_machine, "2026-04-08")  # due 7 April
    sweep_case_reminders(inline=True)
    sweep_case_reminders(inline=True)
    escalations = [(to, s) for (to, s) in emails() if "Overdue" in s]
    assert escalations == [
        (
            "boss@staff.example.com",
            f"[{case.reference}] Overdue by 1 day(s): the legal deadline passed",
        )
    ]


def test_a_reminder_while_an_extension_is_still_possible(time_machine):
    case = case_received("2026-03-05")  # first due date 7 April
    extended = case_received(
        "2026-03-05",
        extended_due_date=date(2026, 6, 5),
        extension_reason="Complex",
        extension_notified_at="2026-03-20T10:00Z",
        target_date=date(2026, 6, 5),
    )
    at(time_machine, "2026-04-02")
    sweep_case_reminders(inline=True)
    assert SentNotice.objects.filter(key=f"case:{case.pk}:extension-window").exists()
    assert not SentNotice.objects.filter(key=f"case:{extended.pk}:extension-window").exists()


def test_reminders_stop_when_the_case_closes(time_machine):
    case = case_received("2026-03-05")
    type(case).objects.filter(pk=case.pk).update(status="completed", closed_at="2026-03-20T10:00Z")
    at(time_machine, "2026-04-10")
    assert sweep_case_reminders(inline=True) == 0
    assert not OutboxEmail.objects.exists()


def test_the_select_step_is_one_query(time_machine, django_assert_num_queries):
    for _ in range(20):
        case_received("2026-03-05")
    at(time_machine, "2026-03-30")
    with django_assert_num_queries(1):
        ids = list(
            reminder_selectors.cases_with_reminders_due(date(2026, 3, 30)).values_list(
                "pk", flat=True
            )
        )
    assert len(ids) == 20


def test_reminder_windows_follow_the_settings(time_machine, settings):
    settings.DSR_REMINDER_LEAD_DAYS = [14]
    case = case_received("2026-03-05")
    at(time_machine, "2026-03-21")  # 14 days before 4 April
    sweep_case_reminders(inline=True)
    assert SentNotice.objects.filter(key=f"case:{case.pk}:target-14").exists()
    assert case.target_date - timedelta(days=14) == date(2026, 3, 21)


ADMIN_LINK = re.compile(re.escape(django_settings.SITE_URL) + r"(/admin/\S*)")


def admin_pages(text: str) -> set[str]:
    """The url names of the admin links in `text`; each must be a page of the admin's own,
    not its catch-all (which answers any /admin/<anything>/ with a redirect or a 404)."""
    names = set()
    for path in ADMIN_LINK.findall(text):
        match = resolve(urlsplit(path).path)
        assert match.namespace == "admin" and match.url_name, path
        assert match.func.__name__ != "catch_all_view", path
        names.add(match.url_name)
    return names


def test_every_reminder_links_to_the_cases_admin_page(time_machine):
    case = case_received("2026-03-05")  # target 4 April, due 7 April
    at(time_machine, "2026-04-03")  # a day before the target, and the extension window
    sweep_case_reminders(inline=True)
    at(time_machine, "2026-04-08")  # the legal deadline passed
    sweep_case_reminders(inline=True)
    sent = set(SentNotice.objects.filter(superseded=False).values_list("key", flat=True))
    kinds = ("target-1", "extension-window", "target-0", "escalation")
    assert sent == {f"case:{case.pk}:{kind}" for kind in kinds}
    emails = list(OutboxEmail.objects.filter(reference=case.reference))
    assert len(emails) == len(kinds)
    page = django_settings.SITE_URL + reverse("admin:dsr_dsrcase_change", args=[case.pk])
    for email in emails:
        assert admin_pages(email.body_text) == {"dsr_dsrcase_change"}
        assert email.body_text.endswith(page)


def extension_reminder(case) -> OutboxEmail:
    [email] = [
        e for e in OutboxEmail.objects.filter(reference=case.reference) if "extend" in e.subject
    ]
    return email


def test_the_extension_reminder_says_the_last_day_the_rules_allow(time_machine):
    case = case_received("2026-03-05")  # first due date 7 April
    at(time_machine, "2026-04-07")  # the last day itself: still possible
    assert rules.extend_blocker(case, today=date(2026, 4, 7)) is None
    send_case_reminders([case.pk])
    email = extension_reminder(case)
    assert email.subject == f"[{case.reference}] Last days to extend: possible until 2026-04-07"
    assert "extended until 2026-04-07, that day included" in email.body_text
    assert "before then" not in email.body_text


def test_the_extension_reminder_follows_the_rules_last_day(time_machine, monkeypatch):
    # Should the rule ever end the window before the first due date, the reminder says so.
    monkeypatch.setattr(rules, "extension_last_day", lambda case: date(2026, 4, 3))
    case = case_received("2026-03-05")  # first due date 7 April
    at(time_machine, "2026-04-01")
    send_case_reminders([case.pk])
    email = extension_reminder(case)
    assert "until 2026-04-03" in email.subject and "until 2026-04-03" in email.body_text
    assert "due on 2026-04-07" in email.body_text
