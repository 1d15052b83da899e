"""Fixtures of the requests' admin tests: the controller on record, and a queue of cases."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.dsr.admin.pages import TODAY, dated_case
from tests.factories import ControllerProfileFactory


@pytest.fixture(autouse=True)
def _controller(db):
    ControllerProfileFactory()


@pytest.fixture
def queue(frozen):
    """One open case per colour, an extended one and a closed overdue one."""
    return {
        "overdue": dated_case("DSR-2026-000001", target=-4, due=-1),
        "late": dated_case("DSR-2026-000002", target=-1, due=1),
        "today": dated_case("DSR-2026-000003", target=0, due=2),
        "soon": dated_case("DSR-2026-000004", target=3, due=6),
        "ok": dated_case("DSR-2026-000005", target=4, due=20, status="received"),
        "extended": dated_case(
            "DSR-2026-000006",
            target=40,
            due=-3,
            extended_due_date=TODAY + timedelta(days=40),
            extension_reason="Many systems.",
            extension_notified_at=timezone.now() - timedelta(days=10),
        ),
        "closed": dated_case("DSR-2026-000007", target=-4, due=-1, status="completed"),
    }
