"""The team's queue of data subject requests, each case's page, and registering a request.

Transitions happen only through the small forms on the case page (one URL per transition,
each calling one service of dsr.services.cases); the services decide what is allowed and the
admin shows their refusals on the form. Status, dates, identity and outcome are read-only.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import quote, unquote
from django.contrib.admin.views.main import SEARCH_VAR
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.template.defaultfilters import linebreaksbr
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

import dsr.admin_letters
import dsr.admin_retention  # noqa: F401
from core import crypto
from core.admin_tools import (
    AUDIT_FIELDS,
    AUDIT_FIELDSET,
    AccessLogged,
    AccessLoggedAdminMixin,
    EstimatedCountPaginator,
    ReadOnlyAdmin,
    ReadOnlyInlineMixin,
    call_service,
    error_text,
)
from core.errors import ApplicationError
from core.identifiers import normalise_email
from dsr import deadlines, selectors, staff_views
from dsr import forms as dsr_forms
from dsr.choices import (
    OPEN_STATUSES,
    CaseStatus,
    ConnectorKind,
    ExportStatus,
    TaskKind,
    TaskStatus,
)
from dsr.models import CaseEvent, CaseTask, DsrCase, ExportFile, ExportJob, Letter, Submission
from dsr.permissions import CaseVisibilityAdminMixin, case_visible_to, submissions_visible_to
from dsr.services import cases as services
from dsr.services import exports as export_services
from dsr.services import fulfilment

S = CaseStatus

DUE_SOON_DAYS = 7  # the "Due within 7 days" filters
AMBER_DAYS = 3  # days left at or below which the queue shows amber


# --- Filters --------------------------------------------------------------------------------


class StatusFilter(admin.SimpleListFilter):
    """Opens on open work; a search looks through every status unless one is chosen."""

    title = _("status")
    parameter_name = "status"

    def __init__(self, request, params, model, model_admin):
        self.searching = bool(request.GET.get(SEARCH_VAR, "").strip())
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        return (("open", _("Open")), *S.choices, ("all", _("All")))

    def value(self):
        return super().value() or ("all" if self.searching else "open")

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value()
        if value == "open":
            return selectors.cases_open(queryset)
        if value in S.values:
            return queryset.filter(status=value)
        return queryset


class DeadlineFilter(admin.SimpleListFilter):
    """Open cases by their dates: the legal due date (the extended one once extended) and
    the target date, our own earlier promise."""

    title = _("deadline")
    parameter_name = "deadline"

    def lookups(self, request, model_admin):
        return (
            ("overdue", _("Overdue (legal due date passed)")),
            ("due_soon", _("Due within %(days)d days") % {"days": DUE_SOON_DAYS}),
            ("past_target", _("Past our target date")),
            ("target_soon", _("Target within %(days)d days") % {"days": DUE_SOON_DAYS}),
        )

    def queryset(self, request, queryset):
        match self.value():
            case "overdue":
                return selectors.cases_overdue(queryset)
            case "due_soon":
                return selectors.cases_due_within(DUE_SOON_DAYS, queryset)
            case "past_target":
                return selectors.cases_past_target(queryset)
            case "target_soon":
                return selectors.cases_target_within(DUE_SOON_DAYS, queryset)
        return queryset


class AssignedFilter(admin.SimpleListFilter):
    title = _("assigned")
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return (("mine", _("Mine")), ("unassigned", _("Unassigned")))

    def queryset(self, request, queryset):
        if self.value() == "mine":
            return selectors.cases_assigned_to(request.user, queryset)
        if self.value() == "unassigned":
            return selectors.cases_unassigned(queryset)
        return queryset


# --- Transitions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseAction:
    """One button on the case page: its form, its availability and the one service it calls."""

    name: str
    label: str
    form_class: type
    run: Callable  # (case, cleaned_data, user) -> result of one service
    available: Callable[[DsrCase, date], bool]
    success: str  # formatted with reference, status, date
    description: str = ""
    danger: bool = False
    # Checked again on POST where the service alone would allow more than the button offers;
    # None: the service decides (and explains its refusal).
    post_guard: Callable[[DsrCase, date], bool] | None = None

    @property
    def url_name(self) -> str:
        return f"dsr_dsrcase_{self.name.replace('-', '_')}"


def _can_become(status: str) -> Callable[[DsrCase, date], bool]:
    return lambda case, today: status in services.allowed_transitions(case)


def _status_is(*statuses: str) -> Callable[[DsrCase, date], bool]:
    return lambda case, today: case.status in statuses


def _can_extend(case: DsrCase, today: date) -> bool:
    return case.is_open and case.extended_due_date is None and today <= case.due_date


CASE_ACTIONS: tuple[CaseAction, ...] = (
    CaseAction(
        name="start",
        label=_("Start (known requester)"),
        form_class=dsr_forms.StartForm,
        run=lambda case, data, user: services.case_start(case=case, actor=user, note=data["note"]),
        available=_status_is(S.RECEIVED),
        success=_("%(reference)s: the requester is known; the request is now %(status)s."),
        description=_(
            "Use when the request came from the address or account we hold, so no further "
            "proof of identity is needed."
        ),
    ),
    CaseAction(
        name="verify-identity",
        label=_("Verify identity"),
        form_class=dsr_forms.VerifyIdentityForm,
        run=lambda case, data, user: services.case_verify_identity(
            case=case,
            method=data["method"],
            evidence=data["evidence"],
            actor=user,
            all_linked=data["all_linked"],
        ),
        available=_status_is(S.RECEIVED, S.AWAITING_IDENTITY),
        success=_("%(reference)s: identity verified; the request is now %(status)s."),
    ),
    CaseAction(
        name="request-identity",
        label=_("Request identity"),
        form_class=dsr_forms.RequestIdentityForm,
        run=lambda case, data, user: services.case_request_identity(
            case=case,
            actor=user,
            explanation=data["explanation"],
            pause_reason=data["pause_reason"],
        ),
        available=_can_become(S.AWAITING_IDENTITY),
        success=_("%(reference)s: the requester is asked to confirm their identity."),
        description=_(
            "Only when there are reasonable doubts about who made the request (Art. 12(6))."
        ),
    ),
    CaseAction(
        name="identity-failed",
        label=_("Identity not established"),
        form_class=dsr_forms.IdentityFailedForm,
        run=lambda case, data, user: services.case_identity_failed(
            case=case, actor=user, reasons=data["reasons"]
        ),
        available=_status_is(S.AWAITING_IDENTITY),
        post_guard=_status_is(S.AWAITING_IDENTITY),
        success=_("%(reference)s: refused, the requester could not be identified."),
        description=_(
            "Closes the request: we could not identify the requester with what they sent "
            "(Art. 11(2), 12(2)). They are told why."
        ),
        danger=True,
    ),
    CaseAction(
        name="ask-requester",
        label=_("Ask the requester"),
        form_class=dsr_forms.AskRequesterForm,
        run=lambda case, data, user: services.case_ask_requester(
            case=case, actor=user, question=data["question"], pause_reason=data["pause_reason"]
        ),
        available=_can_become(S.AWAITING_REQUESTER),
        success=_("%(reference)s: the question is sent; the request waits for the answer."),
    ),
    CaseAction(
        name="resume",
        label=_("Requester answered"),
        form_class=dsr_forms.ResumeForm,
        run=lambda case, data, user: services.case_resume(case=case, actor=user, note=data["note"]),
        available=_status_is(S.AWAITING_REQUESTER),
        # The service would also take a case out of "awaiting identity" unverified.
        post_guard=_status_is(S.AWAITING_REQUESTER),
        success=_("%(reference)s: back in progress; legally due %(date)s."),
    ),
    CaseAction(
        name="extend",
        label=_("Extend"),
        form_class=dsr_forms.ExtendForm,
        run=lambda case, data, user: services.case_extend(
            case=case, actor=user, reason=data["reason"]
        ),
        available=_can_extend,
        success=_("%(reference)s: extended to %(date)s; the requester is told why."),
        description=_(
            "Two further months where necessary, given the complexity and number of requests "
            "(Art. 12(3)). Possible once, and only before the first due date."
        ),
    ),
    CaseAction(
        name="complete",
        label=_("Complete"),
        form_class=dsr_forms.CompleteForm,
        run=lambda case, data, user: services.case_complete(
            case=case,
            actor=user,
            outcome=data["outcome"],
            partially=data["partially"],
            open_tasks_reason=data.get("open_tasks_reason", ""),
        ),
        available=_can_become(S.COMPLETED),
        success=_("%(reference)s: %(status)s; the answer is sent."),
    ),
    CaseAction(
        name="refuse",
        label=_("Refuse"),
        form_class=dsr_forms.RefuseForm,
        run=lambda case, data, user: services.case_refuse(
            case=case,
            actor=user,
            basis=data["basis"],
            reasons=data["reasons"],
            justification=data["justification"],
        ),
        available=_can_become(S.REFUSED),
        success=_("%(reference)s: refused; the requester is told why and how to complain."),
        danger=True,
    ),
    CaseAction(
        name="withdraw",
        label=_("Withdraw"),
        form_class=dsr_forms.WithdrawForm,
        run=lambda case, data, user: services.case_withdraw(
            case=case, actor=user, note=data["note"], notify=data["notify"]
        ),
        available=_can_become(S.WITHDRAWN),
        success=_("%(reference)s: withdrawn."),
        description=_("Record that the requester withdrew the request."),
        danger=True,
    ),
    CaseAction(
        name="assign",
        label=_("Assign"),
        form_class=dsr_forms.AssignForm,
        run=lambda case, data, user: services.cases_assign(
            cases=[case], assignee=data["assignee"], actor=user
        ),
        available=lambda case, today: case.is_open,
        success=_("%(reference)s: assignment saved."),
    ),
    CaseAction(
        name="add-note",
        label=_("Add note"),
        form_class=dsr_forms.NoteForm,
        run=lambda case, data, user: services.case_add_note(
            case=case, actor=user, note=data["note"]
        ),
        available=lambda case, today: True,
        success=_("%(reference)s: note added to the timeline."),
    ),
)
CASE_ACTIONS_BY_NAME = {action.name: action for action in CASE_ACTIONS}


# --- Fulfilment task actions ----------------------------------------------------------------


@dataclass(frozen=True)
class TaskAction:
    """A button on one fulfilment task of the case page, calling one fulfilment service."""

    name: str
    label: str
    form_class: type
    run: Callable  # (task, cleaned_data, user) -> result of one service
    available: Callable[[DsrCase, CaseTask], bool]
    success: str  # formatted with reference, status, date, task
    description: str = ""
    danger: bool = False

    @property
    def url_name(self) -> str:
        return f"dsr_dsrcase_task_{self.name.replace('-', '_')}"


def _can_retry(case: DsrCase, task: CaseTask) -> bool:
    if not case.is_open:
        return False
    if task.kind == TaskKind.RECIPIENT_NOTICE:
        return task.status == TaskStatus.PENDING
    if task.connector_kind == ConnectorKind.MANUAL:
        return False
    if task.connector_kind == ConnectorKind.WEBHOOK and task.status == TaskStatus.WAITING:
        return True
    return task.status == TaskStatus.FAILED


def _can_close(case: DsrCase, task: CaseTask) -> bool:
    return task.is_open and task.status != TaskStatus.RUNNING


TASK_ACTIONS: tuple[TaskAction, ...] = (
    TaskAction(
        name="retry",
        label=_("Try again"),
        form_class=dsr_forms.TaskRetryForm,
        run=lambda task, data, user: fulfilment.task_retry(task=task, actor=user),
        available=_can_retry,
        success=_("%(reference)s: %(task)s is tried again."),
        description=_(
            "Runs the system's connector again (or emails the notice, if the recipient now has "
            "an email contact)."
        ),
    ),
    TaskAction(
        name="complete",
        label=_("Done by hand"),
        form_class=dsr_forms.TaskCompleteForm,
        run=lambda task, data, user: fulfilment.task_complete_manual(
            task=task,
            actor=user,
            evidence=data["evidence"],
            done_at=data["done_at"],
            attachment=data["attachment"],
        ),
        available=_can_close,
        success=_("%(reference)s: %(task)s is recorded as done."),
        description=_("Record that the task was done outside the portal, with the proof."),
    ),
    TaskAction(
        name="skip",
        label=_("Not needed"),
        form_class=dsr_forms.TaskSkipForm,
        run=lambda task, data, user: fulfilment.task_skip(
            task=task, actor=user, reason=data["reason"]
        ),
        available=_can_close,
        success=_("%(reference)s: %(task)s is recorded as not needed."),
        danger=True,
    ),
)
TASK_ACTIONS_BY_NAME = {action.name: action for action in TASK_ACTIONS}


# --- Export actions (access and portability) ------------------------------------------------

EXPORT_RUNNING = (ExportStatus.QUEUED, ExportStatus.BUILDING)


@dataclass(frozen=True)
class ExportAction:
    """A button of the case page's Exports panel, calling one export service. `job` is None
    for the panel's own button; `jobs` are all the case's exports, newest first."""

    name: str
    label: str
    run: Callable  # (case, job, user) -> result of one service
    available: Callable[[DsrCase, ExportJob | None, list[ExportJob]], bool]
    success: str  # formatted with reference, status, date
    description: str = ""
    danger: bool = False
    per_job: bool = True
    form_class: type = dsr_forms.TaskRetryForm  # nothing to fill in: the button confirms

    @property
    def url_name(self) -> str:
        return f"dsr_dsrcase_export_{self.name.replace('-', '_')}"


def _can_request_export(case: DsrCase, jobs: list[ExportJob]) -> bool:
    """What export_request allows, and nothing already on its way."""
    return (
        case.right in export_services.EXPORTABLE_RIGHTS
        and case.status in export_services.EXPORTABLE_STATUSES
        and not any(job.status in EXPORT_RUNNING for job in jobs)
    )


def _is_newest(job: ExportJob | None, jobs: list[ExportJob]) -> bool:
    # Buttons sit on the newest export only: older ones are history.
    return job is not None and bool(jobs) and jobs[0].pk == job.pk


EXPORT_ACTIONS: tuple[ExportAction, ...] = (
    ExportAction(
        name="build",
        label=_("Build export"),
        run=lambda case, job, user: export_services.export_request(case=case, actor=user),
        available=lambda case, job, jobs: not jobs and _can_request_export(case, jobs),
        success=_("%(reference)s: the export is queued; a worker builds it in the background."),
        description=_(
            "A worker builds the files: for an access request the report (PDF), and for both "
            "access and portability the data package (ZIP and web page). The requester can "
            "download them from the status page with a code sent by email."
        ),
        per_job=False,
    ),
    ExportAction(
        name="retry",
        label=_("Retry"),
        run=lambda case, job, user: export_services.export_retry(job=job, actor=user),
        available=lambda case, job, jobs: (
            _is_newest(job, jobs) and job.status == ExportStatus.FAILED
        ),
        success=_("%(reference)s: the export is queued again."),
        description=_("Builds the failed export again, once its cause is fixed."),
    ),
    ExportAction(
        name="regenerate",
        label=_("Regenerate"),
        run=lambda case, job, user: export_services.export_request(case=case, actor=user),
        available=lambda case, job, jobs: (
            _is_newest(job, jobs)
            and job.status in (ExportStatus.READY, ExportStatus.EXPIRED)
            and _can_request_export(case, jobs)
        ),
        success=_("%(reference)s: a new export is queued; a worker builds it in the background."),
        description=_(
            "Builds a new export from the data as it is now. An earlier export stays "
            "downloadable until it expires."
        ),
    ),
)
EXPORT_ACTIONS_BY_NAME = {action.name: action for action in EXPORT_ACTIONS}


# --- Display helpers ------------------------------------------------------------------------


def days_left_html(case: DsrCase):
    """Days to the target date, coloured: red once late, amber within AMBER_DAYS.

    Needs the annotations of selectors.cases_queue(). "Overdue" means the legal due date (the
    extended one once extended) has passed; "past target" that only our promise has.
    """
    if not case.is_open:
        return "-"
    days, legal_days = case.days_left, case.legal_days_left
    if legal_days < 0:
        css = "overdue"
        text = ngettext("Overdue by %(days)d day", "Overdue by %(days)d days", -legal_days) % {
            "days": -legal_days
        }
    elif days < 0:
        css = "late"
        text = ngettext("%(days)d day past target", "%(days)d days past target", -days) % {
            "days": -days
        }
    elif days == 0:
        css, text = "soon", _("Target today")
    else:
        css = "soon" if days <= AMBER_DAYS else "ok"
        text = ngettext("%(days)d day", "%(days)d days", days) % {"days": days}
    paused = format_html(' <span class="dsr-paused">{}</span>', _("(clock stopped)"))
    return format_html(
        '<span class="dsr-days dsr-days--{}">{}</span>{}',
        css,
        text,
        paused if case.clock_paused else "",
    )


def local_stamp(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def text_block(text: str):
    """Free text as typed, escaped, its line breaks kept."""
    return linebreaksbr(text, autoescape=True) if text else "-"


def task_label(task: CaseTask) -> str:
    target = task.system or task.recipient
    if task.operation:
        return f"{target} ({task.get_operation_display().lower()})"
    return str(target)


def user_name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


def case_link(case: DsrCase):
    url = reverse("admin:dsr_dsrcase_change", args=[quote(case.pk)])
    return format_html(
        '<a href="{}">{}</a> ({}, {})',
        url,
        case.reference,
        case.get_right_display(),
        case.get_status_display().lower(),
    )


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
                    " dsr-danger" if action.danger else "",
                    reverse(f"admin:{action.url_name}", args=[quote(obj.case_id), obj.pk]),
                    action.label,
                )
                for action in TASK_ACTIONS
                if action.available(obj.case, obj)
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

    @admin.display(description=_("email"))
    def sent(self, obj):
        if obj.outbox_id is None:
            return _("No email address: to be sent by post")
        return obj.outbox.get_status_display()

    @admin.display(description=_("PDF"))
    def pdf(self, obj):
        try:
            url = reverse("dsr_staff:letter_pdf", args=[obj.pk])
        except NoReverseMatch:
            return "-"
        return format_html('<a href="{}">{}</a>', url, _("Print"))


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
class DsrCaseAdmin(AccessLoggedAdminMixin, CaseVisibilityAdminMixin, admin.ModelAdmin):
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
        return selectors.cases_queue(super().get_queryset(request))

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
            # Addresses are stored encrypted; their keyed hash is the only exact lookup.
            try:
                email = normalise_email(term)
            except ValidationError:
                return queryset.none(), False
            return selectors.cases_by_email_hash(crypto.keyed_hash(email), queryset), False
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

    def _action_urls(self, actions, view, route):
        """One GET/POST page per action, `route(action)` its path under the case."""
        handler = self.admin_site.admin_view(require_http_methods(["GET", "POST"])(view))
        return [
            path(route(action), handler, {"action_name": action.name}, name=action.url_name)
            for action in actions
        ]

    def get_urls(self):
        # Task URLs first: "<case>/tasks/<task>/complete/" would also match "<case>/complete/".
        return [
            *self._action_urls(
                EXPORT_ACTIONS,
                self.export_action_view,
                lambda action: (
                    f"<path:object_id>/exports/<int:job_id>/{action.name}/"
                    if action.per_job
                    else f"<path:object_id>/exports/{action.name}/"
                ),
            ),
            *self._action_urls(
                TASK_ACTIONS,
                self.task_action_view,
                lambda action: f"<path:object_id>/tasks/<int:task_id>/{action.name}/",
            ),
            *self._action_urls(
                CASE_ACTIONS,
                self.case_action_view,
                lambda action: f"<path:object_id>/{action.name}/",
            ),
            *super().get_urls(),
        ]

    # --- Case page --------------------------------------------------------------------------

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
            today = selectors.local_today()
            context["case_actions"] = [
                {
                    "label": action.label,
                    "url": reverse(f"admin:{action.url_name}", args=[quote(obj.pk)]),
                    "danger": action.danger,
                }
                for action in CASE_ACTIONS
                if action.available(obj, today)
            ]
        if obj is not None and obj.right in export_services.EXPORTABLE_RIGHTS:
            context["export_panel"] = self._export_panel(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _export_panel(self, request, case: DsrCase) -> dict:
        """The Exports panel: every export with its files (two queries however many), and
        the buttons this user may press now."""
        jobs = list(selectors.case_exports(case))
        can_act = self.has_change_permission(request, case)
        can_download = request.user.has_perm(staff_views.CASE_FILES_PERMISSION)

        def buttons(job):
            if not can_act:
                return []
            return [
                {
                    "label": action.label,
                    "url": reverse(
                        f"admin:{action.url_name}",
                        args=[quote(case.pk), job.pk] if job else [quote(case.pk)],
                    ),
                    "danger": action.danger,
                }
                for action in EXPORT_ACTIONS
                if action.per_job == (job is not None) and action.available(case, job, jobs)
            ]

        rows = [
            {
                "job": job,
                "requested_by": user_name(job.requested_by),
                "files": [
                    {
                        "file": file,
                        "url": reverse("dsr_staff:export_file", args=[file.pk])
                        if can_download and file.storage_name and not file.deleted_at
                        else "",
                    }
                    for file in selectors.export_files_in_order(job.files.all())
                ],
                "actions": buttons(job),
            }
            for job in jobs
        ]
        return {"rows": rows, "actions": buttons(None)}

    def save_model(self, request, obj, form, change):
        """Every change goes through a service that records it on the timeline."""
        changed = set(form.changed_data)
        if any(name in changed for name in PLAIN_FIELDS):
            call_service(
                self,
                request,
                services.case_update_request,
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
                services.case_match_subject,
                case=obj,
                subject=obj.subject,
                actor=request.user,
            )
        if "assignee" in changed:
            call_service(
                self,
                request,
                services.cases_assign,
                cases=[obj],
                assignee=obj.assignee,
                actor=request.user,
            )

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
        receipt = services.ReceiptInput(
            channel=data["channel"],
            rights=[
                services.RequestedRight(
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
            return services.submission_receive(data=receipt, actor=request.user)
        except ApplicationError as error:
            form.add_error(None, error.message)
        except ValidationError as error:
            form.add_error(None, error_text(error))
        return None

    def case_action_view(self, request, object_id, action_name):
        """A transition's form: GET shows it, POST calls the one service behind it."""
        action = CASE_ACTIONS_BY_NAME[action_name]
        case = self._case_to_change(request, object_id)
        if not isinstance(case, DsrCase):
            return case
        form_kwargs = {}
        if action.form_class is dsr_forms.CompleteForm:
            form_kwargs["open_tasks"] = selectors.case_open_task_count(case)
        if action.form_class is dsr_forms.AssignForm:
            form_kwargs["initial"] = {"assignee": case.assignee_id or request.user.pk}
        today = selectors.local_today()
        guard = action.post_guard
        return self._action_page(
            request,
            case=case,
            action=action,
            form_kwargs=form_kwargs,
            available=action.available(case, today),
            allowed=guard is None or guard(case, today),
            run=lambda data: action.run(case, data, request.user),
        )

    def task_action_view(self, request, object_id, task_id, action_name):
        """A fulfilment task's form (try again, done by hand, not needed)."""
        action = TASK_ACTIONS_BY_NAME[action_name]
        case = self._case_to_change(request, object_id)
        if not isinstance(case, DsrCase):
            return case
        task = selectors.case_tasks(case).filter(pk=task_id).first()
        if task is None:
            raise Http404
        return self._action_page(
            request,
            case=case,
            action=action,
            task=task,
            available=action.available(case, task),
            allowed=True,
            run=lambda data: action.run(task, data, request.user),
        )

    def export_action_view(self, request, object_id, action_name, job_id=None):
        """An export button (build, retry, regenerate): GET asks to confirm, POST calls the
        one export service behind it; the service's refusal is shown on the form."""
        action = EXPORT_ACTIONS_BY_NAME[action_name]
        case = self._case_to_change(request, object_id)
        if not isinstance(case, DsrCase):
            return case
        jobs = list(selectors.case_exports(case))
        job = None
        if action.per_job:
            job = next((candidate for candidate in jobs if candidate.pk == job_id), None)
            if job is None:
                raise Http404
        return self._action_page(
            request,
            case=case,
            action=action,
            available=action.available(case, job, jobs),
            allowed=True,
            run=lambda data: action.run(case, job, request.user),
        )

    def _case_to_change(self, request, object_id):
        """The case, a redirect when it does not exist, or PermissionDenied."""
        case = self.get_object(request, unquote(object_id))
        if case is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request, case):
            raise PermissionDenied
        return case

    def _action_page(
        self, request, *, case, action, available, allowed, run, form_kwargs=None, task=None
    ):
        """GET: the form (or back to the case if the action is not offered now). POST: the
        service's refusal on the form, or its success as a message on the case page."""
        case_url = reverse("admin:dsr_dsrcase_change", args=[quote(case.pk)])
        form_kwargs = form_kwargs or {}
        if request.method == "POST":
            form = action.form_class(request.POST, request.FILES, **form_kwargs)
            if form.is_valid():
                if not allowed:
                    form.add_error(None, self._not_now(case, action))
                elif self._run(request, form, run):
                    case.refresh_from_db()
                    self.message_user(request, self._success(case, action, task), messages.SUCCESS)
                    if not case_visible_to(request.user, case):  # assigned to a colleague
                        return redirect(reverse("admin:dsr_dsrcase_changelist"))
                    return redirect(case_url)
        else:
            if not available:
                self.message_user(request, self._not_now(case, action), messages.WARNING)
                return redirect(case_url)
            form = action.form_class(**form_kwargs)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": action.label,
            "subtitle": f"{case.reference}: {task_label(task)}" if task else case.reference,
            "case": case,
            "case_url": case_url,
            "action": action,
            "task": task,
            "form": form,
            "media": self.media + form.media,
            "has_view_permission": True,
            "linked": selectors.case_linked(case),
        }
        return TemplateResponse(request, "admin/dsr/dsrcase/action_form.html", context)

    @staticmethod
    def _run(request, form, run) -> bool:
        """Call the service; its refusal becomes an error on the form."""
        try:
            run(form.cleaned_data)
        except ApplicationError as error:
            form.add_error(None, error.message)
            return False
        except ValidationError as error:
            form.add_error(None, error_text(error))
            return False
        return True

    @staticmethod
    def _success(case: DsrCase, action, task) -> str:
        return action.success % {
            "reference": case.reference,
            "status": case.get_status_display().lower(),
            "date": case.effective_due_date.isoformat(),
            "task": task_label(task) if task else "",
        }

    @staticmethod
    def _not_now(case: DsrCase, action) -> str:
        return _("%(reference)s is %(status)s: “%(action)s” is not possible now.") % {
            "reference": case.reference,
            "status": case.get_status_display().lower(),
            "action": action.label,
        }

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
        linked = selectors.case_linked(obj)
        if not linked:
            return _("None: this letter asked for one right.")
        return format_html_join("", "<div>{}</div>", ((case_link(c),) for c in linked))

    @admin.display(description=_("clock stopped"))
    def running_pause(self, obj):
        pause = selectors.case_running_pause(obj)
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
        if selectors.local_today() <= obj.due_date:
            return _(
                "Not extended. Possible until %(date)s: the requester must be told before the "
                "first due date."
            ) % {"date": obj.due_date.isoformat()}
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
            services.cases_assign,
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


# --- Submissions ----------------------------------------------------------------------------


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
            try:
                email = normalise_email(term)
            except ValidationError:
                return queryset.none(), False
            return queryset.filter(requester_email_hash=crypto.keyed_hash(email)), False
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


# --- Exports --------------------------------------------------------------------------------


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
class ExportJobAdmin(AccessLoggedAdminMixin, CaseVisibilityAdminMixin, admin.ModelAdmin):
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

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions
