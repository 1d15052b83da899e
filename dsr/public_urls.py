from django.urls import path, register_converter

from dsr import public_views

app_name = "dsr_public"


class VersionConverter:
    """A policy version as people write them: 2024-08-19, 3.1, v2 (anything else is a 404)."""

    regex = r"[0-9A-Za-z][0-9A-Za-z._-]{0,49}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(VersionConverter, "version")

urlpatterns = [
    path("", public_views.home, name="home"),
    path("policy/", public_views.policy, name="policy"),
    path("policy/<version:version>/", public_views.policy, name="policy_version"),
    path("policy/<version:version>/changes/", public_views.policy_changes, name="policy_changes"),
    path("request/", public_views.request_form, name="request"),
    path("request/sent/", public_views.request_sent, name="request_sent"),
    path("status/<str:token>/", public_views.status, name="status"),
    path(
        "status/<str:token>/download/<uuid:export_id>/",
        public_views.download,
        name="download",
    ),
    path(
        "status/<str:token>/download/<uuid:export_id>/<slug:kind>/",
        public_views.download_file,
        name="download_file",
    ),
    path("unsubscribe/<str:token>/", public_views.unsubscribe, name="unsubscribe"),
    path("preferences/<str:token>/", public_views.preferences, name="preferences"),
    path("verify/<str:token>/", public_views.verify, name="verify"),
    path("verify/<str:token>/new-link/", public_views.verify_resend, name="verify_resend"),
]
