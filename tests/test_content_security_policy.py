"""A strict Content-Security-Policy on every page, and pages that live within it."""

import pytest

pytestmark = pytest.mark.django_db


def policy(response) -> dict[str, str]:
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, _, value = part.strip().partition(" ")
        directives[name] = value
    return directives


def test_public_pages_allow_nothing_from_elsewhere_and_no_inline_code(client):
    csp = policy(client.get("/privacy/request/"))
    assert csp["default-src"] == "'self'"
    assert csp["script-src"] == "'self'"
    assert csp["style-src"] == "'self'"
    assert csp["object-src"] == "'none'"
    assert csp["frame-ancestors"] == "'none'"
    assert csp["base-uri"] == "'none'"


def test_the_admin_may_use_inline_styles_but_not_scripts(admin_client):
    csp = policy(admin_client.get("/admin/"))
    assert csp["style-src"] == "'self' 'unsafe-inline'"
    assert csp["script-src"] == "'self'"


def test_other_security_headers(client):
    response = client.get("/privacy/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_pages_render_without_policy_violations(staff_page, live_server):
    """Chromium reports every resource or script the policy blocks; there must be none."""
    from tests.factories import ControllerProfileFactory, DsrCaseFactory

    ControllerProfileFactory()
    case = DsrCaseFactory()
    violations = []
    staff_page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    for path in (
        "/admin/",
        "/admin/dsr/dsrcase/",
        f"/admin/dsr/dsrcase/{case.pk}/change/",
        "/admin/privacy/processingactivity/add/",
        "/admin/processors/processor/add/",
        "/privacy/",
        "/privacy/request/",
        "/privacy/subprocessors/",
    ):
        staff_page.goto(f"{live_server.url}{path}")
        staff_page.wait_for_load_state("networkidle")
    assert violations == []
