from django.db.models import Exists, OuterRef

from accounts.models import DigestSubscription, User
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


def _is_manager():
    return Exists(
        User.groups.through.objects.filter(
            user_id=OuterRef("user_id"), group__name=Role.MANAGER.group_name
        )
    )


def digest_subscriptions_annotated():
    """Subscriptions with their user and `is_manager` (only managers receive digests)."""
    return DigestSubscription.objects.select_related("user").annotate(is_manager=_is_manager())


def digest_subscriptions_active():
    """Subscriptions whose digests go out: switched on, for an active manager with an address.
    One query, whatever the number of managers."""
    return (
        DigestSubscription.objects.filter(is_active=True, user__is_active=True, user__is_staff=True)
        .exclude(user__email="")
        .filter(_is_manager())
        .select_related("user")
        .order_by("pk")
    )
