"""The public sub-processor list at /privacy/subprocessors/, generated from the register."""

import re

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from processors.choices import ProcessorRole
from tests.factories import (
    ControllerProfileFactory,
    ProcessorFactory,
    ProcessorWithAgreementFactory,
    TransferFactory,
    country,
)
from tests.helpers import queries_of_get

pytestmark = pytest.mark.django_db

URL = "/privacy/subprocessors/"


def text_of(response) -> str:
    """The page's text with whitespace collapsed, for assertions on what a reader sees."""
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def register(time_machine):
    """Three listed recipients (EEA, adequate country, US sub-processor with SCCs) and three
    that must not be listed."""
    time_machine.move_to("2025-03-01T10:00:00Z", tick=False)
    ControllerProfileFactory()
    hosting = ProcessorWithAgreementFactory(
        name="Hosting Co",
        legal_entity="Hosting Co GmbH",
        country=country("DE"),
        public_purpose="Cloud hosting in the EU",
        public_purpose_sv="Molndrift inom EU",
    )
    ProcessorWithAgreementFactory(
        name="Helpdesk AG",
        country=country("CH"),
        public_purpose="Helpdesk software",
        public_purpose_sv="",
    )
    sign_in = ProcessorWithAgreementFactory(
        name="Auth Inc",
        country=country("US"),
        role=ProcessorRole.SUB_PROCESSOR,
        parent=hosting,
        public_purpose="Staff sign-in",
        public_purpose_sv="Personalens inloggning",
    )
    transfer = TransferFactory(importer=sign_in)
    ProcessorFactory(name="Payments Ltd", public_purpose="Payments")  # independent controller
    unlisted = ProcessorWithAgreementFactory(name="Unlisted Vendor", listed_publicly=False)
    ProcessorWithAgreementFactory(name="Retired Vendor", is_active=False)

    # The transfer's latest change sets "last updated"; a change to an unlisted processor
    # does not.
    time_machine.move_to("2025-04-02T10:00:00Z", tick=False)
    transfer.save()
    time_machine.move_to("2025-05-03T10:00:00Z", tick=False)
    unlisted.save()
    return {"hosting": hosting, "sign_in": sign_in, "transfer": transfer}


def test_the_url_is_the_public_sub_processor_list():
    assert reverse("public:subprocessors") == URL


def test_lists_processors_with_purpose_location_mechanism_and_last_update(client, register):
    response = client.get(URL)

    assert response.status_code == 200
    page = text_of(response)
    rows = re.findall(r'<th scope="row"[^>]*>\s*([^<]+?)\s*<', response.content.decode())
    # Each sub-processor follows the processor that engaged it.
    assert rows == ["Helpdesk AG", "Hosting Co", "Auth Inc"]
    assert "Payments Ltd" not in page
    assert "Unlisted Vendor" not in page and "Retired Vendor" not in page

    assert "Cloud hosting in the EU" in page and "Hosting Co GmbH" in page
    assert "Germany" in page and "Switzerland" in page and "United States" in page
    assert "Within the EEA" in page
    assert "Adequacy decision" in page
    assert "Standard contractual clauses 2021/914" in page and "Module 2" in page
    assert "Sub-processor engaged by Hosting Co" in page
    assert '<time datetime="2025-04-02">' in page
    assert "Opper Technology AB" in page


def test_the_page_is_a_table_with_caption_and_header_scopes(client, register):
    page = client.get(URL).content.decode()

    assert "<caption" in page
    assert page.count('scope="col"') == 4
    assert page.count('scope="row"') == 3
    assert '<html lang="en"' in page
    assert 'href="#main"' in page and 'id="main"' in page
    # Self-contained: no scripts, and nothing loaded from another origin.
    assert "<script" not in page
    assert " src=" not in page
    assert re.findall(r'<link [^>]*href="([^"]+)"', page) == ["/static/privacy/public.css"]


def test_swedish_visitors_get_swedish_purposes_and_country_names(client, register):
    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="sv-SE,sv;q=0.9,en;q=0.5")

    page = text_of(response)
    assert response["Content-Language"] == "sv"
    assert '<html lang="sv"' in page
    assert "Molndrift inom EU" in page and "Personalens inloggning" in page
    assert "Helpdesk software" in page  # no Swedish purpose: the English one
    assert "Tyskland" in page and "Schweiz" in page and "USA" in page
    assert "Germany" not in page


def test_the_language_cookie_chooses_swedish_too(client, register):
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "sv"

    page = text_of(client.get(URL))

    assert "Molndrift inom EU" in page and "Tyskland" in page


def test_the_language_switcher_posts_to_set_language_with_csrf(register):
    client = Client(enforce_csrf_checks=True)
    page = client.get(URL).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert 'action="/i18n/setlang/"' in page

    response = client.post(
        "/i18n/setlang/",
        {"csrfmiddlewaretoken": token, "language": "sv", "next": URL},
        follow=True,
    )

    assert response.redirect_chain == [(URL, 302)]
    assert "Molndrift inom EU" in text_of(response)


def test_query_count_is_the_same_for_3_and_30_processors(client, register):
    few = queries_of_get(client, URL)
    for index in range(27):
        processor = ProcessorWithAgreementFactory(country=country("US"))
        if index % 3 == 0:
            TransferFactory(importer=processor)

    many = queries_of_get(client, URL)

    assert many == few
    assert few <= 5  # processors with transfers, the controller, the policy banner


def test_processor_names_and_purposes_are_escaped(client, register):
    ProcessorWithAgreementFactory(
        name="<script>alert('name')</script>", public_purpose='<img src=x onerror="alert(1)">'
    )

    page = client.get(URL).content.decode()

    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;alert(&#x27;name&#x27;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page


def test_an_empty_register_still_renders(client):
    response = client.get(URL)

    assert response.status_code == 200
    assert "<table" not in response.content.decode()


def test_only_safe_methods_and_browser_caching(client, register):
    response = client.get(URL)

    assert "private" in response["Cache-Control"] and "max-age=300" in response["Cache-Control"]
    assert client.post(URL).status_code == 405
