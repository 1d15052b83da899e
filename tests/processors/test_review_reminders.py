import re
from datetime import date

import pytest
from django.conf import settings
from django.urls import resolve, reverse

from accounts.roles import Role
from core.models import OutboxEmail, SentNotice
from processors import reminders, services
from processors.tasks import send_review_reminders
from tests.factories import (
    ProcessorAgreementFactory,
    ProcessorWithAgreementFactory,
    TransferFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def officer():
    return UserFactory(
        username="officer", email="officer@staff.example.com", roles=[Role.PRIVACY_OFFICER]
    )


def test_due_reviews_are_reminded_once_per_due_date(time_machine):
    time_machine.move_to("2026-05-01T08:00:00+02:00", tick=False)
    agreement = ProcessorAgreementFactory(
        processor__role="processor", review_due_on=date(2026, 5, 20)
    )
    ProcessorAgreementFactory(processor__role="processor", review_due_on=date(2026, 8, 1))
    transfer = TransferFactory(next_review_on=date(2026, 5, 25))

    assert send_review_reminders() == 2
    assert send_review_reminders() == 0
    [email] = OutboxEmail.objects.all()
    assert email.to == "officer@staff.example.com"
    assert "2026-05-20" in email.body_text and "2026-05-25" in email.body_text
    assert f"/processoragreement/{agreement.pk}/" in email.body_text
    assert f"/transfer/{transfer.pk}/" in email.body_text

    # Reviewed: the new due date gets its own reminder when it comes near.
    services.agreement_review_complete(agreement=agreement, next_review_on=date(2027, 5, 20))
    time_machine.move_to("2027-05-01T08:00:00+02:00", tick=False)
    reminders.review_reminders_send()
    assert SentNotice.objects.filter(key=f"agreement:{agreement.pk}:review:2027-05-20").exists()


def test_an_approaching_objection_deadline_is_reminded(time_machine):
    time_machine.move_to("2026-05-01T08:00:00+02:00", tick=False)
    processor = ProcessorWithAgreementFactory()
    change = services.subprocessor_change_record(
        processor=processor,
        announced_on=date(2026, 4, 5),
        change_type="addition",
        subprocessor_name="Cloudflare",
    )  # objection deadline 5 May
    reminders.review_reminders_send()
    assert "Cloudflare" in OutboxEmail.objects.get().body_text
    assert SentNotice.objects.filter(
        key=f"subprocessor-change:{change.pk}:deadline:2026-05-05"
    ).exists()


def test_agreements_ending_soon_are_reminded(time_machine):
    time_machine.move_to("2026-05-01T08:00:00+02:00", tick=False)
    ProcessorAgreementFactory(processor__role="processor", ends_on=date(2026, 5, 15))
    reminders.review_reminders_send()
    assert "Agreement ends 2026-05-15" in OutboxEmail.objects.get().body_text


def test_every_link_in_a_review_reminder_opens_its_admin_page(time_machine):
    time_machine.move_to("2026-05-01T08:00:00+02:00", tick=False)
    agreement = ProcessorAgreementFactory(
        processor__role="processor", review_due_on=date(2026, 5, 20), ends_on=date(2026, 5, 25)
    )
    transfer = TransferFactory(next_review_on=date(2026, 5, 25))
    change = services.subprocessor_change_record(
        processor=ProcessorWithAgreementFactory(),
        announced_on=date(2026, 4, 5),
        change_type="addition",
        subprocessor_name="Cloudflare",
    )
    reminders.review_reminders_send()
    [email] = OutboxEmail.objects.all()
    links = re.findall(re.escape(settings.SITE_URL) + r"(/admin/\S+)", email.body_text)
    assert sorted(links) == sorted(
        [
            reverse("admin:processors_processoragreement_change", args=[agreement.pk]),
            reverse("admin:processors_processoragreement_change", args=[agreement.pk]),
            reverse("admin:processors_transfer_change", args=[transfer.pk]),
            reverse("admin:processors_subprocessorchange_change", args=[change.pk]),
        ]
    )
    for path in links:
        match = resolve(path)
        assert match.namespace == "admin" and match.url_name.endswith("_change"), path
        assert match.func.__name__ != "catch_all_view", path
