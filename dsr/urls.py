from django.urls import path

from dsr import views

app_name = "dsr"

urlpatterns = [
    path("callback/<uuid:task_id>/", views.webhook_callback, name="webhook-callback"),
]
