"""Small helpers shared by tests."""

from collections.abc import Callable

from django.db import connection
from django.test.utils import CaptureQueriesContext


def count_queries(action: Callable[[], object]) -> int:
    """How many SQL queries `action` runs on the default database."""
    with CaptureQueriesContext(connection) as ctx:
        action()
    return len(ctx.captured_queries)


def queries_of_get(client, url: str) -> int:
    """Query count of a GET that must succeed; for "flat as rows grow" assertions."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)


def authenticator_for(user):
    """The user's confirmed authenticator app (TOTP), created if they have none."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="Test app", confirmed=True)


def authenticator_code(device) -> str:
    """The code the app shows now."""
    from django_otp.oath import totp

    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{code:0{device.digits}d}"


def verify_second_factor(client, user) -> None:
    """Mark the client's session as verified by the user's authenticator app."""
    from django_otp import DEVICE_ID_SESSION_KEY

    session = client.session
    session[DEVICE_ID_SESSION_KEY] = authenticator_for(user).persistent_id
    session.save()


def force_login_without_second_factor(client, user) -> None:
    """A session signed in with the password only: what a stolen password alone gets."""
    client.force_login_unverified(user)
