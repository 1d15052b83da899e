"""The queue's filters: open work by default, deadlines, and whose work it is."""

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.main import SEARCH_VAR
from django.utils.translation import gettext_lazy as _

from dsr.choices import CaseStatus
from dsr.selectors import cases as case_selectors

S = CaseStatus


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
            return case_selectors.cases_open(queryset)
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
            ("due_soon", _("Due within %(days)d days") % {"days": settings.DSR_DUE_SOON_DAYS}),
            ("past_target", _("Past our target date")),
            (
                "target_soon",
                _("Target within %(days)d days") % {"days": settings.DSR_DUE_SOON_DAYS},
            ),
        )

    def queryset(self, request, queryset):
        match self.value():
            case "overdue":
                return case_selectors.cases_overdue(queryset)
            case "due_soon":
                return case_selectors.cases_due_within(settings.DSR_DUE_SOON_DAYS, queryset)
            case "past_target":
                return case_selectors.cases_past_target(queryset)
            case "target_soon":
                return case_selectors.cases_target_within(settings.DSR_DUE_SOON_DAYS, queryset)
        return queryset


class AssignedFilter(admin.SimpleListFilter):
    title = _("assigned")
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return (("mine", _("Mine")), ("unassigned", _("Unassigned")))

    def queryset(self, request, queryset):
        if self.value() == "mine":
            return case_selectors.cases_assigned_to(request.user, queryset)
        if self.value() == "unassigned":
            return case_selectors.cases_unassigned(queryset)
        return queryset
