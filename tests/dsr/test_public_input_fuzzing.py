"""Hypothesis throws arbitrary text, very long text, control characters and malformed
addresses at every public form field and link: the answer is never a server error."""

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsr.services import intake
from dsr.services.intake import ReceiptInput, RequestedRight
from privacy import services as privacy_services
from tests.factories import ControllerProfileFactory, DataSubjectFactory

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

hostile_text = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=50),  # control characters
    # Over every limit, without drawing thousands of random characters.
    st.builds(lambda ch, n: ch * n, st.characters(), st.integers(5001, 20000)),
    st.sampled_from(["<script>alert(1)</script>", "' OR 1=1 --", "\x00", "%(email)s", "{{ x }}"]),
)
hostile_email = st.one_of(
    hostile_text,
    st.emails(),
    st.sampled_from(["a@b", "@example.org", "anna@", "a" * 300 + "@example.org", "ä@ö.se"]),
)
hostile_path_part = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/?#"),
    min_size=1,
    max_size=200,
)


@pytest.fixture(autouse=True)
def _public(settings):
    settings.DSR_REQUEST_LIMIT_PER_IP = 10_000
    settings.DSR_REQUEST_LIMIT_PER_EMAIL = 10_000
    ControllerProfileFactory()
    cache.clear()


@FUZZ
@given(
    rights=st.lists(
        st.one_of(st.sampled_from(["access", "erasure", "rectification"]), hostile_text), max_size=4
    ),
    email=hostile_email,
    name=hostile_text,
    rectification=hostile_text,
    objection=hostile_text,
    details=hostile_text,
    age=st.sampled_from(["on", "", "yes", "\x00"]),
    website=st.sampled_from(["", "x"]),
)
def test_the_request_form_never_fails(
    client, rights, email, name, rectification, objection, details, age, website
):
    response = client.post(
        "/privacy/request/",
        {
            "rights": rights,
            "email": email,
            "name": name,
            "rectification": rectification,
            "objection": objection,
            "details": details,
            "age_confirmed": age,
            "website": website,
        },
    )
    assert response.status_code in (200, 302, 429), response.status_code


@pytest.fixture
def status_token():
    submission = intake.submission_receive(
        data=ReceiptInput(
            channel="email", rights=[RequestedRight("access")], requester_email="a@example.org"
        )
    )
    return submission.status_token, str(submission.cases.get().public_id)


@FUZZ
@given(action=hostile_text, case=hostile_text, message=hostile_text)
def test_the_status_page_never_fails(client, status_token, action, case, message):
    token, case_id = status_token
    for case_value in (case, case_id):
        response = client.post(
            f"/privacy/status/{token}/", {"action": action, "case": case_value, "message": message}
        )
        assert response.status_code in (200, 302, 404), response.status_code


@FUZZ
@given(token=hostile_path_part, choice=hostile_text)
def test_links_with_arbitrary_tokens_never_fail(client, token, choice):
    for path in (
        f"/privacy/status/{token}/",
        f"/privacy/verify/{token}/",
        f"/privacy/unsubscribe/{token}/",
        f"/privacy/preferences/{token}/",
        f"/privacy/policy/{token}/",
        f"/privacy/policy/{token}/changes/",
    ):
        from urllib.parse import quote

        url = quote(path)
        assert client.get(url).status_code in (200, 404, 410), path
        assert client.post(url, {"marketing": choice}).status_code in (
            200,
            302,
            404,
            405,
            410,
            429,
        ), path


@FUZZ
@given(choice=hostile_text)
def test_the_preferences_page_never_fails(client, choice):
    subject = DataSubjectFactory()
    token = privacy_services.marketing_token(subject)
    response = client.post(f"/privacy/preferences/{token}/", {"marketing": choice})
    assert response.status_code == 200


@FUZZ
@given(language=hostile_text, next_url=hostile_text)
def test_the_language_switch_never_fails(client, language, next_url):
    response = client.post("/i18n/setlang/", {"language": language, "next": next_url})
    assert response.status_code in (200, 302, 400)
