"""Staff sign-in with a mandatory second factor (django-otp): the rules, without HTTP.

- A password alone never opens the admin: the admin site requires a session verified by a
  TOTP authenticator app, a passkey (django-otp-webauthn) or a single-use backup code.
- Staff without a device enrol at their first sign-in (a QR code for their app, or a passkey),
  and get ten backup codes, shown once.
- A passkey is only ever a second factor, after the password: the passkey views in
  accounts.views serve the pending sign-in only, and passwordless sign-in is off
  (OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN).
- Failed codes count as failed sign-ins, so django-axes locks the account as it does for
  wrong passwords; django-otp also slows down repeated failures per device.
"""

import secrets

from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

BACKUP_CODES = 10
APP_DEVICE_NAME = "Authenticator app"
BACKUP_DEVICE_NAME = "Backup codes"
PASSKEY_DEVICE_NAME = "Passkey"


def has_second_factor(user) -> bool:
    return any(True for _ in devices_for_user(user, confirmed=True))


def enrolment_device(user) -> TOTPDevice:
    """The user's unconfirmed authenticator device, made on first use (the QR code's key)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)


@transaction.atomic
def enrolment_confirm(*, user, code: str) -> tuple[TOTPDevice | None, list[str]]:
    """Confirm the app with a code it shows; on success also issue backup codes.
    Returns (device, backup codes) or (None, []) for a wrong code."""
    device = enrolment_device(user)
    if not device.verify_token(_digits(code)):
        return None, []
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return device, backup_codes_issue(user=user)


def has_passkey(user) -> bool:
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()


def has_backup_codes(user) -> bool:
    return StaticDevice.objects.filter(user=user, name=BACKUP_DEVICE_NAME).exists()


def sign_in_methods(user) -> dict:
    """What the user signs in with: apps, passkeys, and how many backup codes are left."""
    return {
        "apps": list(TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk")),
        "passkeys": list(
            WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("pk")
        ),
        "backup_codes_left": StaticToken.objects.filter(
            device__user=user, device__name=BACKUP_DEVICE_NAME
        ).count(),
    }


class MethodRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@transaction.atomic
def passkey_remove(*, user, passkey_id: int) -> None:
    """Remove one of the user's own passkeys (a lost or replaced key), as long as an app or
    another passkey remains: backup codes alone are for emergencies, not for every day."""
    passkey = WebAuthnCredential.objects.select_for_update().filter(user=user, pk=passkey_id)
    passkey = passkey.first()
    if passkey is None:
        raise MethodRefused(_("That passkey was removed already."))
    others = (
        WebAuthnCredential.objects.filter(user=user, confirmed=True).exclude(pk=passkey.pk).exists()
        or TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    )
    if not others:
        raise MethodRefused(
            _("Add an authenticator app or another passkey first: it is your only one.")
        )
    passkey.delete()


@transaction.atomic
def passkey_registered(*, user) -> None:
    """After django-otp-webauthn saved a passkey: give it a name, and drop the authenticator
    app enrolment that a first sign-in with a passkey left unconfirmed."""
    WebAuthnCredential.objects.filter(user=user, name="").update(name=PASSKEY_DEVICE_NAME)
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()


@transaction.atomic
def backup_codes_issue(*, user) -> list[str]:
    """A fresh set of single-use backup codes; earlier ones stop working."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def verify(*, user, code: str, request=None):
    """The device that accepts `code` (an app's six digits, or a backup code), or None.

    A wrong code is reported as a failed sign-in, so lockouts cover codes too.
    """
    code = (code or "").strip()
    digits = _digits(code)
    candidates = (
        TOTPDevice.objects.filter(user=user, confirmed=True)
        if digits.isdigit() and len(digits) == 6
        else StaticDevice.objects.filter(user=user, confirmed=True)
    )
    for device in candidates:
        allowed, _info = device.verify_is_allowed()
        if allowed and device.verify_token(digits if digits.isdigit() else code):
            return device
    user_login_failed.send(
        sender=__name__,
        credentials={"username": user.get_username()},
        request=request,
    )
    return None


@transaction.atomic
def second_factor_reset(*, user) -> None:
    """Remove every device (a lost phone or passkey): the user enrols again at the next
    sign-in."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    WebAuthnCredential.objects.filter(user=user).delete()


def _digits(code: str) -> str:
    return "".join(str(code or "").split()).replace("-", "")


def random_key() -> str:
    return secrets.token_hex(20)
