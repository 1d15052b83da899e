"""Who sees which requests: the one place for the rule.

Support agents work on the requests assigned to them and on unassigned ones. Whoever holds
VIEW_ALL_CASES (the privacy officer, managers and auditors: accounts.roles) sees every request.
The request admins, the case page and its transitions and the staff downloads all ask here;
another agent's request is "not found" (404), not "forbidden": that it exists is not theirs to
know either.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from dsr.models import DsrCase, Submission

VIEW_ALL_CASES = "dsr.view_all_dsrcase"


def sees_all_cases(user) -> bool:
    return user.has_perm(VIEW_ALL_CASES)


def _visible(user, prefix: str = "") -> Q:
    return Q(**{f"{prefix}assignee__isnull": True}) | Q(**{f"{prefix}assignee": user.pk})


def visible_rows(user, queryset: QuerySet, *, case: str = "") -> QuerySet:
    """The rows of `queryset` the user may see. `case` is the path from a row to its request:
    "" for requests themselves, "case" for letters and exports, "job__case" for export files."""
    if sees_all_cases(user):
        return queryset
    return queryset.filter(_visible(user, f"{case}__" if case else ""))


def cases_visible_to(user, queryset: QuerySet[DsrCase] | None = None) -> QuerySet[DsrCase]:
    return visible_rows(user, DsrCase.objects.all() if queryset is None else queryset)


def case_visible_to(user, case: DsrCase) -> bool:
    return sees_all_cases(user) or case.assignee_id in (None, user.pk)


def submissions_visible_to(user, queryset: QuerySet[Submission]) -> QuerySet[Submission]:
    """Submissions with at least one request the user may see."""
    if sees_all_cases(user):
        return queryset
    visible = DsrCase.objects.filter(_visible(user), submission=OuterRef("pk"))
    return queryset.filter(Exists(visible))


def case_or_404(user, case: DsrCase) -> DsrCase:
    if not case_visible_to(user, case):
        raise Http404
    return case


class CaseVisibilityAdminMixin:
    """For the admins of requests and what belongs to one request: lists hold only what the
    user may see, and a row outside it (or none at all) is a 404 for those who see a part."""

    # The path from a row to its request, as visible_rows() takes it.
    case_path = ""

    def visible_to(self, user, queryset):
        return visible_rows(user, queryset, case=self.case_path)

    def get_queryset(self, request):
        return self.visible_to(request.user, super().get_queryset(request))

    def get_object(self, request, object_id, from_field=None):
        found = super().get_object(request, object_id, from_field)
        # The admin would redirect with "doesn't exist"; for someone who sees only part of
        # the requests that is a 404 whether the row exists or not.
        if (
            found is None
            and not sees_all_cases(request.user)
            and self.has_view_or_change_permission(request)
        ):
            raise Http404
        return found
