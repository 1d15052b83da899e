"""Retention in the admin: the rules gain dry runs, runs and the sweep switch, and the log of
every run (what was removed, by system, category and count)."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from core.admin_tools import ReadOnlyAdmin, call_service
from dsr.models import RetentionRun
from dsr.services import retention
from privacy import admin as privacy_admin

# The register's retention rules, with the sweep that applies them (dsr.services.retention).


def _report(modeladmin, request, run) -> None:
    if not run.succeeded:
        modeladmin.message_user(request, f"{run}: {run.error}", messages.ERROR)
        return
    kind = _("would remove") if run.dry_run else _("removed")
    details = ", ".join(f"{r['system']} / {r['category']}: {r['rows']}" for r in run.results)
    modeladmin.message_user(
        request,
        _("%(rule)s: %(kind)s %(rows)d row(s) started before %(cutoff)s (%(details)s).")
        % {
            "rule": run.rule.name,
            "kind": kind,
            "rows": run.rows,
            "cutoff": run.cutoff.isoformat(),
            "details": details or _("no statements"),
        },
        messages.SUCCESS,
    )


@admin.action(description=_("Dry run: count what would be removed"), permissions=["change"])
def dry_run(modeladmin, request, queryset):
    for rule in queryset:
        _report(
            modeladmin,
            request,
            retention.retention_run(rule=rule, dry_run=True, actor=request.user),
        )


@admin.action(description=_("Remove now what has passed its period"), permissions=["change"])
def run_now(modeladmin, request, queryset):
    for rule in queryset:
        if not rule.sweep_enabled:
            modeladmin.message_user(
                request,
                _("“%(rule)s” is not switched on: run a dry run and switch it on first.")
                % {"rule": rule.name},
                messages.ERROR,
            )
            continue
        run = retention.retention_run(rule=rule, dry_run=False, actor=request.user)
        _report(modeladmin, request, run)


@admin.action(description=_("Switch the daily sweep on"), permissions=["change"])
def enable_sweep(modeladmin, request, queryset):
    for rule in queryset:
        if call_service(
            modeladmin, request, retention.retention_rule_enable, rule=rule, actor=request.user
        ):
            modeladmin.message_user(request, _("“%(rule)s” is swept daily.") % {"rule": rule.name})


@admin.action(description=_("Switch the daily sweep off"), permissions=["change"])
def disable_sweep(modeladmin, request, queryset):
    for rule in queryset:
        retention.retention_rule_disable(rule=rule, actor=request.user)
    modeladmin.message_user(request, _("The selected rules are no longer swept."))


@admin.display(description=_("recent runs"))
def recent_runs(rule):
    if rule.pk is None:
        return "-"
    runs = rule.runs.order_by("-started_at")[:10]
    rows = format_html_join(
        "\n",
        "<li>{} {}: {} ({})</li>",
        (
            (
                run.started_at.strftime("%Y-%m-%d %H:%M"),
                _("dry run") if run.dry_run else _("run"),
                run.rows,
                run.error or _("ok"),
            )
            for run in runs
        ),
    )
    url = reverse("admin:dsr_retentionrun_changelist") + f"?rule__id__exact={rule.pk}"
    return format_html('<ul>{}</ul><a href="{}">{}</a>', rows, url, _("All runs"))


privacy_admin.RetentionRuleAdmin.extend(
    list_display=("sweep_enabled",),
    list_filter=("sweep_enabled",),
    readonly_fields=("sweep_enabled", recent_runs),
    fieldsets=((_("Retention sweep"), {"fields": ("sweep_enabled", recent_runs)}),),
    actions=(dry_run, run_now, enable_sweep, disable_sweep),
)


@admin.register(RetentionRun)
class RetentionRunAdmin(ReadOnlyAdmin):
    """The log of the retention sweep: read-only for everyone."""

    list_display = ("rule", "started_at", "dry_run", "cutoff", "rows", "succeeded", "requested_by")
    list_filter = ("dry_run", "succeeded", "rule")
    list_select_related = ("rule", "requested_by")
    readonly_fields = (
        "rule",
        "dry_run",
        "cutoff",
        "started_at",
        "finished_at",
        "succeeded",
        "rows",
        "breakdown",
        "error",
        "requested_by",
    )
    fields = readonly_fields

    @admin.display(description=_("by system and category"))
    def breakdown(self, obj):
        return format_html_join(
            "\n",
            "<div>{} / {} ({}): {}</div>",
            ((r["system"], r["category"], r["label"], r["rows"]) for r in obj.results),
        )
