from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from privacy import health, selectors, services
from privacy.choices import WorkerCheckOrigin
from privacy.models import WorkerCheck


@admin.register(WorkerCheck)
class WorkerCheckAdmin(admin.ModelAdmin):
    """The system status page: service reachability, the worker's last sign of life, and a
    button that sends a task through the broker to prove the whole path works."""

    list_display = ("id", "origin", "requested_at", "requested_by", "completed_at", "worker")
    list_filter = ("origin",)
    list_select_related = ("requested_by",)
    readonly_fields = ("origin", "requested_at", "requested_by", "completed_at", "worker")
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        urls = [
            path(
                "send/",
                self.admin_site.admin_view(require_POST(self.send_check_view)),
                name="privacy_workercheck_send",
            )
        ]
        return urls + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        status = health.service_status()
        extra_context = {
            **(extra_context or {}),
            "service_status": status,
            "worker_last_seen": selectors.worker_last_seen() if status.database else None,
        }
        return super().changelist_view(request, extra_context=extra_context)

    def send_check_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        check = services.worker_check_request(
            origin=WorkerCheckOrigin.WEB, requested_by=request.user
        )
        self.message_user(
            request,
            _(
                "Test task #%(id)s queued. Reload this page: a running worker completes it "
                "within seconds."
            )
            % {"id": check.pk},
            messages.SUCCESS,
        )
        return redirect(reverse("admin:privacy_workercheck_changelist"))
