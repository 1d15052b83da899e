"""Every export of every case, read-only: they are made and retried on the case's page."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin_tools import (
    AccessLogged,
    AccessLoggedAdminMixin,
    EstimatedCountPaginator,
    ReadOnlyAdmin,
    ReadOnlyInlineMixin,
)
from dsr.admin.display import case_link
from dsr.models import ExportFile, ExportJob
from dsr.permissions import CaseVisibilityAdminMixin


class ExportFileInline(ReadOnlyInlineMixin, admin.TabularInline):
    """The files of an export; a deleted file keeps its row and hash (what was sent)."""

    model = ExportFile
    fields = (
        "kind",
        "name",
        "content_type",
        "size",
        "sha256",
        "download_count",
        "created_at",
        "deleted_at",
        "download",
    )
    readonly_fields = fields
    classes = ("dsr-inline",)

    @admin.display(description=_("download"))
    def download(self, obj):
        if not obj.storage_name or obj.deleted_at:
            return "-"
        url = reverse("dsr_staff:export_file", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download"))


@admin.register(ExportJob)
class ExportJobAdmin(AccessLoggedAdminMixin, CaseVisibilityAdminMixin, ReadOnlyAdmin):
    """Every export of every case, read-only: they are made and retried on the case page,
    and neither an export nor its files can be deleted (their hashes are the proof)."""

    access_logged = AccessLogged("export", subject="case.subject_id", case="case.reference")
    case_path = "case"

    list_display = ("case", "status", "created_at", "finished_at", "expires_at")
    list_filter = ("status",)
    list_select_related = ("case",)
    search_help_text = _("An exact reference (DSR-2026-000123).")
    search_fields = ("case__reference",)
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    fields = (
        "case_link",
        "status",
        "requested_by",
        "attempts",
        "created_at",
        "started_at",
        "finished_at",
        "expires_at",
        "error",
        "stats",
    )
    readonly_fields = fields
    inlines = (ExportFileInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("case", "requested_by")

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(case__reference=term.upper()), False

    @admin.display(description=_("request"))
    def case_link(self, obj):
        return case_link(obj.case)
