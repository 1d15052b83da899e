"""Staff sign-in: password, then the second factor, or enrolment of one at the first visit."""

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

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
            backend = request.session.get(PENDING_BACKEND)
            for key in (PENDING_USER, PENDING_BACKEND, PENDING_SINCE):
                request.session.pop(key, None)
            auth_login(request, user, backend=backend)
            otp_login(request, device)
            return redirect(_next(request))
        form.add_error("code", _("That code is not right, or it was used already."))
    return render(
        request, "accounts/login.html", {"form": form, "next": _next(request), "step": "code"}
    )


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
    return render(request, "accounts/backup_codes.html", {"codes": codes, "next": "/admin/"})


def _spaced(config_url: str) -> str:
    """The key from the otpauth:// URL, in groups of four, for typing it in by hand."""
    from urllib.parse import parse_qs, urlparse

    secret = parse_qs(urlparse(config_url).query).get("secret", [""])[0]
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
