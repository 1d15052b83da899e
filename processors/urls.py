from django.urls import path

from processors import views

app_name = "public"

urlpatterns = [
    path("subprocessors/", views.subprocessor_list, name="subprocessors"),
]
