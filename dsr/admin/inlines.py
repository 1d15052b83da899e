"""What a case's page lists below its fields: the timeline, the fulfilment tasks with their
next steps, and the letters."""

from django.contrib import admin
from django.contrib.admin.utils import quote
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from core.admin_steps import steps_offered
from core.admin_tools import (
    ReadOnlyInlineMixin,
)
from dsr.admin.display import (
    letter_delivery,
    local_stamp,
    user_name,
)
from dsr.admin.page import TASK_PREFIX
from dsr.admin.steps import (
    TASK_STEPS,
)
from dsr.models import CaseEvent, CaseTask, Letter

# --- Read-only inlines on the case page -----------------------------------------------------


class CaseEventInline(ReadOnlyInlineMixin, admin.TabularInline):
    """The timeline, oldest first: what happened, who did it (or the portal), and why."""

    model = CaseEvent
    fields = ("at", "by", "kind", "transition", "note")
    readonly_fields = fields
    verbose_name = _("timeline entry")
    verbose_name_plural = _("Timeline")
    classes = ("dsr-inline",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("case", "actor").order_by("at", "pk")

    @admin.display(description=_("by"))
    def by(self, obj):
        return user_name(obj.actor) if obj.actor_id else _("Portal")

    @admin.display(description=_("status"))
    def transition(self, obj):
        if not obj.to_status:
            return ""
        if not obj.from_status:
            return obj.get_to_status_display()
        return f"{obj.get_from_status_display()} → {obj.get_to_status_display()}"


class CaseTaskInline(ReadOnlyInlineMixin, admin.TabularInline):
    """Fulfilment: one row per system (or recipient told under Art. 19)."""

    model = CaseTask
    fields = (
        "target",
        "operation",
        "connector_kind",
        "status",
        "attempts",
        "error",
        "completed",
        "evidence_link",
        "next_steps",
    )
    readonly_fields = fields
    verbose_name_plural = _("Fulfilment tasks")
    classes = ("dsr-inline",)

    def get_queryset(self, request):
        # Inline instances are made per request: the buttons follow this user's permission.
        self.can_act = request.user.has_perm("dsr.change_dsrcase")
        return (
            super()
            .get_queryset(request)
            .select_related("case", "system", "recipient", "completed_by")
            .order_by("pk")
        )

    @admin.display(description=_("next steps"))
    def next_steps(self, obj):
        if not getattr(self, "can_act", False):
            return ""
        return format_html_join(
            " ",
            '<a class="button{}" href="{}">{}</a>',
            (
                (
                    " dsr-danger" if step.danger else "",
                    reverse(
                        f"admin:{step.url_name(TASK_PREFIX)}", args=[quote(obj.case_id), obj.pk]
                    ),
                    step.label,
                )
                for step in steps_offered(TASK_STEPS, obj)
            ),
        )

    @admin.display(description=_("evidence"))
    def evidence_link(self, obj):
        if not obj.evidence_file:
            return "-"
        # Through the staff download (logged, never shown inline), not the storage's URL.
        return format_html(
            '<a href="{}">{}</a>',
            reverse("dsr_staff:task_evidence", args=[obj.pk]),
            _("Download"),
        )

    @admin.display(description=_("system or recipient"))
    def target(self, obj):
        return str(obj.system or obj.recipient or "")

    @admin.display(description=_("completed"))
    def completed(self, obj):
        if not obj.completed_at:
            return "-"
        by = user_name(obj.completed_by)
        stamp = local_stamp(obj.completed_at)
        return f"{stamp} ({by})" if by else stamp


class LetterInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = Letter
    fk_name = "case"
    fields = ("created_at", "kind", "language", "sent", "pdf")
    readonly_fields = fields
    verbose_name_plural = _("Letters")
    classes = ("dsr-inline",)
    show_change_link = True

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("case", "outbox")
            .order_by("created_at", "pk")
        )

    @admin.display(description=_("delivery"))
    def sent(self, obj):
        return letter_delivery(obj)

    @admin.display(description=_("PDF"))
    def pdf(self, obj):
        try:
            url = reverse("dsr_staff:letter_pdf", args=[obj.pk])
        except NoReverseMatch:
            return "-"
        return format_html('<a href="{}">{}</a>', url, _("Print"))
