"""The status page behind the emailed link: one requester's requests and nothing else."""

import pytest

from core.models import OutboxEmail
from dsr.choices import CaseStatus
from dsr.models import DsrCase
from dsr.services import transitions
from tests.dsr.conftest import receive
from tests.factories import ControllerProfileFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def anna(time_machine):
    time_machine.move_to("2026-03-05T10:00:00+01:00", tick=False)
    ControllerProfileFactory()
    return receive("access", "erasure", email="anna@example.org")


def status_path(submission) -> str:
    return f"/privacy/status/{submission.status_token}/"


def test_the_acknowledgement_carries_the_status_link(anna):
    body = OutboxEmail.objects.get().body_text
    assert anna.status_url in body
    assert len(anna.status_token) >= 22  # at least 128 bits


def test_the_page_shows_references_rights_dates_and_letters(client, anna):
    response = client.get(status_path(anna))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    for text in (
        "DSR-2026-000001",
        "DSR-2026-000002",
        "Access (Art. 15)",
        "Erasure (Art. 17)",
        "April 7, 2026",
        "We have received your request.",
        "We have received your request DSR-2026-000001",
    ):
        assert text in page, text


def test_one_requesters_link_never_shows_anothers_case(client, anna):
    bo = receive("access", email="bo@example.org", name="Bo Ek")
    page = client.get(status_path(bo)).content.decode()
    assert "DSR-2026-000003" in page
    assert "DSR-2026-000001" not in page and "Anna" not in page
    # Acting on Anna's case through Bo's link is a 404, not a 403.
    anna_case = anna.cases.first()
    response = client.post(
        status_path(bo), {"action": "withdraw", "case": str(anna_case.public_id)}
    )
    assert response.status_code == 404
    assert DsrCase.objects.get(pk=anna_case.pk).status == CaseStatus.RECEIVED


def test_an_unknown_link_is_not_found(client, anna):
    assert client.get("/privacy/status/nothing-here/").status_code == 404
    assert client.get("/privacy/status/" + "x" * 500 + "/").status_code == 404


def test_the_requester_adds_information(client, anna):
    case = anna.cases.order_by("pk").first()
    response = client.post(
        status_path(anna),
        {"action": "message", "case": str(case.public_id), "message": "My old address: <b>x</b>"},
        follow=True,
    )
    page = response.content.decode()
    assert "we have received your message" in page
    assert "My old address: &lt;b&gt;x&lt;/b&gt;" in page
    assert case.events.filter(kind="message").exists()


def test_an_empty_or_oversized_message_is_refused_with_a_message(client, anna):
    case = anna.cases.first()
    response = client.post(
        status_path(anna), {"action": "message", "case": str(case.public_id), "message": "x" * 6000}
    )
    assert response.status_code == 200
    assert "at most 5000 characters" in response.content.decode()
    assert not case.events.filter(kind="message").exists()


def test_the_requester_withdraws_one_request(client, anna):
    first, second = anna.cases.order_by("pk")
    response = client.post(
        status_path(anna), {"action": "withdraw", "case": str(first.public_id)}, follow=True
    )
    assert "is withdrawn" in response.content.decode()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (CaseStatus.WITHDRAWN, CaseStatus.RECEIVED)
    # A second click finds it closed and says so instead of failing.
    again = client.post(
        status_path(anna), {"action": "withdraw", "case": str(first.public_id)}, follow=True
    )
    assert again.status_code == 200 and "cannot become" in again.content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_page_reads_the_same_on_a_new_database_session(client, anna):
    from django.db import connection

    first = client.get(status_path(anna)).content.decode()
    connection.close()  # the statement prepared on the old session is gone with it
    again = client.get(status_path(anna)).content.decode()
    assert "DSR-2026-000002" in first and "DSR-2026-000002" in again


def _statements(client, path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        page = client.get(path)
    assert page.status_code == 200 and "DSR-2026-000002" in page.content.decode()
    return [q["sql"].split()[0] for q in queries if "dsr_status_page" in q["sql"]]


@pytest.mark.django_db(transaction=True)
def test_each_database_session_prepares_the_page_s_statement_once(client, anna):
    assert _statements(client, status_path(anna)) == ["PREPARE", "EXECUTE"]
    assert _statements(client, status_path(anna)) == ["EXECUTE"]


@pytest.mark.django_db(transaction=True)
def test_a_session_without_the_prepared_statement_still_answers(client, anna):
    """What a pooler in transaction mode does: the next statement reaches another session."""
    from django.db import connection

    _statements(client, status_path(anna))
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE dsr_status_page")
    assert _statements(client, status_path(anna)) == ["EXECUTE"]  # failed; the plain one ran
    assert _statements(client, status_path(anna)) == ["PREPARE", "EXECUTE"]  # prepared again

    # A session that has the statement although this process did not note it.
    delattr(connection.connection, "_dsr_status_page_prepared")
    assert _statements(client, status_path(anna)) == ["PREPARE"]  # refused; the plain one ran
    assert _statements(client, status_path(anna)) == ["EXECUTE"]


def test_a_message_sent_after_the_request_closed_keeps_the_requesters_text(client, anna):
    case = anna.cases.order_by("pk").first()
    assert "Add information to your request" in client.get(status_path(anna)).content.decode()
    transitions.case_withdraw(case=case, note="By phone.", notify=False)  # meanwhile, by staff

    response = client.post(
        status_path(anna),
        {"action": "message", "case": str(case.public_id), "message": "My new address: <b>x</b>"},
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "This request is closed." in page
    assert "Your message was not sent." in page
    assert "My new address: &lt;b&gt;x&lt;/b&gt;" in page
    assert "Withdrawn." in page  # the page as the request now stands
    assert not case.events.filter(kind="message").exists()
    # The other, open request's form is empty.
    assert page.count("My new address") == 1
