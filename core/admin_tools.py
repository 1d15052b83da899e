"""Pieces every app's admin shares: counting big tables, review-date filters, service calls.

The admin only parses input, calls one service or selector and reports the result; what is
here keeps that reporting the same everywhere (an error message, never a 500).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from operator import attrgetter

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.views.main import SEARCH_VAR
from django.core.exceptions import EmptyResultSet, ValidationError
from django.core.paginator import Paginator
from django.db import connections, models
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from core.access_log import access_log_search, access_log_staff, case_purpose, log_text
from core.choices import AccessAction
from core.errors import ApplicationError

# Editable=False timestamps every register model carries; shown read-only.
AUDIT_FIELDS = ("created_at", "updated_at")
AUDIT_FIELDSET = (_("Record"), {"fields": AUDIT_FIELDS, "classes": ("collapse",)})

# Addresses typed without a scheme are read as https (Django 6's default; silences 5.x's warning).
URL_FIELDS_HTTPS = {models.URLField: {"assume_scheme": "https"}}


# --- Counting -------------------------------------------------------------------------------


def _estimable(queryset):
    """The queryset's connection, or None where an estimate cannot help."""
    if not isinstance(queryset, QuerySet):
        return None
    if queryset.query.combinator or queryset.query.is_sliced:
        return None
    return connections[queryset.db]


def count_or_estimate(queryset, *, exact_below: int, estimate_above: int) -> int | None:
    """How many rows `queryset` has, in one query whatever the table's size; None for what
    cannot be estimated (a union, a slice, a list: the caller counts).

    - Unfiltered: the planner's row count of the table, or an exact COUNT(*) when that says
      fewer than `exact_below` rows (or the table was never analysed).
    - Filtered (filters, search): the planner's estimate of the result (EXPLAIN, through the
      core_count_estimate function of the migrations), or an exact COUNT(*) when that is
      fewer than `estimate_above` rows: counting a fifth of a million rows to number the pages
      would cost more than the page itself.
    The COUNT(*) in each query runs only when its branch is taken.
    """
    connection = _estimable(queryset)
    if connection is None:
        return None
    table = connection.ops.quote_name(queryset.model._meta.db_table)
    with connection.cursor() as cursor:
        if not queryset.query.where and not queryset.query.distinct:
            cursor.execute(
                "SELECT CASE WHEN reltuples >= %s THEN reltuples::bigint "  # noqa: S608
                f"ELSE (SELECT count(*) FROM {table}) END FROM pg_class WHERE oid = %s::regclass",
                [exact_below, table],
            )
        else:
            rows = queryset.order_by().values("pk")
            try:
                sql = connection.ops.compose_sql(*rows.query.get_compiler(queryset.db).as_sql())
            except EmptyResultSet:  # a filter that can match nothing (queryset.none())
                return 0
            cursor.execute(
                "SELECT CASE WHEN estimate >= %s THEN estimate "  # noqa: S608
                f"ELSE (SELECT count(*) FROM ({sql.replace('%', '%%')}) AS counted) END "
                "FROM (SELECT core_count_estimate(%s) AS estimate) AS planned",
                [estimate_above, sql],
            )
        row = cursor.fetchone()
    return None if row is None else int(row[0])


class EstimatedCountPaginator(Paginator):
    """A paginator that does not COUNT(*) a big table or a big part of one.

    COUNT(*) reads every row (a million subjects: most of a second per page view). On
    PostgreSQL the planner's figures are used instead where counting would read many rows
    (see count_or_estimate): the same number of queries for ten thousand rows as for a million.
    Small tables, small results and other databases get an exact count, which is cheap there.
    """

    # Below this many rows an exact count costs little and reads better than an estimate.
    exact_below = 50_000
    # A filtered list is counted exactly unless the planner expects this many rows or more.
    estimate_above = 100_000

    @cached_property
    def count(self) -> int:
        counted = count_or_estimate(
            self.object_list, exact_below=self.exact_below, estimate_above=self.estimate_above
        )
        return super().count if counted is None else counted

    def page(self, number):
        """Past the first page, the page's keys are read first (an index scan over the rows
        skipped) and then only its rows, with their joins and annotations: with OFFSET alone
        every skipped row is joined (page 1,000 of the requests: 0.8 s against 50 ms)."""
        number = self.validate_number(number)
        if number == 1 or not isinstance(self.object_list, QuerySet):
            return super().page(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        keys = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        rows = list(self.object_list.filter(pk__in=keys)) if keys else []
        return self._get_page(rows, number, self)


# --- Filters --------------------------------------------------------------------------------


class IndexedValuesFilter(admin.AllValuesFieldListFilter):
    """A filter on a plain column's values, read through the column's index one value at a time
    (a recursive query asking for the next value above the last) instead of DISTINCT over
    every row: a dozen values of a million-row log in a millisecond, not a scan. The column
    needs an index that starts with it; the values offered are the whole table's."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        connection = connections[model_admin.get_queryset(request).db]
        table = connection.ops.quote_name(model._meta.db_table)
        column = connection.ops.quote_name(field.column)
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH RECURSIVE v(value) AS (SELECT MIN({column}) FROM {table} "  # noqa: S608
                f"UNION ALL SELECT (SELECT MIN({column}) FROM {table} WHERE {column} > v.value) "
                "FROM v WHERE v.value IS NOT NULL) SELECT value FROM v WHERE value IS NOT NULL"
            )
            self.lookup_choices = [row[0] for row in cursor.fetchall()]


class ReviewDueFilter(admin.SimpleListFilter):
    """Rows by their next review date: overdue, due soon, later, or never scheduled.

    Subclass per date field with review_due_filter().
    """

    title = _("review due")
    parameter_name = "review_due"
    field_name = "next_review_on"

    @property
    def window_days(self) -> int:
        # The same window as the review reminders and the digests.
        return settings.REVIEW_REMINDER_DAYS

    def lookups(self, request, model_admin):
        return (
            ("overdue", _("Overdue")),
            ("soon", _("Within %(days)d days") % {"days": self.window_days}),
            ("later", _("Later")),
            ("never", _("Not scheduled")),
        )

    def queryset(self, request, queryset):
        today = timezone.localdate()
        limit = today + timedelta(days=self.window_days)
        field = self.field_name
        match self.value():
            case "overdue":
                return queryset.filter(**{f"{field}__lt": today})
            case "soon":
                return queryset.filter(**{f"{field}__gte": today, f"{field}__lte": limit})
            case "later":
                return queryset.filter(**{f"{field}__gt": limit})
            case "never":
                return queryset.filter(**{f"{field}__isnull": True})
        return queryset


def review_due_filter(field_name: str) -> type[ReviewDueFilter]:
    """A "Review due" list filter on the date field `field_name`."""
    return type(f"ReviewDueFilter_{field_name}", (ReviewDueFilter,), {"field_name": field_name})


# --- Calling services -----------------------------------------------------------------------


def error_text(error: ValidationError) -> str:
    return " ".join(str(message) for message in error.messages)


def call_service(model_admin, request, service, /, **kwargs):
    """Call `service(**kwargs)`; report a refusal as an error message and return None.

    ApplicationError (a forbidden transition) and ValidationError (bad data) are the two ways a
    service says no; either becomes a message on the next page instead of a server error.
    """
    try:
        return service(**kwargs)
    except ApplicationError as error:
        model_admin.message_user(request, error.message, messages.ERROR)
    except ValidationError as error:
        model_admin.message_user(request, error_text(error), messages.ERROR)
    return None


def adopt(instance, saved) -> None:
    """Copy a row a service saved onto the admin's unsaved instance of it.

    The admin logs and redirects with the instance its form built; when a service did the
    saving, that instance must learn the primary key and computed fields.
    """
    for field in saved._meta.concrete_fields:
        setattr(instance, field.attname, getattr(saved, field.attname))
    instance._state.adding = False
    instance._state.db = saved._state.db


# --- Admins the apps above extend ---------------------------------------------------------


@dataclass
class AdminExtension:
    inlines: tuple = ()
    list_display: tuple = ()
    list_filter: tuple = ()
    readonly_fields: tuple = ()
    fieldsets: tuple = ()
    actions: tuple = ()
    prefetch_related: tuple = ()


class ExtensibleAdmin(admin.ModelAdmin):
    """An admin that the apps above its app add to (inlines, columns, fields, filters,
    actions) with `extend()`, without replacing it: the class itself names none of them, and
    nobody unregisters and registers it again. An extension applies where the admin is
    registered on the project's site (`admin.site`), not on a site of one's own.
    """

    _extensions: dict[tuple[type, str], AdminExtension] = {}

    @classmethod
    def extend(cls, *, site_name: str = "admin", **parts) -> None:
        """Add `parts` (AdminExtension's fields) to this admin on the site `site_name`; call
        it once, from the extending app's admin module."""
        known = ExtensibleAdmin._extensions.get((cls, site_name), AdminExtension())
        ExtensibleAdmin._extensions[(cls, site_name)] = AdminExtension(
            **{
                name: (*getattr(known, name), *parts.get(name, ()))
                for name in AdminExtension.__dataclass_fields__
            }
        )

    @property
    def extension(self) -> AdminExtension:
        return ExtensibleAdmin._extensions.get((type(self), self.admin_site.name), AdminExtension())

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        prefetch = self.extension.prefetch_related
        return queryset.prefetch_related(*prefetch) if prefetch else queryset

    def get_inlines(self, request, obj):
        return (*super().get_inlines(request, obj), *self.extension.inlines)

    def get_list_display(self, request):
        return (*super().get_list_display(request), *self.extension.list_display)

    def get_list_filter(self, request):
        return (*super().get_list_filter(request), *self.extension.list_filter)

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), *self.extension.readonly_fields)

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        extra = self.extension.fieldsets
        if not extra:
            return fieldsets
        # Before the last fieldset: the record's own (created, updated) stays at the end.
        return [*fieldsets[:-1], *extra, *fieldsets[-1:]]

    def _get_base_actions(self):
        # Django's list of this admin's actions before permissions filter it (what
        # get_actions and the system checks read): the extension's are added to it.
        actions = super()._get_base_actions()
        extra = (self.get_action(action) for action in self.extension.actions)
        return [*actions, *(action for action in extra if action)]


# --- Read-only lists ------------------------------------------------------------------------


class ReadOnlyAdmin(admin.ModelAdmin):
    """Logs and records of what happened: visible, never added, edited or deleted here."""

    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- Inlines --------------------------------------------------------------------------------


class ReadOnlyInlineMixin:
    """An inline that shows related rows and never adds, changes or deletes them."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- The access log -------------------------------------------------------------------------


@dataclass(frozen=True)
class AccessLogged:
    """What an admin records in the access log: each view of a row's page (GET) and each
    search of its list, with who, when, from where and which request it served.

    `subject` and `case` lead from a row to the data subject's id and to its request's
    reference: attribute paths ("case.reference") or functions. `purpose` (marked with
    gettext_noop) says why for rows that belong to no request.
    """

    object_type: str
    subject: str | Callable | None = None
    case: str | Callable | None = None
    purpose: str = ""
    views: bool = True

    def read(self, path, obj):
        if path is None:
            return None
        return path(obj) if callable(path) else attrgetter(path)(obj)


class AccessLoggedAdminMixin:
    """Records views and searches as `access_logged` (an AccessLogged) says; one INSERT per
    request, whatever the number of rows."""

    access_logged: AccessLogged

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        logged = self.access_logged
        if obj is not None and not add and request.method == "GET" and logged.views:
            reference = logged.read(logged.case, obj) or ""
            access_log_staff(
                request,
                action=AccessAction.VIEW,
                object_type=logged.object_type,
                object_id=str(obj.pk),
                subject_id=logged.read(logged.subject, obj),
                case_reference=reference,
                purpose=case_purpose(reference) if reference else log_text(logged.purpose),
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        term = request.GET.get(SEARCH_VAR, "").strip()
        if term and request.method == "GET" and response.status_code == 200:
            self.access_log_search(request, term)
        return response

    def access_log_search(self, request, term: str) -> None:
        access_log_search(
            request,
            object_type=self.access_logged.object_type,
            term=term,
            list_name=self.opts.verbose_name_plural,
        )
