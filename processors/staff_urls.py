from django.urls import path, re_path

from processors import staff_views

app_name = "register"

urlpatterns = [
    re_path(
        r"^record-of-processing/(?P<view>controller|processor)\.(?P<fmt>pdf|csv)$",
        staff_views.ropa_download,
        name="ropa_download",
    ),
    path(
        "agreements/<int:pk>/document/",
        staff_views.agreement_document,
        name="agreement_document",
    ),
]
