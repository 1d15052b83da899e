from django.urls import path

from dsr import public_views

app_name = "dsr_public"

urlpatterns = [
    path("request/", public_views.request_form, name="request"),
    path("request/sent/", public_views.request_sent, name="request_sent"),
    path("verify/<str:token>/", public_views.verify, name="verify"),
    path("verify/<str:token>/new-link/", public_views.verify_resend, name="verify_resend"),
]
