from django.conf import settings
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.shortcuts import redirect
from django_otp.admin import OTPAdminSite


class LoggedAutocompleteJsonView(AutocompleteJsonView):
    """Autocomplete searches by name or address: recorded like the list's own search, for
    models whose admin keeps an access log (core.admin_tools.AccessLoggedAdminMixin)."""

    def get(self, request, *args, **kwargs):
        term = request.GET.get("term", "")
        if "\x00" in term:
            # No stored text holds a NUL (PostgreSQL refuses them): dropped, as the admin's
            # list search refuses them, rather than a database error.
            request.GET = request.GET.copy()
            request.GET["term"] = term.replace("\x00", "")
        response = super().get(request, *args, **kwargs)
        record = getattr(self.model_admin, "access_log_search", None)
        if record is not None and self.term.strip() and response.status_code == 200:
            record(request, self.term.strip())
        return response


# The team's daily work first, then the register it answers from, the audit trail and
# operations, and staff accounts; third-party apps (sign-in devices, lockouts) after them.
APP_ORDER = ("dsr", "privacy", "processors", "core", "accounts")


class PortalAdminSite(OTPAdminSite):
    """The staff admin: open only to staff whose session a second factor verified.

    Sign-in itself is accounts.views (password, then code or enrolment)."""

    site_header = "Privacy operations portal"

    def __init__(self, name="admin"):
        super().__init__(name)

    def get_app_list(self, request, app_label=None):
        rank = {label: position for position, label in enumerate(APP_ORDER)}
        return sorted(
            super().get_app_list(request, app_label),
            key=lambda app: (rank.get(app["app_label"], len(rank)), app["name"].lower()),
        )

    def login(self, request, extra_context=None):
        from accounts.views import login

        return login(request)

    def logout(self, request, extra_context=None):
        response = super().logout(request, extra_context)
        return response if request.method == "POST" else redirect(settings.LOGIN_URL)

    def autocomplete_view(self, request):
        return LoggedAutocompleteJsonView.as_view(admin_site=self)(request)
