from accounts.models import User
from accounts.roles import Role


def staff_with_role(role: Role):
    """Active staff in the role's group who have an email address."""
    return (
        User.objects.filter(is_active=True, is_staff=True, groups__name=role.group_name)
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )


def emails_of(users) -> list[str]:
    return list(dict.fromkeys(user.email for user in users if user.email))
