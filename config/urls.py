from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Staff-only documents built from the register (the Art. 30 record); before the admin's
    # catch-all so that /admin/register/... is ours.
    path("admin/register/", include("processors.staff_urls")),
    path("admin/two-factor/webauthn/", include("django_otp_webauthn.urls")),
    path("admin/two-factor/", include("accounts.urls")),
    path("admin/dsr-documents/", include("dsr.staff_urls")),
    path("admin/", admin.site.urls),
    # Public pages for data subjects.
    path("privacy/", include("processors.urls")),
    path("privacy/", include("dsr.public_urls")),
    # Signed callbacks from systems that fulfil requests (webhook connectors).
    path("dsr/", include("dsr.urls")),
    path("", RedirectView.as_view(pattern_name="dsr_public:home", permanent=False)),
]
