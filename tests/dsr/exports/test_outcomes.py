"""What the export says came of searching each system: only what the task records. A skipped
system is "not searched" with the reason staff gave, or because the request closed first; a
failed search is not "under way"; nothing found is said only of a system that was searched."""

import pytest
from django.utils import timezone, translation

from dsr import exports
from dsr.choices import ExportFileKind, TaskStatus
from dsr.exports import content as content_module
from dsr.exports.content import export_content
from dsr.services import transitions
from tests.dsr.exports.data import export_store, request_case, system_task
from tests.pdf import pdf_text, squash_words

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]

OLD_CLAIM = "we found that this system holds no data about you"
REASON = "She has never had an account in the event store (searched both addresses)."


@pytest.fixture
def case(register, person):
    """An access request: the database searched, the event store skipped by staff with a
    reason, billing failed, the helpdesk and the newsletter tool still being searched."""
    case = request_case(person)
    systems, categories = register.systems, register.categories
    export_store(
        system_task(case, systems.database), {categories.account.name: {"users": [{"id": 1}]}}
    )
    skipped = system_task(case, systems.events, status=TaskStatus.SKIPPED)
    skipped.evidence, skipped.completed_at = REASON, timezone.now()
    skipped.save()
    failed = system_task(case, systems.billing, status=TaskStatus.FAILED)
    failed.error = "the system answered HTTP 503"
    failed.save()
    system_task(case, systems.helpdesk, status=TaskStatus.WAITING, kind="webhook")
    system_task(case, systems.newsletter, status=TaskStatus.RUNNING)
    return case


def outcomes(case) -> dict[str, tuple[str, bool]]:
    return {s.name: (s.outcome, s.complete) for s in export_content(case).systems}


def test_each_outcome_says_what_happened(case):
    said = outcomes(case)

    assert said["Platform database"] == ("Searched on March 5, 2026.", True)
    assert said["Platform event store and logs"] == (
        f"Not searched. The reason we recorded: {REASON}",
        True,
    )
    assert said["Billing (Stripe)"] == (
        "The search in this system failed and was not completed.",
        False,
    )
    under_way = ("Not finished yet: the search in this system is still under way.", False)
    assert said["Support helpdesk"] == under_way
    assert said["Newsletter tool"] == under_way
    assert not any(OLD_CLAIM in outcome for outcome, _complete in said.values())


def test_tasks_closed_with_the_request_say_so_not_that_nothing_is_there(case):
    transitions.case_complete(
        case=case,
        actor=None,
        outcome="Answered with what we found.",
        open_tasks_reason="The rest is answered by letter.",
    )
    case.refresh_from_db()

    said = outcomes(case)

    closed = "Not searched: the request was closed before the search in this system was done."
    for name in ("Billing (Stripe)", "Support helpdesk", "Newsletter tool"):
        assert said[name] == (closed, True), name
    assert said["Platform event store and logs"][0].endswith(REASON)


def test_every_outcome_is_translated_in_the_case_s_language(case, monkeypatch):
    with translation.override("sv"):
        said = outcomes(case)
    assert said["Support helpdesk"][0] == (
        "Inte klart ännu: sökningen i det här systemet pågår fortfarande."
    )
    assert not any("inte innehåller några uppgifter" in o for o, _c in said.values())

    # Every outcome's words come from gettext, the new ones too (Swedish follows in locale/).
    monkeypatch.setattr(content_module, "_", lambda text: f"«{text}»")
    for outcome, _complete in outcomes(case).values():
        assert outcome.startswith("«"), outcome


def test_the_report_says_nothing_found_only_of_a_system_searched(register, person):
    case = request_case(person)
    export_store(system_task(case, register.systems.database), {})
    skipped = system_task(case, register.systems.events, status=TaskStatus.SKIPPED)
    skipped.evidence = REASON
    skipped.save()

    text = pdf_text(exports.build(case).file(ExportFileKind.REPORT).data)

    squashed = squash_words(text)
    assert squash_words("Searched on March 5, 2026. Nothing found.") in squashed
    assert squash_words(f"The reason we recorded: {REASON}") in squashed
    assert squash_words(f"{REASON} Nothing found.") not in squashed
    assert "Systems searched 1" in text
    assert OLD_CLAIM not in text
