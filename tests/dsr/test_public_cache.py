"""The public pages' cache (privacy/public_cache.py): edits show at once, nothing personal is
kept, and every visitor gets their own CSRF token in a page rendered once."""

import re
from datetime import date

import pytest
from django.core.cache import cache
from django.test import Client

from core import public_cache
from privacy import services
from privacy.models import ControllerProfile
from tests.factories import (
    ControllerProfileFactory,
    DataCategoryFactory,
    PolicyVersionFactory,
    ProcessingActivityFactory,
    TransferFactory,
)
from tests.helpers import queries_of_get

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def register(time_machine):
    time_machine.move_to("2026-06-01T12:00:00Z", tick=False)
    ControllerProfileFactory(name="Opper Technology AB")
    activity = ProcessingActivityFactory(
        name="Providing the platform", data_categories=[DataCategoryFactory(name="Account details")]
    )
    services.policy_version_publish(
        version=PolicyVersionFactory(version="2024-08-19", effective_date=date(2024, 8, 19))
    )
    return activity


def page(client, path="/privacy/") -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def test_another_process_s_edit_shows_within_moments(client, register, monkeypatch):
    assert "Opper Technology AB" in page(client)
    # Another web process saved the profile: the shared version changed, not this memo.
    ControllerProfile.objects.update(name="Opper AB")
    cache.set(public_cache.VERSION_KEY, "changed elsewhere")
    assert "Opper Technology AB" in page(client)
    later = public_cache._clock() + public_cache.MEMO_SECONDS
    monkeypatch.setattr(public_cache, "_clock", lambda: later)
    assert "Opper AB" in page(client)


def test_a_cached_page_runs_no_query(client, register):
    first = page(client)
    assert queries_of_get(client, "/privacy/") == 0
    page(client, "/privacy/request/")
    assert queries_of_get(client, "/privacy/request/") == 0
    assert TOKEN.sub("", page(client)) == TOKEN.sub("", first)


def test_an_edited_controller_profile_shows_at_once(client, register):
    assert "Opper Technology AB" in page(client)
    assert "Opper Technology AB" in page(client, "/privacy/request/")
    profile = ControllerProfile.objects.get()
    profile.name = "Opper AB"
    profile.save()
    for path in ("/privacy/", "/privacy/request/", "/privacy/request/sent/"):
        text = page(client, path)
        assert "Opper AB" in text and "Opper Technology AB" not in text, path


def test_a_published_policy_shows_at_once(client, register):
    assert "version 2024-08-19" in page(client)
    services.policy_version_publish(
        version=PolicyVersionFactory(
            version="2026-05-20",
            effective_date=date(2026, 5, 20),
            is_material_change=True,
            changes_summary="We now name our payment provider's country.",
        )
    )
    text = page(client)
    assert "version 2026-05-20" in text
    # The banner of a material change, on every page's layout.
    assert "We now name our payment provider" in page(client, "/privacy/request/")


def test_the_banner_ends_with_its_period_without_an_edit(client, register, time_machine):
    services.policy_version_publish(
        version=PolicyVersionFactory(
            version="2026-05-20",
            effective_date=date(2026, 5, 20),
            is_material_change=True,
            changes_summary="We now name our payment provider's country.",
        )
    )
    assert "We now name our payment provider" in page(client, "/privacy/request/")
    time_machine.move_to("2026-08-01T12:00:00Z", tick=False)
    assert "We now name our payment provider" not in page(client, "/privacy/request/")


def test_a_changed_activity_shows_at_once(client, register):
    assert "Providing the platform" in page(client)
    register.name = "Running the platform"
    register.save()
    assert "Running the platform" in page(client)
    register.data_categories.add(DataCategoryFactory(name="Usage logs"))
    assert "Usage logs" in page(client)
    register.is_active = False
    register.save()
    assert "Running the platform" not in page(client)


def test_a_new_transfer_shows_at_once(client, register):
    assert "United States" not in page(client)
    TransferFactory()
    assert "United States" in page(client)


def test_each_visitor_gets_their_own_token_and_it_works(register):
    anna, bo = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    tokens = {}
    for name, visitor in (("anna", anna), ("bo", bo)):
        response = visitor.get("/privacy/request/")
        found = TOKEN.findall(response.content.decode())
        # The language switcher's form and the request form, with the same token.
        assert len(found) == 2 and found[0] == found[1]
        assert visitor.cookies["csrftoken"].value
        tokens[name] = found[0]
    assert tokens["anna"] != tokens["bo"]
    response = anna.post(
        "/privacy/request/",
        {
            "csrfmiddlewaretoken": tokens["anna"],
            "rights": ["access"],
            "email": "anna@example.org",
            "age_confirmed": "on",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/privacy/request/sent/"
    # Bo's token with Anna's cookie is refused, as always.
    response = anna.post(
        "/privacy/request/",
        {"csrfmiddlewaretoken": tokens["bo"], "rights": ["access"], "email": "a@example.org"},
    )
    assert response.status_code == 403


def test_headers_are_those_of_a_rendered_page(client, register):
    for _ in range(2):  # built, then from the cache
        home = client.get("/privacy/")
        assert home["Cache-Control"] == "private, max-age=300"
        assert home["Content-Language"] == "en"
        assert "Accept-Language" in home["Vary"] and "Cookie" in home["Vary"]
        assert "Content-Security-Policy" in home
        form = client.get("/privacy/request/")
        assert "no-store" in form["Cache-Control"]
        assert form["Content-Type"] == "text/html; charset=utf-8"


def test_each_language_is_cached_apart(client, register):
    assert 'lang="en"' in page(client, "/privacy/request/")
    swedish = Client(headers={"accept-language": "sv"})
    text = page(swedish, "/privacy/request/")
    assert 'lang="sv"' in text and "Skicka" in text
    assert 'lang="en"' in page(client, "/privacy/request/")


def test_a_query_string_is_not_cached(client, register):
    assert 'value="/privacy/?x=1"' in page(client, "/privacy/?x=1")
    assert 'value="/privacy/?x=1"' not in page(client)
    assert not [key for key in cache._cache if "x=1" in key]


def test_the_status_page_keeps_nothing_personal_in_the_cache(client, register):
    from dsr.services import intake
    from dsr.services.intake import ReceiptInput, RequestedRight

    submission = intake.submission_receive(
        data=ReceiptInput(
            channel="email",
            rights=[RequestedRight("access")],
            requester_email="anna@example.org",
            requester_name="Anna Berg",
        )
    )
    text = page(client, f"/privacy/status/{submission.status_token}/")
    assert "Opper Technology AB" in text and submission.cases.get().reference in text
    stored = b"".join(cache._cache.values())  # the local-memory cache's pickled values
    assert b"Opper Technology AB" in stored
    for personal in (submission.cases.get().reference, "anna@example.org", "Anna Berg"):
        assert personal.encode() not in stored


def test_a_lost_version_rebuilds(client, register):
    page(client)
    cache.delete(public_cache.VERSION_KEY)
    public_cache.forget()  # as another process would, or this one a moment later
    profile = ControllerProfile.objects.get()
    ControllerProfile.objects.filter(pk=profile.pk).update(name="Changed behind our back")
    assert "Changed behind our back" in page(client)


def test_the_redis_backend_reuses_one_client(settings):
    from django.core.cache import caches

    url = settings.CELERY_BROKER_URL  # the test Redis
    settings.CACHES = {
        **settings.CACHES,
        "redis": {"BACKEND": "core.cache.PooledRedisCache", "LOCATION": url},
    }
    redis_cache = caches["redis"]
    redis_cache.set("public-cache-test", ("v", "page"), 30)
    assert redis_cache.get_many(["public-cache-test", "missing"]) == {
        "public-cache-test": ("v", "page")
    }
    client = redis_cache._cache.get_client(write=True)
    assert redis_cache._cache.get_client() is client
    redis_cache.delete("public-cache-test")
    assert redis_cache.get("public-cache-test") is None


def test_the_status_page_reads_in_one_query_however_many_letters(client, register):
    from dsr.services import intake, transitions
    from dsr.services.intake import ReceiptInput, RequestedRight

    submission = intake.submission_receive(
        data=ReceiptInput(
            channel="email",
            rights=[RequestedRight("access"), RequestedRight("erasure")],
            requester_email="anna@example.org",
        )
    )
    path = f"/privacy/status/{submission.status_token}/"
    page(client, path)
    few = queries_of_get(client, path)
    first, second = submission.cases.order_by("pk")
    transitions.case_record_message(case=first, message="My second address is anna@example.com.")
    transitions.case_record_message(case=second, message="And erase the old one.")
    assert queries_of_get(client, path) == few
    text = page(client, path)
    assert text.index("My second address") < text.index("And erase the old one.")
    first_at, second_at = (text.index(f'id="case-{c.public_id}"') for c in (first, second))
    assert first_at < text.index("My second address") < second_at


def test_the_status_page_in_the_cached_layout_is_the_page_rendered_whole(rf, register):
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.db import SessionStore
    from django.shortcuts import render

    from dsr.services import intake
    from dsr.services.intake import ReceiptInput, RequestedRight

    submission = intake.submission_receive(
        data=ReceiptInput(
            channel="email", rights=[RequestedRight("access")], requester_email="a@example.org"
        )
    )
    path = f"/privacy/status/{submission.status_token}/?from=email"

    def request():
        made = rf.get(path)
        made.session = SessionStore()
        made._messages = FallbackStorage(made)
        return made

    context = {"submission": submission, "rows": [], "message_form": None, "token": "t"}
    whole = render(request(), "dsr/public/status.html", context).content.decode()
    for _ in range(2):  # the layout rendered, then from the cache
        parts = public_cache.page_in_layout(request(), "dsr/public/status.html", context)
        assert TOKEN.sub("", parts.content.decode()) == TOKEN.sub("", whole)
    assert 'value="/privacy/status/' in whole  # the visitor's own address, never cached
    assert submission.status_token.encode() not in b"".join(cache._cache.values())


def test_the_pages_stay_up_when_the_cache_is_down(client, register, monkeypatch):
    page(client)

    def unreachable(*args, **kwargs):
        raise ConnectionError("cache down")

    for method in ("get", "get_many", "set", "add"):
        monkeypatch.setattr(cache, method, unreachable)
    profile = ControllerProfile.objects.get()
    profile.name = "Opper AB"
    profile.save()  # an edit saves even though the cache cannot be told
    for path in ("/privacy/", "/privacy/request/"):
        assert "Opper AB" in page(client, path)
