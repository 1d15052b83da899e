"""The status page's content from the cache (privacy/public_cache.py, `content_key`): every
change to a request shows at once, a form with errors or a notice is rendered afresh, and the
cache holds the page only encrypted, under a key that names nobody."""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from core import crypto, public_cache
from dsr.choices import ExportStatus
from dsr.models import ExportJob
from dsr.selectors import status_page
from dsr.services import intake, transitions
from dsr.services.exports import exports_expire_due
from dsr.services.intake import ReceiptInput, RequestedRight
from tests.factories import ControllerProfileFactory

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def anna(time_machine):
    time_machine.move_to("2026-03-05T10:00:00+01:00", tick=False)
    ControllerProfileFactory()
    return intake.submission_receive(
        data=ReceiptInput(
            channel="email",
            rights=[RequestedRight("access"), RequestedRight("erasure")],
            requester_email="anna@example.org",
            requester_name="Anna Berg",
        )
    )


def page(client, submission, **headers) -> str:
    response = client.get(f"/privacy/status/{submission.status_token}/", headers=headers)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    return response.content.decode()


def content_entries() -> dict:
    """The cached content blocks, by key (the local-memory cache's keys and pickled values)."""
    return {key: value for key, value in cache._cache.items() if ":public:content:" in key}


def first_case(submission):
    return submission.cases.order_by("pk").first()


def test_a_reload_renders_and_decrypts_nothing(client, anna, monkeypatch):
    first = page(client, anna)
    assert len(content_entries()) == 1

    def refused(*args, **kwargs):
        raise AssertionError("rendered or decrypted again")

    monkeypatch.setattr(public_cache, "_content", refused)
    monkeypatch.setattr(status_page, "decrypt", refused)
    again = page(client, anna)
    assert TOKEN.sub("", again) == TOKEN.sub("", first)
    assert "We have received your request DSR-2026-000001" in again  # a letter's subject


def test_each_visitor_gets_their_own_token_in_the_cached_content_and_it_works(anna):
    tokens = []
    for visitor in (Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)):
        found = TOKEN.findall(page(visitor, anna))
        # The language switcher's form and the two forms of each of the two open requests.
        assert len(found) == 5 and len(set(found)) == 1
        tokens.append((visitor, found[0]))
    (_anna, anna_token), (bo, bo_token) = tokens
    assert anna_token != bo_token
    path = f"/privacy/status/{anna.status_token}/"
    case = first_case(anna)
    message = {"action": "message", "case": str(case.public_id), "message": "Also my old one."}
    assert bo.post(path, {**message, "csrfmiddlewaretoken": bo_token}).status_code == 302
    assert bo.post(path, {**message, "csrfmiddlewaretoken": anna_token}).status_code == 403


def test_a_new_status_and_a_new_letter_show_at_once(client, anna):
    case = first_case(anna)
    assert "We have received your request." in page(client, anna)
    transitions.case_start(case=case, actor=None)
    assert "We are working on your request." in page(client, anna)
    transitions.case_ask_requester(
        case=case, actor=None, question="Which of your two accounts do you mean?"
    )
    text = page(client, anna)
    assert "We have asked you a question." in text
    assert "Which of your two accounts do you mean?" in text


def test_a_message_shows_at_once(client, anna):
    page(client, anna)
    transitions.case_record_message(case=first_case(anna), message="My new address: Storgatan 1.")
    assert "My new address: Storgatan 1." in page(client, anna)


def test_a_withdrawal_shows_once_with_its_notice_and_then_stays(client, anna):
    case = first_case(anna)
    withdraw = f"Withdraw request {case.reference}"
    assert withdraw in page(client, anna)
    response = client.post(
        f"/privacy/status/{anna.status_token}/",
        {"action": "withdraw", "case": str(case.public_id)},
        follow=True,
    )
    text = response.content.decode()
    assert f"Your request {case.reference} is withdrawn." in text
    assert "Withdrawn." in text and withdraw not in text
    again = page(client, anna)  # from the cache now: the notice was shown once
    assert "Withdrawn." in again and withdraw not in again
    assert "is withdrawn" not in again


def test_a_staff_withdrawal_shows_at_once(client, anna):
    page(client, anna)
    transitions.case_withdraw(case=first_case(anna), note="By phone.")
    assert "Withdrawn." in page(client, anna)


def test_an_export_expires_on_the_page_with_time_alone(client, anna, time_machine):
    case = first_case(anna)
    transitions.case_start(case=case, actor=None)
    transitions.case_complete(case=case, actor=None, outcome="Your data is ready to download.")
    now = timezone.now()
    job = ExportJob.objects.create(
        case=case, status=ExportStatus.READY, finished_at=now, expires_at=now + timedelta(minutes=1)
    )
    download = f"/privacy/status/{anna.status_token}/download/{job.public_id}/"
    text = page(client, anna)
    assert "Your data is ready" in text and download in text

    # Nothing in the database changed, and the entry is younger than its timeout.
    time_machine.shift(timedelta(minutes=1, seconds=1))
    assert timedelta(minutes=1, seconds=1).total_seconds() < public_cache.CONTENT_TIMEOUT
    text = page(client, anna)
    assert "Your download has expired" in text and download not in text
    assert exports_expire_due() == 1  # and once the sweep has deleted the files
    text = page(client, anna)
    assert "Your download has expired" in text and download not in text


def test_a_message_with_errors_is_rendered_afresh_and_never_kept(client, anna):
    page(client, anna)
    kept = content_entries()
    response = client.post(
        f"/privacy/status/{anna.status_token}/",
        {"action": "message", "case": str(first_case(anna).public_id), "message": "x" * 6000},
    )
    assert response.status_code == 200
    assert "at most 5000 characters" in response.content.decode()
    assert content_entries() == kept
    assert "at most 5000 characters" not in page(client, anna)


def test_the_cache_holds_the_content_only_encrypted(client, anna):
    transitions.case_record_message(case=first_case(anna), message="My phone is 070-1234567.")
    text = page(client, anna)
    shown = [case.reference for case in anna.cases.all()] + ["070-1234567"]
    assert all(personal in text for personal in shown)
    stored = b"".join(cache._cache.values())
    for personal in (*shown, "Anna Berg", "anna@example.org", anna.status_token):
        assert personal.encode() not in stored, personal
    [key] = content_entries()
    assert anna.status_token not in key
    _expires, _marker, sealed = cache.get(key.split(":", 2)[2])
    assert "070-1234567" in crypto.decrypt(sealed)
    # This process's copy is the same sealed entry.
    assert [entry[2] for entry in public_cache._contents.values()] == [sealed]


def test_an_entry_that_cannot_be_decrypted_is_rendered_again(client, anna):
    page(client, anna)
    [key] = content_entries()
    name = key.split(":", 2)[2]
    expires, marker, _sealed = cache.get(name)
    cache.set(name, (expires, marker, "enc1:sealed-under-a-retired-key"))
    public_cache.forget()  # as another process would find it
    assert "We have received your request DSR-2026-000001" in page(client, anna)


def test_each_language_has_its_own_content(client, anna):
    assert "Where it stands" in page(client, anna)
    swedish = page(Client(), anna, accept_language="sv")
    assert "Din begäran" in swedish and "Where it stands" not in swedish
    assert "Where it stands" in page(client, anna)


def test_the_page_stays_up_when_the_cache_is_down(client, anna, monkeypatch):
    page(client, anna)

    def unreachable(*args, **kwargs):
        raise ConnectionError("cache down")

    for method in ("get", "get_many", "set", "add"):
        monkeypatch.setattr(cache, method, unreachable)
    transitions.case_start(case=first_case(anna), actor=None)
    assert "We are working on your request." in page(client, anna)


def test_the_content_is_kept_no_longer_than_its_timeout(client, anna, monkeypatch, time_machine):
    rendered = []
    render = public_cache._content
    monkeypatch.setattr(public_cache, "_content", lambda *args: rendered.append(1) or render(*args))
    page(client, anna)
    page(client, anna)
    assert len(rendered) == 1
    time_machine.shift(timedelta(seconds=public_cache.CONTENT_TIMEOUT + 1))
    page(client, anna)
    assert len(rendered) == 2
