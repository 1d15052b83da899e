"""Staff sign-in: password, then the second factor, or enrolment of one at the first visit.

The second factor is a code (authenticator app or backup code) or a passkey. Passkeys use
django-otp-webauthn: its own views (/admin/two-factor/webauthn/) register passkeys for a
signed-in user; the two passkey views below are its sign-in views, narrowed to the sign-in
that the password step left pending, so that a passkey is never a way in on its own.
"""

import segno
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp_webauthn import exceptions as passkey_errors
from django_otp_webauthn.templatetags.otp_webauthn import get_configuration
from django_otp_webauthn.views import (
    BeginCredentialAuthenticationView,
    CompleteCredentialAuthenticationView,
)

from accounts import two_factor
from accounts.forms import CodeForm

PENDING_USER = "two_factor_pending_user"
PENDING_BACKEND = "two_factor_pending_backend"
PENDING_SINCE = "two_factor_pending_since"
PENDING_SECONDS = 300


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/admin/"


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login(request):
    """Step one: username and password. Then a code, or enrolment for staff without one."""
    if request.user.is_authenticated and request.user.is_verified():
        return redirect(_next(request))
    form = AuthenticationForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.get_user()
        if not user.is_staff:
            form.add_error(None, _("This account has no access to the staff pages."))
        elif two_factor.has_second_factor(user):
            request.session.cycle_key()
            request.session[PENDING_USER] = user.pk
            request.session[PENDING_BACKEND] = user.backend
            request.session[PENDING_SINCE] = timezone.now().timestamp()
            return redirect(f"{settings.TWO_FACTOR_URL}?next={_next(request)}")
        else:
            auth_login(request, user)  # signed in, not verified: only enrolment is open
            return redirect(f"{settings.TWO_FACTOR_SETUP_URL}?next={_next(request)}")
    return render(
        request, "accounts/login.html", {"form": form, "next": _next(request), "step": "password"}
    )


def _pending_user(request):
    user_id = request.session.get(PENDING_USER)
    since = request.session.get(PENDING_SINCE, 0)
    if not user_id or timezone.now().timestamp() - since > PENDING_SECONDS:
        return None
    return get_user_model().objects.filter(pk=user_id, is_active=True, is_staff=True).first()


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def verify(request):
    """Step two: the code from the authenticator app, or a backup code."""
    user = _pending_user(request)
    if user is None:
        messages.error(request, _("Sign in again: the sign-in took too long."))
        return redirect(f"{settings.LOGIN_URL}?next={_next(request)}")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = two_factor.verify(user=user, code=form.cleaned_data["code"], request=request)
        if device is not None:
            _complete_sign_in(request, user, device)
            return redirect(_next(request))
        form.add_error("code", _("That code is not right, or it was used already."))
    context = {"form": form, "next": _next(request), "step": "code"}
    if two_factor.has_passkey(user):
        # django-otp-webauthn's script, pointed at the sign-in views below.
        context["passkey_config"] = get_configuration(
            request,
            {
                "beginAuthenticationUrl": reverse("accounts:passkey_begin"),
                "completeAuthenticationUrl": reverse("accounts:passkey_complete"),
            },
        )
    return render(request, "accounts/login.html", context)


def _complete_sign_in(request, user, device) -> None:
    """The second factor is done: sign the pending user in, verified by `device`."""
    backend = request.session.get(PENDING_BACKEND)
    for key in (PENDING_USER, PENDING_BACKEND, PENDING_SINCE):
        request.session.pop(key, None)
    auth_login(request, user, backend=backend)
    otp_login(request, device)


class _PendingSignInMixin:
    """django-otp-webauthn's sign-in ceremony for the user who passed the password step only:
    the passkeys offered are that user's, and one of someone else's is refused."""

    def get_user(self):
        return _pending_user(self.request)

    def check_can_authenticate(self):
        if self.get_user() is None:
            raise passkey_errors.NotAuthenticated(
                detail=_("Sign in again: the sign-in took too long.")
            )


class PasskeySignInBegin(_PendingSignInMixin, BeginCredentialAuthenticationView):
    """POST: the WebAuthn challenge for the pending user's passkeys (JSON)."""


class PasskeySignInComplete(_PendingSignInMixin, CompleteCredentialAuthenticationView):
    """POST: the browser's signed answer (JSON); on success the same sign-in as a right code,
    and the page to go to next. A failure counts as a failed sign-in (django-axes)."""

    def complete_auth(self, device):
        _complete_sign_in(self.request, device.user, device)

    def get_success_url(self):
        return _next(self.request)

    def handle_exception(self, exc):
        user = _pending_user(self.request)
        if user is not None and isinstance(exc, passkey_errors.OTPWebAuthnApiError):
            user_login_failed.send(
                sender=__name__,
                credentials={"username": user.get_username()},
                request=self.request,
            )
        return super().handle_exception(exc)


@login_required(login_url=settings.LOGIN_URL)
@never_cache
@require_http_methods(["GET", "POST"])
def setup(request):
    """Enrolment at the first sign-in: scan the QR code, confirm with a code."""
    user = request.user
    if not user.is_staff:
        return redirect("/")
    if two_factor.has_second_factor(user):
        if request.user.is_verified():
            return redirect(_next(request))
        return redirect(f"{settings.LOGIN_URL}?next={_next(request)}")
    device = two_factor.enrolment_device(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        confirmed, codes = two_factor.enrolment_confirm(user=user, code=form.cleaned_data["code"])
        if confirmed is not None:
            otp_login(request, confirmed)
            return render(
                request, "accounts/backup_codes.html", {"codes": codes, "next": _next(request)}
            )
        form.add_error("code", _("That code is not right. Check the time on your phone."))
    qr = segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)
    return render(
        request,
        "accounts/setup.html",
        {"form": form, "qr": qr, "secret": _spaced(device.config_url), "next": _next(request)},
    )


@login_required(login_url=settings.LOGIN_URL)
@require_POST
@never_cache
def new_backup_codes(request):
    if not request.user.is_verified():
        return redirect(settings.LOGIN_URL)
    codes = two_factor.backup_codes_issue(user=request.user)
    return render(
        request,
        "accounts/backup_codes.html",
        {"codes": codes, "next": reverse("accounts:methods")},
    )


@login_required(login_url=settings.LOGIN_URL)
@require_POST
@never_cache
def passkey_added(request):
    """Posted by the page once django-otp-webauthn has registered a passkey (its registration
    view also verifies the session of a first enrolment, as a confirmed app does). A first
    enrolment gets its backup codes; otherwise back to the sign-in methods."""
    user = request.user
    if not user.is_staff or not user.is_verified() or not two_factor.has_passkey(user):
        return redirect(f"{settings.LOGIN_URL}?next={_next(request)}")
    two_factor.passkey_registered(user=user)
    if not two_factor.has_backup_codes(user):
        codes = two_factor.backup_codes_issue(user=user)
        return render(
            request, "accounts/backup_codes.html", {"codes": codes, "next": _next(request)}
        )
    messages.success(request, _("Your passkey was added."))
    return redirect("accounts:methods")


@login_required(login_url=settings.LOGIN_URL)
@require_POST
@never_cache
def passkey_remove(request, pk: int):
    if not request.user.is_staff or not request.user.is_verified():
        return redirect(f"{settings.LOGIN_URL}?next={reverse('accounts:methods')}")
    try:
        two_factor.passkey_remove(user=request.user, passkey_id=pk)
    except two_factor.MethodRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("The passkey was removed."))
    return redirect("accounts:methods")


@login_required(login_url=settings.LOGIN_URL)
@never_cache
@require_http_methods(["GET"])
def sign_in_methods(request):
    """Your sign-in methods: apps, passkeys and backup codes; add a passkey, new codes."""
    if not request.user.is_staff or not request.user.is_verified():
        return redirect(f"{settings.LOGIN_URL}?next={request.path}")
    return render(
        request,
        "accounts/methods.html",
        {
            **admin.site.each_context(request),  # the admin's header: user tools, log out
            **two_factor.sign_in_methods(request.user),
            "next": request.path,
        },
    )


def _spaced(config_url: str) -> str:
    """The key from the otpauth:// URL, in groups of four, for typing it in by hand."""
    from urllib.parse import parse_qs, urlparse

    secret = parse_qs(urlparse(config_url).query).get("secret", [""])[0]
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
