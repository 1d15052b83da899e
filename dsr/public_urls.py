from django.urls import path

from dsr import public_views

app_name = "dsr_public"

urlpatterns = [
    path("", public_views.home, name="home"),
    path("policy/", public_views.policy, name="policy"),
    path("policy/<str:version>/", public_views.policy, name="policy_version"),
    path("policy/<str:version>/changes/", public_views.policy_changes, name="policy_changes"),
    path("request/", public_views.request_form, name="request"),
    path("request/sent/", public_views.request_sent, name="request_sent"),
    path("status/<str:token>/", public_views.status, name="status"),
    path("unsubscribe/<str:token>/", public_views.unsubscribe, name="unsubscribe"),
    path("preferences/<str:token>/", public_views.preferences, name="preferences"),
    path("verify/<str:token>/", public_views.verify, name="verify"),
    path("verify/<str:token>/new-link/", public_views.verify_resend, name="verify_resend"),
]
