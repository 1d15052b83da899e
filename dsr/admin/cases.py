"""The team's queue of data subject requests, each case's page, and registering a request.

Transitions happen only through the steps of the case page (dsr.admin.steps: one URL per step,
each calling one service, offered where dsr.rules allows it); the services refuse what the
rules refuse and the page shows the refusal on the form. Status, dates, identity and outcome
are read-only; the fields staff may edit are saved through their services too.
"""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import quote
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin_steps import steps_offered
from core.admin_tools import (
    AUDIT_FIELDS,
    AUDIT_FIELDSET,
    AccessLogged,
    AccessLoggedAdminMixin,
    EstimatedCountPaginator,
    call_service,
    error_text,
)
from core.errors import ApplicationError
from dsr import deadlines, rules
from dsr import forms as dsr_forms
from dsr.admin.display import (
    case_link,
    days_left_html,
    local_stamp,
    text_block,
    user_name,
)
from dsr.admin.filters import AssignedFilter, DeadlineFilter, StatusFilter
from dsr.admin.inlines import CaseEventInline, CaseTaskInline, LetterInline
from dsr.admin.page import CASE_PREFIX, CaseStepsMixin
from dsr.admin.steps import (
    CASE_STEPS,
)
from dsr.choices import OPEN_STATUSES
from dsr.models import DsrCase
from dsr.permissions import CaseVisibilityAdminMixin, case_visible_to
from dsr.selectors import cases as case_selectors
from dsr.services import intake, transitions

# --- The queue and the case page ------------------------------------------------------------


OUTCOME_FIELDSET = (
    _("Outcome"),
    {
        "fields": (
            "outcome",
            "refusal_basis",
            "refusal_reasons",
            "refusal_justification",
            "open_tasks_reason",
            "duplicate_of",
            "closed_at",
        )
    },
)
EDITABLE_FIELDS = ("assignee", "subject", "language", "details", "rectification_content")
# Saved on the row as they are; the assignee and the subject go through their services.
PLAIN_FIELDS = ("language", "details", "rectification_content")


@admin.register(DsrCase)
class DsrCaseAdmin(
    CaseStepsMixin, AccessLoggedAdminMixin, CaseVisibilityAdminMixin, admin.ModelAdmin
):
    access_logged = AccessLogged("case", subject="subject_id", case="reference")
    form = dsr_forms.CaseChangeForm
    list_display = (
        "reference",
        "right",
        "status",
        "days_left",
        "target",
        "legal_due",
        "received",
        "requester",
        "subject_link",
        "assignee_name",
    )
    list_filter = (
        StatusFilter,
        DeadlineFilter,
        AssignedFilter,
        "right",
        "submission__channel",
    )
    list_select_related = ("submission", "subject", "assignee")
    search_fields = ("reference",)
    search_help_text = _(
        "An exact reference (DSR-2026-000123), or the requester's exact email address."
    )
    sortable_by = ("reference", "received", "target", "legal_due", "days_left")
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    list_per_page = 50
    autocomplete_fields = ("assignee", "subject")
    actions = ("assign_to_me", "assign_to")
    inlines = (CaseEventInline, CaseTaskInline, LetterInline)
    readonly_fields = (
        "reference",
        "right",
        "status",
        "requester_name",
        "requester_email",
        "requester_phone",
        "requester_address",
        "channel",
        "submission_received_at",
        "original_message",
        "linked_cases",
        "received_at",
        "target_date",
        "due_date",
        "extended_due_date",
        "paused_days",
        "running_pause",
        "days_left",
        "identity_status",
        "identity_method",
        "identity_verified_at",
        "identity_evidence",
        "extension",
        "extension_reason",
        "extension_notified_at",
        "outcome",
        "refusal_basis",
        "refusal_reasons",
        "refusal_justification",
        "open_tasks_reason",
        "duplicate_of",
        "closed_at",
        *AUDIT_FIELDS,
    )
    fieldsets = (
        (None, {"fields": ("reference", "right", "status", "assignee", "subject", "language")}),
        (
            _("Requester"),
            {
                "fields": (
                    "requester_name",
                    "requester_email",
                    "requester_phone",
                    "requester_address",
                    "channel",
                    "submission_received_at",
                    "original_message",
                    "linked_cases",
                )
            },
        ),
        (_("What was asked"), {"fields": ("details", "rectification_content")}),
        (
            _("Dates"),
            {
                "fields": (
                    "received_at",
                    "target_date",
                    "due_date",
                    "extended_due_date",
                    "days_left",
                    "paused_days",
                    "running_pause",
                )
            },
        ),
        (
            _("Identity (Art. 12(6))"),
            {
                "fields": (
                    "identity_status",
                    "identity_method",
                    "identity_verified_at",
                    "identity_evidence",
                )
            },
        ),
        (
            _("Extension (Art. 12(3))"),
            {"fields": ("extension", "extension_reason", "extension_notified_at")},
        ),
        OUTCOME_FIELDSET,
        AUDIT_FIELDSET,
    )

    def get_queryset(self, request):
        return case_selectors.cases_queue(super().get_queryset(request))

    def get_ordering(self, request):
        # Open work by the date we promised; anything else newest first.
        status = request.GET.get("status")
        if status in (None, "", "open") or status in OPEN_STATUSES:
            return ("target_date", "pk")
        return ("-received_at", "-pk")

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        if "@" in term:
            email_hash = case_selectors.email_lookup_hash(term)
            if email_hash is None:
                return queryset.none(), False
            return case_selectors.cases_by_email_hash(email_hash, queryset), False
        return queryset.filter(reference=term.upper()), False

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not obj.is_open:
            # A closed case is the record of what was done; a late subject match is allowed.
            return (*self.readonly_fields, *(f for f in EDITABLE_FIELDS if f != "subject"))
        return self.readonly_fields

    def get_fieldsets(self, request, obj=None):
        if obj is not None and obj.is_open:
            return [fieldset for fieldset in self.fieldsets if fieldset is not OUTCOME_FIELDSET]
        return self.fieldsets

    def get_autocomplete_fields(self, request):
        # Searching colleagues goes through the staff accounts' admin; without access to it
        # (support agents) the assignee is picked from a plain list.
        if request.user.has_perm("accounts.view_user"):
            return self.autocomplete_fields
        return tuple(name for name in self.autocomplete_fields if name != "assignee")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assignee":
            kwargs["queryset"] = dsr_forms.staff_users()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        # From a case one may look at the person or the colleague, not add, edit or delete them.
        for name in ("assignee", "subject"):
            field = form.base_fields.get(name)
            if field is not None:
                field.widget.can_add_related = False
                field.widget.can_change_related = False
                field.widget.can_delete_related = False
        return form

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["show_save_and_add_another"] = False
        if obj is not None and self.has_change_permission(request, obj):
            context["case_actions"] = [
                {
                    "label": step.label,
                    "url": reverse(f"admin:{step.url_name(CASE_PREFIX)}", args=[quote(obj.pk)]),
                    "danger": step.danger,
                }
                for step in steps_offered(CASE_STEPS, obj)
            ]
        if obj is not None and obj.right in rules.EXPORTABLE_RIGHTS:
            context["export_panel"] = self._export_panel(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(self, request, obj, form, change):
        """Every change goes through a service that records it on the timeline."""
        changed = set(form.changed_data)
        if any(name in changed for name in PLAIN_FIELDS):
            call_service(
                self,
                request,
                transitions.case_update_request,
                case=obj,
                actor=request.user,
                details=obj.details,
                rectification_content=obj.rectification_content,
                language=obj.language,
            )
        if "subject" in changed:
            call_service(
                self,
                request,
                transitions.case_match_subject,
                case=obj,
                subject=obj.subject,
                actor=request.user,
            )
        if "assignee" in changed:
            call_service(
                self,
                request,
                transitions.cases_assign,
                cases=[obj],
                assignee=obj.assignee,
                actor=request.user,
            )

    def response_change(self, request, obj):
        # Assigned to a colleague: a support agent no longer sees the case, so back to the queue
        # (as after the Assign step) rather than to a page that is now "not found".
        response = super().response_change(request, obj)
        if not case_visible_to(request.user, obj):
            return redirect(reverse("admin:dsr_dsrcase_changelist"))
        return response

    def add_view(self, request, form_url="", extra_context=None):
        """Registering a request (letter, call, email) replaces the add form."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = dsr_forms.RegisterRequestForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            submission = self._register(request, form)
            if submission is not None:
                cases = list(submission.cases.order_by("pk"))
                self.message_user(
                    request,
                    ngettext(
                        "Registered %(references)s.",
                        "Registered %(references)s, linked and answered together.",
                        len(cases),
                    )
                    % {"references": ", ".join(case.reference for case in cases)},
                    messages.SUCCESS,
                )
                return redirect(reverse("admin:dsr_dsrcase_change", args=[quote(cases[0].pk)]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Register a request"),
            "form": form,
            "media": self.media + form.media,
            "has_view_permission": self.has_view_permission(request),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/dsr/dsrcase/register.html", context)

    def _register(self, request, form):
        data = form.cleaned_data
        receipt = intake.ReceiptInput(
            channel=data["channel"],
            rights=[
                intake.RequestedRight(
                    right=right,
                    details=data["details"],
                    rectification_content=data["rectification_content"]
                    if right == "rectification"
                    else "",
                )
                for right in data["rights"]
            ],
            requester_email=data["requester_email"],
            requester_name=data["requester_name"],
            requester_phone=data["requester_phone"],
            requester_address=data["requester_address"],
            language=data["language"],
            message=data["message"],
            received_at=data["received_at"],
        )
        try:
            return intake.submission_receive(data=receipt, actor=request.user)
        except ApplicationError as error:
            form.add_error(None, error.message)
        except ValidationError as error:
            form.add_error(None, error_text(error))
        return None

    # --- Columns and read-only fields -------------------------------------------------------

    @admin.display(description=_("requester"))
    def requester(self, obj):
        # The name only: addresses stay off the list.
        return obj.submission.requester_name or "-"

    @admin.display(description=_("data subject"))
    def subject_link(self, obj):
        if obj.subject_id is None:
            return _("not matched")
        url = reverse("admin:privacy_datasubject_change", args=[quote(obj.subject_id)])
        return format_html('<a href="{}">{}</a>', url, obj.subject)

    @admin.display(description=_("target date"), ordering="target_date")
    def target(self, obj):
        return format_html('<span class="dsr-nowrap">{}</span>', obj.target_date.isoformat())

    @admin.display(description=_("received"), ordering="received_at")
    def received(self, obj):
        # The local date the deadlines count from, not the UTC one.
        day = deadlines.local_received_date(obj.received_at)
        return format_html('<span class="dsr-nowrap">{}</span>', day.isoformat())

    @admin.display(description=_("legal due date"), ordering="effective_due")
    def legal_due(self, obj):
        if obj.extended_due_date:
            return format_html(
                '<span class="dsr-nowrap">{}</span> ({})',
                obj.extended_due_date.isoformat(),
                _("extended"),
            )
        return format_html('<span class="dsr-nowrap">{}</span>', obj.due_date.isoformat())

    @admin.display(description=_("days left"), ordering="target_date")
    def days_left(self, obj):
        return days_left_html(obj)

    @admin.display(description=_("assignee"), ordering="assignee__username")
    def assignee_name(self, obj):
        return user_name(obj.assignee) or "-"

    @admin.display(description=_("requester's name"))
    def requester_name(self, obj):
        return obj.submission.requester_name or "-"

    @admin.display(description=_("requester's email"))
    def requester_email(self, obj):
        return obj.submission.requester_email or "-"

    @admin.display(description=_("requester's phone"))
    def requester_phone(self, obj):
        return obj.submission.requester_phone or "-"

    @admin.display(description=_("requester's postal address"))
    def requester_address(self, obj):
        return text_block(obj.submission.requester_address)

    @admin.display(description=_("received by"))
    def channel(self, obj):
        return obj.submission.get_channel_display()

    @admin.display(description=_("entered"))
    def submission_received_at(self, obj):
        entered_by = user_name(obj.submission.created_by)
        stamp = local_stamp(obj.submission.created_at)
        if entered_by:
            return _("%(when)s by %(who)s") % {"when": stamp, "who": entered_by}
        return stamp

    @admin.display(description=_("the request as received"))
    def original_message(self, obj):
        return text_block(obj.submission.message)

    @admin.display(description=_("linked requests"))
    def linked_cases(self, obj):
        linked = case_selectors.case_linked(obj)
        if not linked:
            return _("None: this letter asked for one right.")
        return format_html_join("", "<div>{}</div>", ((case_link(c),) for c in linked))

    @admin.display(description=_("clock stopped"))
    def running_pause(self, obj):
        pause = case_selectors.case_running_pause(obj)
        if pause is None:
            return _("No")
        return _("Since %(date)s: %(reason)s. %(why)s") % {
            "date": local_stamp(pause.started_at),
            "reason": pause.get_reason_display(),
            "why": pause.explanation,
        }

    @admin.display(description=_("extension"))
    def extension(self, obj):
        if obj.extended_due_date:
            return _("Extended to %(date)s.") % {"date": obj.extended_due_date.isoformat()}
        if not obj.is_open:
            return _("Not extended.")
        last_day = rules.extension_last_day(obj)
        if rules.extend_blocker(obj, today=deadlines.today()) is None:
            return _(
                "Not extended. Possible until %(date)s: the requester must be told before the "
                "first due date."
            ) % {"date": last_day.isoformat()}
        return _("Not extended, and no longer possible: the first due date has passed.")

    # --- Bulk actions -----------------------------------------------------------------------

    @admin.action(description=_("Assign to me"), permissions=["change"])
    def assign_to_me(self, request, queryset):
        self._assign(request, queryset, request.user)

    @admin.action(description=_("Assign to…"), permissions=["change"])
    def assign_to(self, request, queryset):
        if "apply" in request.POST:
            form = dsr_forms.AssignForm(request.POST)
            if form.is_valid():
                self._assign(request, queryset, form.cleaned_data["assignee"])
                return None
        else:
            form = dsr_forms.AssignForm(initial={"assignee": request.user.pk})
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Assign requests"),
            "form": form,
            "cases": queryset.order_by("target_date", "pk"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "has_view_permission": True,
        }
        return TemplateResponse(request, "admin/dsr/dsrcase/assign.html", context)

    def _assign(self, request, queryset, assignee) -> None:
        # Locked in primary-key order, so two bulk assignments cannot deadlock each other.
        selected = list(queryset.order_by("pk"))
        changed = call_service(
            self,
            request,
            transitions.cases_assign,
            cases=selected,
            assignee=assignee,
            actor=request.user,
        )
        if changed is None:
            return
        who = user_name(assignee) if assignee else None
        message = (
            ngettext(
                "%(count)d request assigned to %(who)s.",
                "%(count)d requests assigned to %(who)s.",
                changed,
            )
            % {"count": changed, "who": who}
            if who
            else ngettext(
                "%(count)d request unassigned.", "%(count)d requests unassigned.", changed
            )
            % {"count": changed}
        )
        skipped = len(selected) - changed
        if skipped:
            message += " " + ngettext(
                "%(count)d left as it was (closed, or already so assigned).",
                "%(count)d left as they were (closed, or already so assigned).",
                skipped,
            ) % {"count": skipped}
        self.message_user(request, message, messages.SUCCESS)
