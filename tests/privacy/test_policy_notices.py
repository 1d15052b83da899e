"""A material policy change is told to everyone once, in batches, and shown as a banner."""

from datetime import date

import pytest

from core.models import OutboxEmail, SentNotice
from privacy import services
from privacy.models import PolicyNotice
from privacy.tasks import send_policy_notices
from tests.factories import ControllerProfileFactory, DataSubjectFactory, PolicyVersionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    ControllerProfileFactory()
    swedes = [DataSubjectFactory(email=f"sv{n}@example.org", language="sv") for n in range(3)]
    others = [DataSubjectFactory(email=f"en{n}@example.org") for n in range(4)]
    DataSubjectFactory(email="child@example.org", is_under_16=True)
    return swedes, others


def publish(language: str, **fields):
    return services.policy_version_publish(
        version=PolicyVersionFactory(
            version="2026-06-01", language=language, effective_date=date(2026, 6, 1), **fields
        )
    )


def test_a_material_change_is_emailed_once_to_each_person_in_batches(
    people, settings, time_machine
):
    time_machine.move_to("2026-05-20T10:00:00Z", tick=False)
    settings.POLICY_NOTICE_BATCH_SIZE = 3
    publish("sv", is_material_change=True, changes_summary="Ny underbiträde: Cloudflare.")
    publish("en", is_material_change=True, changes_summary="New sub-processor: Cloudflare.")

    runs = [send_policy_notices() for _ in range(5)]

    assert sum(runs) == 7 and max(runs) <= 3  # throttled; the child is not written to
    assert send_policy_notices() == 0
    assert SentNotice.objects.filter(category="policy_notice").count() == 7
    by_address = {email.to: email for email in OutboxEmail.objects.all()}
    assert set(by_address) == {f"sv{n}@example.org" for n in range(3)} | {
        f"en{n}@example.org" for n in range(4)
    }
    assert "Ny underbiträde" in by_address["sv0@example.org"].body_text
    assert "New sub-processor" in by_address["en0@example.org"].body_text
    assert "/privacy/policy/2026-06-01/changes/" in by_address["en0@example.org"].body_text
    assert all(n.finished_at for n in PolicyNotice.objects.all())


def test_a_minor_change_is_not_emailed(people):
    publish("en")
    assert not PolicyNotice.objects.exists()
    assert send_policy_notices() == 0


def test_the_public_pages_show_a_banner_after_a_material_change(client, people, time_machine):
    time_machine.move_to("2026-06-10T10:00:00Z", tick=False)
    previous = services.policy_version_publish(
        version=PolicyVersionFactory(version="2024-08-19", effective_date=date(2024, 8, 19))
    )
    publish("en", is_material_change=True, changes_summary="New sub-processor: Cloudflare.")
    page = client.get("/privacy/").content.decode()
    assert "We updated our privacy policy on June 1, 2026." in page
    assert "/privacy/policy/2026-06-01/changes/" in page
    time_machine.move_to("2026-08-10T10:00:00Z", tick=False)  # after the banner's 30 days
    assert "We updated our privacy policy" not in client.get("/privacy/").content.decode()
    assert previous
