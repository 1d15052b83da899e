"""Who sees which staff rows: a manager keeps their own digests, whoever holds
VIEW_ALL_DIGESTS (the privacy officer, auditors: accounts.roles) sees everyone's."""

from django.db.models import QuerySet

VIEW_ALL_DIGESTS = "accounts.view_all_digestsubscription"


def sees_all_digests(user) -> bool:
    return user.has_perm(VIEW_ALL_DIGESTS)


def digest_subscriptions_visible_to(user, queryset: QuerySet) -> QuerySet:
    return queryset if sees_all_digests(user) else queryset.filter(user=user.pk)
