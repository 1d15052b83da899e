import secrets

from django.contrib.auth.models import Group
from django.db import transaction

from accounts.models import User
from accounts.roles import Role


@transaction.atomic
def staff_account_ensure(
    *, username: str, email: str, password: str, roles: list[Role], superuser: bool = False
) -> tuple[User, bool]:
    """Create the staff account or bring it to the given state; returns (user, created).

    Idempotent: running it again resets the password and roles to what is passed.
    """
    user, created = User.objects.get_or_create(username=username, defaults={"email": email})
    user.email = email
    user.is_staff = True
    user.is_active = True
    user.is_superuser = superuser
    user.set_password(password)
    user.save()
    for role in roles:
        group, _ = Group.objects.get_or_create(name=role.group_name)
        user.groups.add(group)
    return user, created


def generate_password() -> str:
    return secrets.token_urlsafe(15)
