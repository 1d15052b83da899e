"""The platform's records in the admin: the access log, outgoing email, notices sent once and
the system status page. All of them are read-only: they are what the portal did."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from core import health, selectors, services
from core.admin_tools import (
    AccessLogged,
    AccessLoggedAdminMixin,
    EstimatedCountPaginator,
    IndexedValuesFilter,
    ReadOnlyAdmin,
)
from core.choices import OutboxStatus, WorkerCheckOrigin
from core.errors import ApplicationError
from core.models import AccessLogEntry, OutboxEmail, SentNotice, WorkerCheck


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(AccessLoggedAdminMixin, ReadOnlyAdmin):
    """Who saw what, when and why; for auditors. Nobody edits or deletes it."""

    # Searching the log finds what someone looked at: that is logged too.
    access_logged = AccessLogged("access log", views=False)

    list_display = (
        "at",
        "actor",
        "action",
        "object_type",
        "object_id",
        "case_reference",
        "purpose",
        "ip_address",
    )
    list_filter = ("action", ("object_type", IndexedValuesFilter))
    list_select_related = ("actor",)
    search_fields = ("=case_reference", "=object_id")
    readonly_fields = (
        "at",
        "actor",
        "action",
        "object_type",
        "object_id",
        "subject_id",
        "case_reference",
        "purpose",
        "query",
        "ip_address",
        "previous_hash",
        "row_hash",
    )
    fields = readonly_fields
    paginator = EstimatedCountPaginator


@admin.register(SentNotice)
class SentNoticeAdmin(ReadOnlyAdmin):
    list_display = ("key", "category", "created_at", "recipients", "superseded")
    list_filter = ("category", "superseded")
    search_fields = ("=key",)
    paginator = EstimatedCountPaginator


@admin.register(OutboxEmail)
class OutboxEmailAdmin(ReadOnlyAdmin):
    """Every email the portal sends, and what became of it; failures are kept in view."""

    list_display = ("reference", "subject", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status",)
    search_fields = ("reference",)
    readonly_fields = (
        "reference",
        "to",
        "subject",
        "status",
        "attempts",
        "created_at",
        "next_attempt_at",
        "sent_at",
        "last_error",
        "headers",
        "body_text",
    )
    fields = readonly_fields
    actions = ("send_again",)
    paginator = EstimatedCountPaginator

    def has_resend_permission(self, request):
        # Sending again changes an email's state, never what it says: the change permission.
        return request.user.has_perm("core.change_outboxemail")

    @admin.action(description=_("Send the failed emails again"), permissions=["resend"])
    def send_again(self, request, queryset):
        failed = list(queryset.filter(status=OutboxStatus.FAILED))
        for email in failed:
            services.outbox_retry(email=email)
        self.message_user(
            request,
            _("%(count)d email(s) queued again.") % {"count": len(failed)},
            messages.SUCCESS if failed else messages.WARNING,
        )


@admin.register(WorkerCheck)
class WorkerCheckAdmin(ReadOnlyAdmin):
    """The system status page: service reachability, the worker's last sign of life, and a
    button that sends a task through the broker to prove the whole path works."""

    list_display = ("id", "origin", "requested_at", "requested_by", "completed_at", "worker")
    list_filter = ("origin",)
    list_select_related = ("requested_by",)
    readonly_fields = ("origin", "requested_at", "requested_by", "completed_at", "worker")

    def get_urls(self):
        urls = [
            path(
                "send/",
                self.admin_site.admin_view(require_POST(self.send_check_view)),
                name="core_workercheck_send",
            )
        ]
        return urls + super().get_urls()

    def has_send_permission(self, request):
        # A test task writes a row: the add permission, though there is no add form.
        return request.user.has_perm("core.add_workercheck")

    def changelist_view(self, request, extra_context=None):
        status = health.service_status()
        extra_context = {
            **(extra_context or {}),
            "can_send_check": self.has_send_permission(request),
            "service_status": status,
            "worker_last_seen": selectors.worker_last_seen() if status.database else None,
        }
        return super().changelist_view(request, extra_context=extra_context)

    def send_check_view(self, request):
        if not self.has_send_permission(request):
            raise PermissionDenied
        try:
            check = services.worker_check_request(
                origin=WorkerCheckOrigin.WEB, requested_by=request.user
            )
        except ApplicationError as error:
            self.message_user(request, error.message, messages.ERROR)
            return redirect(reverse("admin:core_workercheck_changelist"))
        self.message_user(
            request,
            _(
                "Test task #%(id)s queued. Reload this page: a running worker completes it "
                "within seconds."
            )
            % {"id": check.pk},
            messages.SUCCESS,
        )
        return redirect(reverse("admin:core_workercheck_changelist"))
