"""The public request form: every submission becomes a case, and the answer never tells
who is a customer."""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import OutboxEmail
from dsr.choices import CaseStatus
from dsr.models import DsrCase, Submission
from dsr.selectors import cases as case_selectors
from dsr.services import intake
from dsr.tasks import sweep_unregistered_submissions
from tests.factories import ControllerProfileFactory, DataSubjectFactory

pytestmark = pytest.mark.django_db

URL = "/privacy/request/"


@pytest.fixture(autouse=True)
def _setup():
    cache.clear()
    ControllerProfileFactory()
    yield
    cache.clear()


def post(client, *, register=True, **fields):
    """Submit the form, then do what the worker does right after (unless register=False)."""
    data = {"rights": ["access"], "email": "anna@example.org", "age_confirmed": "on"}
    data.update(fields)
    response = client.post(URL, data)
    if register:
        sweep_unregistered_submissions()
    return response


def test_the_form_is_served(client):
    response = client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Make a privacy request" in page and 'name="website"' in page
    assert "no-store" in response["Cache-Control"]


def test_a_request_becomes_cases_awaiting_confirmation(client):
    response = post(client, rights=["access", "erasure"], name="Anna Berg")
    assert response.status_code == 302 and response["Location"] == "/privacy/request/sent/"
    cases = list(DsrCase.objects.order_by("pk"))
    assert [c.right for c in cases] == ["access", "erasure"]
    assert {c.status for c in cases} == {CaseStatus.AWAITING_IDENTITY}
    assert cases[0].submission.channel == "self_service"
    assert OutboxEmail.objects.count() == 1  # the confirmation link, sent by the worker


def test_swedish_visitors_get_swedish_cases(client):
    client.post(
        URL,
        {"rights": ["access"], "email": "anna@example.org", "age_confirmed": "on"},
        HTTP_ACCEPT_LANGUAGE="sv",
    )
    sweep_unregistered_submissions()
    case = DsrCase.objects.get()
    assert case.language == "sv"
    assert case.letters.get().subject.startswith("Bekräfta")


def test_the_form_answers_after_writing_the_request_down(
    client, django_capture_on_commit_callbacks
):
    """The request itself is one insert, its rights kept encrypted; registering it as cases
    and writing the confirmation email is the worker's, queued on commit."""
    with (
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks() as callbacks,
    ):
        response = post(
            client, register=False, rights=["access", "objection"], objection="No profiling"
        )
    assert response.status_code == 302
    writes = [
        q["sql"].split()[0] for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
    ]
    assert writes == ["INSERT"]
    assert len(callbacks) == 1  # the registration task, queued after commit
    assert not DsrCase.objects.exists() and not OutboxEmail.objects.exists()
    submission = Submission.objects.get()
    with connection.cursor() as cursor:
        cursor.execute("SELECT intake FROM dsr_submission WHERE id = %s", [submission.pk])
        stored = cursor.fetchone()[0]
    assert stored and "objection" not in stored and "profiling" not in stored

    # The worker's task, delivered twice (a redelivery after a lost ack): registered once.
    assert intake.submission_register(submission_id=submission.pk) is not None
    assert intake.submission_register(submission_id=submission.pk) is None
    cases = list(DsrCase.objects.order_by("pk"))
    assert [c.right for c in cases] == ["access", "objection"]
    assert cases[1].details == "No profiling"
    assert {c.received_at for c in cases} == {submission.received_at}  # the clock ran already
    assert OutboxEmail.objects.count() == 1
    assert Submission.objects.get().intake == ""
    assert case_selectors.submissions_awaiting_registration() == []


def strip_csrf(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def test_known_and_unknown_addresses_get_identical_answers(client):
    DataSubjectFactory(email="customer@example.org")
    answers = []
    for email in ("customer@example.org", "stranger@example.org"):
        response = post(client, email=email)
        followed = client.get(response["Location"])
        answers.append(
            (response.status_code, response["Location"], strip_csrf(followed.content.decode()))
        )
    assert answers[0] == answers[1]
    assert DsrCase.objects.count() == 2  # the stranger has a case too


def test_known_and_unknown_addresses_cost_the_same(client, mailoutbox):
    """Whether an address is known must not show in the answer's timing: a known and an
    unknown address run the same statements in the request, and no email is sent, no PDF
    built and no connector called inside it (the email is queued for the worker). Compared by
    what runs, not by a stopwatch, which the machine's load would make flaky."""
    DataSubjectFactory(email="customer@example.org")
    post(client, email="warmup@example.org")
    statements = []
    for email in ("customer@example.org", "stranger@example.org"):
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            response = post(client, email=email, register=False)
        assert response.status_code == 302
        sweep_unregistered_submissions()
        # Savepoint names and generated identifiers differ from run to run; the SQL does not.
        statements.append([re.sub(r'"s\d+_x\d+"', "", q["sql"])[:60] for q in queries])
    assert statements[0] == statements[1]
    assert mailoutbox == []
    assert set(OutboxEmail.objects.values_list("status", flat=True)) == {"pending"}


def test_errors_are_shown_next_to_their_fields(client):
    response = post(client, rights=[], email="not an address", age_confirmed="")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Choose at least one." in page
    assert "Enter a valid email address" in page
    assert "16 or over" in page
    assert 'aria-invalid="true"' in page
    assert not DsrCase.objects.exists()


def test_rectification_needs_its_content(client):
    response = post(client, rights=["rectification"])
    assert "Tell us what to correct" in response.content.decode()
    assert not DsrCase.objects.exists()


def test_a_bot_filling_the_hidden_field_gets_the_same_answer_and_no_case(client):
    response = post(client, website="http://spam.example")
    assert response.status_code == 302 and response["Location"] == "/privacy/request/sent/"
    assert not DsrCase.objects.exists()


def test_requests_are_limited_per_address(client, settings):
    settings.DSR_REQUEST_LIMIT_PER_EMAIL = 2
    assert post(client).status_code == 302
    assert post(client).status_code == 302
    too_many = post(client)
    assert too_many.status_code == 429
    assert "try again later" in too_many.content.decode().lower()
    assert post(client, email="other@example.org").status_code == 302


def test_requests_are_limited_per_client(client, settings):
    settings.DSR_REQUEST_LIMIT_PER_IP = 3
    for n in range(3):
        assert post(client, email=f"p{n}@example.org").status_code == 302
    assert post(client, email="p9@example.org").status_code == 429
    assert DsrCase.objects.count() == 3


def test_requester_text_is_never_rendered_unescaped(client):
    response = post(client, rights=[], name="<script>alert(1)</script>")
    page = response.content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def test_too_long_text_gets_a_clear_message(client):
    response = post(client, details="x" * 5001)
    assert "at most 5000 characters" in response.content.decode()


def test_a_submission_that_cannot_be_registered_holds_up_no_other(client, caplog):
    post(client, register=False, email="first@example.org")
    post(client, register=False, email="second@example.org")
    first, second = Submission.objects.order_by("pk")
    Submission.objects.filter(pk=first.pk).update(intake="not the JSON we wrote")

    assert sweep_unregistered_submissions() == 1
    assert [c.submission_id for c in DsrCase.objects.all()] == [second.pk]
    # The broken one is kept as it was, logged, and tried again by the next sweep.
    assert case_selectors.submissions_awaiting_registration() == [first.pk]
    assert Submission.objects.get(pk=first.pk).intake == "not the JSON we wrote"
    assert f"could not register submission {first.pk}" in caplog.text
