from django.conf import settings
from django.shortcuts import redirect
from django_otp.admin import OTPAdminSite


class PortalAdminSite(OTPAdminSite):
    """The staff admin: open only to staff whose session a second factor verified.

    Sign-in itself is accounts.views (password, then code or enrolment)."""

    site_header = "Privacy operations portal"

    def __init__(self, name="admin"):
        super().__init__(name)

    def login(self, request, extra_context=None):
        from accounts.views import login

        return login(request)

    def logout(self, request, extra_context=None):
        response = super().logout(request, extra_context)
        return response if request.method == "POST" else redirect(settings.LOGIN_URL)
