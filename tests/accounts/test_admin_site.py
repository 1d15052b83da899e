"""The admin's index and sidebar: the team's daily work first, in the reader's language."""

import pytest
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db


def test_the_index_lists_requests_first_then_the_register_then_audit(admin_client):
    apps = [
        app["app_label"] for app in admin_client.get(reverse("admin:index")).context["app_list"]
    ]

    assert apps[:5] == ["dsr", "privacy", "processors", "core", "accounts"]
    assert len(apps) > 5  # sign-in devices and lockouts come after


def test_the_sidebar_keeps_the_same_order_in_swedish(admin_client):
    with translation.override("sv"):
        response = admin_client.get(
            reverse("admin:dsr_dsrcase_changelist"), headers={"accept-language": "sv"}
        )
        names = [str(app["name"]) for app in response.context["available_apps"]]

    page = response.content.decode()
    assert (
        page.index("Begäranden") < page.index("Dataskyddsregister") < page.index("Personalkonton")
    )
    assert names[:5] == [
        "Begäranden",
        "Dataskyddsregister",
        "Biträden och överföringar",
        "Granskning och drift",
        "Personalkonton",
    ]
