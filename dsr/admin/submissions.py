"""What arrived, as it arrived: submissions, read-only; the work happens on their cases."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin_tools import (
    AUDIT_FIELDS,
    AccessLogged,
    AccessLoggedAdminMixin,
    EstimatedCountPaginator,
    ReadOnlyAdmin,
    ReadOnlyInlineMixin,
)
from dsr.models import DsrCase, Submission
from dsr.permissions import CaseVisibilityAdminMixin, submissions_visible_to
from dsr.selectors import cases as case_selectors


class SubmissionCaseInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = DsrCase
    fields = ("reference", "right", "status", "target_date", "due_date")
    readonly_fields = fields
    verbose_name_plural = _("Requests (one per right)")
    show_change_link = True
    classes = ("dsr-inline",)


def _first_case(submission: Submission) -> DsrCase | None:
    return min(submission.cases.all(), key=lambda case: case.pk, default=None)  # prefetched


@admin.register(Submission)
class SubmissionAdmin(AccessLoggedAdminMixin, CaseVisibilityAdminMixin, ReadOnlyAdmin):
    """What arrived, as it arrived: read-only; the work happens on its cases."""

    access_logged = AccessLogged(
        "submission",
        subject=lambda submission: getattr(_first_case(submission), "subject_id", None),
        case=lambda submission: getattr(_first_case(submission), "reference", ""),
    )

    list_display = ("received_at", "channel", "requester", "references", "created_by")
    list_filter = ("channel",)
    list_select_related = ("created_by",)
    search_fields = ("cases__reference",)
    search_help_text = _(
        "An exact reference (DSR-2026-000123), or the requester's exact email address."
    )
    sortable_by = ("received_at",)
    paginator = EstimatedCountPaginator
    fields = (
        "channel",
        "received_at",
        "language",
        "requester_name",
        "requester_email",
        "requester_phone",
        "requester_address",
        "message",
        "created_by",
        *AUDIT_FIELDS,
    )
    readonly_fields = fields
    inlines = (SubmissionCaseInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("cases")

    def visible_to(self, user, queryset):
        return submissions_visible_to(user, queryset)

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        if "@" in term:
            email_hash = case_selectors.email_lookup_hash(term)
            if email_hash is None:
                return queryset.none(), False
            return queryset.filter(requester_email_hash=email_hash), False
        cases = DsrCase.objects.filter(reference=term.upper()).values("submission_id")
        return queryset.filter(pk__in=cases), False

    @admin.display(description=_("requester"))
    def requester(self, obj):
        return obj.requester_name or "-"

    @admin.display(description=_("requests"))
    def references(self, obj):
        if obj.intake:
            # From the public form, minutes at most before the worker makes its cases.
            return _("being registered by the worker")
        return ", ".join(case.reference for case in obj.cases.all())
