"""The demo staff account printed by `make run`, with its second factor."""

import base64

from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import two_factor
from accounts.roles import Role
from accounts.services import generate_password, staff_account_ensure

DEMO_USERNAME = "demo"
DEMO_EMAIL = "demo.officer@example.com"
BACKUP_CODES_SHOWN = 3


def _kept(name: str, make) -> str:
    """A secret kept under var/ so it survives restarts but is never a default anyone knows."""
    path = settings.VAR_DIR / name
    if path.is_file() and path.read_text().strip():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = make()
    path.write_text(value + "\n")
    path.chmod(0o600)
    return value


def seed(stdout) -> None:
    password = _kept("demo-staff-password", generate_password)
    user, created = staff_account_ensure(
        username=DEMO_USERNAME,
        email=DEMO_EMAIL,
        password=password,
        roles=[Role.PRIVACY_OFFICER],
        superuser=True,
    )
    # Sign-in needs a second factor, for the demo too: an authenticator key to add to an app,
    # and a few single-use backup codes (new ones every run).
    key = _kept("demo-staff-totp-key", two_factor.random_key)
    TOTPDevice.objects.update_or_create(
        user=user, name=two_factor.APP_DEVICE_NAME, defaults={"key": key, "confirmed": True}
    )
    codes = two_factor.backup_codes_issue(user=user)[:BACKUP_CODES_SHOWN]
    secret = base64.b32encode(bytes.fromhex(key)).decode()
    stdout.write(
        f"Demo staff account {'created' if created else 'ready'}: "
        f"username {DEMO_USERNAME!r}, password {password!r}\n"
        f"  Two-factor sign-in: add the key {secret} to an authenticator app, "
        f"or use a backup code: {', '.join(codes)}"
    )
