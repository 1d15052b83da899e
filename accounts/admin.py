from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts import selectors
from accounts.models import DigestFrequency, DigestSubscription, User

DIGEST_FIELDS = ("frequency", "weekday", "hour", "time_zone", "language", "is_active")


class DigestSubscriptionInline(admin.TabularInline):
    model = DigestSubscription
    fields = DIGEST_FIELDS
    extra = 0
    verbose_name = _("digest")
    verbose_name_plural = _("digests (managers only)")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "is_staff", "is_active")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
    search_fields = ("username", "first_name", "last_name", "email")
    ordering = ("username",)
    inlines = [DigestSubscriptionInline]


@admin.register(DigestSubscription)
class DigestSubscriptionAdmin(admin.ModelAdmin):
    list_display = ("user", "frequency", "schedule", "time_zone", "language", "receives")
    list_filter = ("frequency", "language", "is_active")
    list_select_related = ("user",)
    search_fields = ("user__username", "user__email", "user__first_name", "user__last_name")
    autocomplete_fields = ("user",)
    fields = ("user", *DIGEST_FIELDS, "created_at", "updated_at")
    readonly_fields = ("created_at", "updated_at")

    def get_queryset(self, request):
        return selectors.digest_subscriptions_annotated()

    @admin.display(description=_("when"))
    def schedule(self, obj: DigestSubscription) -> str:
        values = {"hour": obj.get_hour_display(), "weekday": obj.get_weekday_display()}
        if obj.frequency == DigestFrequency.WEEKLY:
            return _("%(weekday)s after %(hour)s") % values
        if obj.frequency == DigestFrequency.MONTHLY:
            return _("the 1st after %(hour)s") % values
        return _("every day after %(hour)s") % values

    @admin.display(description=_("receives it"), boolean=True)
    def receives(self, obj: DigestSubscription) -> bool:
        """Only active managers with an email address get digests (see accounts.selectors)."""
        user = obj.user
        return bool(
            obj.is_active and obj.is_manager and user.is_active and user.is_staff and user.email
        )
