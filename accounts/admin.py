from axes import admin as axes_admin
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from django_otp_webauthn.admin import WebAuthnCredentialAdmin
from django_otp_webauthn.models import WebAuthnCredential

from accounts import selectors
from accounts.models import DigestFrequency, DigestSubscription, User
from accounts.permissions import digest_subscriptions_visible_to, sees_all_digests

DIGEST_FIELDS = ("frequency", "weekday", "hour", "time_zone", "language", "is_active")


class DigestSubscriptionInline(admin.TabularInline):
    model = DigestSubscription
    fields = DIGEST_FIELDS
    extra = 0
    verbose_name = _("digest")
    verbose_name_plural = _("digests (managers only)")

    def get_queryset(self, request):
        return digest_subscriptions_visible_to(request.user, super().get_queryset(request))


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "is_staff", "is_active")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
    search_fields = ("username", "first_name", "last_name", "email")
    ordering = ("username",)
    inlines = [DigestSubscriptionInline]

    def get_readonly_fields(self, request, obj=None):
        # Roles are the groups; only a superuser makes another one or grants one-off rights.
        readonly = super().get_readonly_fields(request, obj)
        if request.user.is_superuser:
            return readonly
        return (*readonly, "is_superuser", "user_permissions")


@admin.register(DigestSubscription)
class DigestSubscriptionAdmin(admin.ModelAdmin):
    """Managers set up their own digests; the privacy officer looks after everyone's."""

    list_display = ("user", "frequency", "schedule", "time_zone", "language", "receives")
    list_filter = ("frequency", "language", "is_active")
    list_select_related = ("user",)
    search_fields = ("user__username", "user__email", "user__first_name", "user__last_name")
    autocomplete_fields = ("user",)
    fields = ("user", *DIGEST_FIELDS, "created_at", "updated_at")
    readonly_fields = ("created_at", "updated_at")

    def get_queryset(self, request):
        return digest_subscriptions_visible_to(
            request.user, selectors.digest_subscriptions_annotated()
        )

    def get_autocomplete_fields(self, request):
        # A manager's own digests name only themselves: no search among colleagues.
        return self.autocomplete_fields if sees_all_digests(request.user) else ()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user" and not sees_all_digests(request.user):
            kwargs["queryset"] = User.objects.filter(pk=request.user.pk)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request):
        return {"user": request.user.pk, **super().get_changeform_initial_data(request)}

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


# django-axes' lock-outs: its clean-up action deletes attempts, so it needs that permission.
admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class AccessAttemptAdmin(axes_admin.AccessAttemptAdmin):
    @admin.action(description=_("Clean up expired attempts"), permissions=["delete"])
    def cleanup_expired_attempts(self, request, queryset):
        # django-axes counts "expired" from the time of a sign-in attempt, which only its
        # sign-in handling puts on the request (a 500 without it); here it counts from now.
        request.axes_attempt_time = None
        return super().cleanup_expired_attempts(request, queryset)


@admin.register(WebAuthnCredential)
class PasskeyAdmin(WebAuthnCredentialAdmin):
    """Staff's passkeys: the privacy officer removes a lost one (the owner then signs in with
    another factor or enrols again); never edited here, and no key material shown."""

    list_display = ("user", "name", "last_used_at", "created_at")
    search_fields = ("user__username", "name")

    def has_change_permission(self, request, obj=None):
        return False
