"""The privacy centre's home and policy pages."""

from datetime import date

import pytest

from privacy import services
from privacy.policy_diff import compare, has_changes
from tests.factories import (
    ControllerProfileFactory,
    DataCategoryFactory,
    PolicyVersionFactory,
    ProcessingActivityFactory,
    RetentionRuleFactory,
    TransferFactory,
)
from tests.helpers import queries_of_get

pytestmark = pytest.mark.django_db


@pytest.fixture
def register(time_machine):
    time_machine.move_to("2026-06-01T12:00:00Z", tick=False)
    ControllerProfileFactory()
    ProcessingActivityFactory(
        name="Providing the platform",
        purpose="To run the AI platform for you.",
        data_categories=[DataCategoryFactory(name="Account details")],
        retention_rule=RetentionRuleFactory(period=12, period_unit="months"),
    )
    ProcessingActivityFactory(name="Customer workspaces", role="processor", basis_contract=False)
    TransferFactory()
    old = services.policy_version_publish(
        version=PolicyVersionFactory(
            version="2024-08-19",
            effective_date=date(2024, 8, 19),
            body="We keep data for as long as needed.\n\nWe use Stripe for payments.",
        )
    )
    new = services.policy_version_publish(
        version=PolicyVersionFactory(
            version="2026-05-01",
            effective_date=date(2026, 5, 1),
            is_material_change=True,
            changes_summary="We now name our payment provider's country.",
            body="We keep data for as long as needed.\n\nWe use Stripe (Ireland) for payments.",
        )
    )
    return old, new


def test_home_explains_the_processing_rights_and_complaints(client, register):
    response = client.get("/privacy/")
    assert response.status_code == 200
    page = response.content.decode()
    for text in (
        "Providing the platform",
        "To run the AI platform for you.",
        "fulfil a contract with you or your organisation",
        "Account details",
        "12 months",
        "Integritetsskyddsmyndigheten (IMY)",
        "https://www.imy.se",
        "Make a privacy request",
        "version 2026-05-01",
        "United States",
    ):
        assert text in page, text
    assert "Customer workspaces" not in page  # processed for customers, not about visitors


def test_home_query_count_does_not_grow_with_activities(client, register):
    few = queries_of_get(client, "/privacy/")
    for _ in range(10):
        ProcessingActivityFactory(data_categories=[DataCategoryFactory()])
    assert queries_of_get(client, "/privacy/") == few


def test_the_policy_in_force_and_its_versions(client, register):
    page = client.get("/privacy/policy/").content.decode()
    assert "Stripe (Ireland)" in page and "2024-08-19" in page
    assert "We now name our payment provider" in page
    older = client.get("/privacy/policy/2024-08-19/").content.decode()
    assert "We use Stripe for payments." in older


def test_what_changed_between_versions(client, register):
    page = client.get("/privacy/policy/2026-05-01/changes/").content.decode()
    assert "<ins>" in page and "(Ireland)" in page
    assert client.get("/privacy/policy/2024-08-19/changes/").status_code == 404  # the first
    assert client.get("/privacy/policy/1999-01-01/").status_code == 404


def test_swedish_visitors_get_the_english_policy_with_a_note(client, register):
    page = client.get("/privacy/policy/", HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert "Stripe (Ireland)" in page
    assert 'lang="en"' in page


def test_a_draft_is_never_public(client, register):
    PolicyVersionFactory(version="2027-01-01", effective_date=date(2026, 5, 30), body="Draft!")
    assert "Draft!" not in client.get("/privacy/policy/").content.decode()
    assert client.get("/privacy/policy/2027-01-01/").status_code == 404


def test_paragraph_and_word_level_comparison():
    paragraphs = compare("One.\n\nTwo three four.\n\nGone.", "One.\n\nTwo 3 four.\n\nNew.")
    kinds = [p.kind for p in paragraphs]
    assert kinds[0] == "same" and "changed" in kinds
    changed = next(p for p in paragraphs if p.kind == "changed")
    assert [(piece.kind, piece.text) for piece in changed.pieces] == [
        ("same", "Two"),
        ("removed", "three"),
        ("added", "3"),
        ("same", "four."),
    ]
    assert has_changes(paragraphs)
    assert not has_changes(compare("Same.", "Same."))
