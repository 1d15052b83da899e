"""Demo data for `seed_demo`: the staff account printed by `make run`."""

from django.conf import settings

from accounts.roles import Role
from accounts.services import generate_password, staff_account_ensure

DEMO_USERNAME = "demo"
DEMO_EMAIL = "demo.officer@example.com"


def _demo_password() -> str:
    # Kept under var/ so the password survives restarts but is never a default anyone knows.
    path = settings.VAR_DIR / "demo-staff-password"
    if path.is_file() and path.read_text().strip():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    password = generate_password()
    path.write_text(password + "\n")
    path.chmod(0o600)
    return password


def seed(stdout) -> None:
    password = _demo_password()
    _, created = staff_account_ensure(
        username=DEMO_USERNAME,
        email=DEMO_EMAIL,
        password=password,
        roles=[Role.PRIVACY_OFFICER],
        superuser=True,
    )
    stdout.write(
        f"Demo staff account {'created' if created else 'ready'}: "
        f"username {DEMO_USERNAME!r}, password {password!r}"
    )
