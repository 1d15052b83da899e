"""Reads about cases that span relations: the team's queue, deadlines, a case's page.

"Today" is the local date where the controller is (dsr.deadlines), not the server's UTC date:
a case due today in Stockholm is not overdue at 00:30 Stockholm time.
"""

import json
from datetime import date, datetime, timedelta
from functools import partial
from uuid import UUID

from django.db import DEFAULT_DB_ALIAS, ProgrammingError, connection
from django.db.models import (
    DateField,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from core.crypto import decrypt
from dsr import deadlines
from dsr.choices import FINAL_STATUSES, OPEN_TASK_STATUSES, ExportFileKind
from dsr.models import (
    CaseEvent,
    CasePause,
    CaseTask,
    DsrCase,
    ExportFile,
    ExportJob,
    Letter,
    Submission,
)

# The same predicate as the partial index dsr_case_open_target_idx, so the planner can use it.
_FINAL = sorted(FINAL_STATUSES)


class DaysUntil(Func):
    """Whole days from the second date to the first (PostgreSQL: date - date is an integer)."""

    arg_joiner = " - "
    template = "(%(expressions)s)"
    output_field = IntegerField()


def local_today() -> date:
    return deadlines.local_received_date(timezone.now())


def _cases(queryset: QuerySet[DsrCase] | None) -> QuerySet[DsrCase]:
    return DsrCase.objects.all() if queryset is None else queryset


def _effective_due() -> Coalesce:
    return Coalesce(F("extended_due_date"), F("due_date"), output_field=DateField())


def cases_open(queryset: QuerySet[DsrCase] | None = None) -> QuerySet[DsrCase]:
    """Cases not yet completed, refused or withdrawn."""
    return _cases(queryset).exclude(status__in=_FINAL)


def cases_queue(
    queryset: QuerySet[DsrCase] | None = None, *, today: date | None = None
) -> QuerySet[DsrCase]:
    """Cases with what the queue shows, in one query: submission, subject and assignee joined;
    `effective_due` (the extended date once extended), `days_left` (to the target date, the
    date the team works to), `legal_days_left` (to `effective_due`) and `clock_paused`."""
    today = today or local_today()
    running_pause = CasePause.objects.filter(case=OuterRef("pk"), ended_at__isnull=True)
    return (
        _cases(queryset)
        .select_related("submission", "subject", "assignee")
        .annotate(
            effective_due=_effective_due(),
            days_left=DaysUntil(F("target_date"), Value(today, output_field=DateField())),
            legal_days_left=DaysUntil(_effective_due(), Value(today, output_field=DateField())),
            clock_paused=Exists(running_pause),
        )
    )


def cases_overdue(
    queryset: QuerySet[DsrCase] | None = None, *, today: date | None = None
) -> QuerySet[DsrCase]:
    """Open cases whose legal due date (the extended one once extended) has passed."""
    today = today or local_today()
    return cases_open(queryset).filter(
        Q(extended_due_date__isnull=True, due_date__lt=today) | Q(extended_due_date__lt=today)
    )


def cases_past_target(
    queryset: QuerySet[DsrCase] | None = None, *, today: date | None = None
) -> QuerySet[DsrCase]:
    """Open cases late on our own promise: the target date has passed (overdue ones too)."""
    today = today or local_today()
    return cases_open(queryset).filter(target_date__lt=today)


def cases_due_within(
    days: int, queryset: QuerySet[DsrCase] | None = None, *, today: date | None = None
) -> QuerySet[DsrCase]:
    """Open cases legally due between today and `days` days from now (not yet overdue)."""
    today = today or local_today()
    return (
        cases_open(queryset)
        .alias(effective_due_on=_effective_due())
        .filter(effective_due_on__gte=today, effective_due_on__lte=today + timedelta(days=days))
    )


def cases_target_within(
    days: int, queryset: QuerySet[DsrCase] | None = None, *, today: date | None = None
) -> QuerySet[DsrCase]:
    """Open cases whose target date falls between today and `days` days from now."""
    today = today or local_today()
    return cases_open(queryset).filter(
        target_date__gte=today, target_date__lte=today + timedelta(days=days)
    )


def cases_unassigned(queryset: QuerySet[DsrCase] | None = None) -> QuerySet[DsrCase]:
    return cases_open(queryset).filter(assignee__isnull=True)


def cases_assigned_to(user, queryset: QuerySet[DsrCase] | None = None) -> QuerySet[DsrCase]:
    return _cases(queryset).filter(assignee=user)


def cases_by_email_hash(
    email_hash: str, queryset: QuerySet[DsrCase] | None = None
) -> QuerySet[DsrCase]:
    """Cases whose requester wrote from the address with this keyed hash (core.crypto)."""
    return _cases(queryset).filter(submission__requester_email_hash=email_hash)


# --- One case's page ------------------------------------------------------------------------


def case_linked(case: DsrCase) -> list[DsrCase]:
    """The other cases of the same submission (one letter, several rights)."""
    return list(
        DsrCase.objects.filter(submission_id=case.submission_id).exclude(pk=case.pk).order_by("pk")
    )


def case_timeline(case: DsrCase) -> QuerySet[CaseEvent]:
    """Every event of the case, oldest first."""
    return CaseEvent.objects.filter(case=case).select_related("actor").order_by("at", "pk")


def case_tasks(case: DsrCase) -> QuerySet[CaseTask]:
    return (
        CaseTask.objects.filter(case=case)
        .select_related("system", "recipient", "completed_by")
        .order_by("pk")
    )


def case_open_task_count(case: DsrCase) -> int:
    return CaseTask.objects.filter(case=case, status__in=sorted(OPEN_TASK_STATUSES)).count()


def case_letters(case: DsrCase) -> QuerySet[Letter]:
    return (
        Letter.objects.filter(case=case)
        .select_related("outbox", "created_by")
        .order_by("created_at", "pk")
    )


def case_running_pause(case: DsrCase) -> CasePause | None:
    return CasePause.objects.filter(case=case, ended_at__isnull=True).first()


def case_exports(case: DsrCase) -> QuerySet[ExportJob]:
    """A case's exports, newest first, with who asked for them and their files (deleted ones
    too: their hashes are the record of what was sent). Two queries however many there are."""
    return (
        ExportJob.objects.filter(case=case)
        .select_related("requested_by")
        .prefetch_related(Prefetch("files", queryset=ExportFile.objects.order_by("kind", "pk")))
        .order_by("-created_at", "-pk")
    )


_FILE_ORDER = {kind: position for position, kind in enumerate(ExportFileKind.values)}


def export_files_in_order(files) -> list[ExportFile]:
    """An export's files as people read them: the report first, then the package, the page."""
    return sorted(files, key=lambda file: (_FILE_ORDER.get(file.kind, len(_FILE_ORDER)), file.pk))


# The public status page in one statement: a status link is the page people reload most, and
# every query through the ORM costs several times its round trip here. Per case, its letters,
# its messages and (rights with exports) its ready or expired exports come as JSON arrays.
_STATUS_PAGE_SQL = """
SELECT c.id, c.public_id, c.reference, c."right", c.status, c.due_date, c.extended_due_date,
       c.closed_at, s.id, s.received_at,
       (SELECT coalesce(json_agg(json_build_array(l.created_at, l.subject, l.body)
                                 ORDER BY l.created_at, l.id), '[]')
          FROM dsr_letter l WHERE l.case_id = c.id),
       (SELECT coalesce(json_agg(json_build_array(e.at, e.note) ORDER BY e.at, e.id), '[]')
          FROM dsr_caseevent e WHERE e.case_id = c.id AND e.kind = %(message)s),
       CASE WHEN c."right" = ANY(%(exportable)s) THEN
       (SELECT coalesce(json_agg(json_build_array(x.id, x.public_id, x.status, x.expires_at,
                                                  x.created_at)
                                 ORDER BY x.created_at DESC, x.id DESC), '[]')
          FROM dsr_exportjob x WHERE x.case_id = c.id AND x.status = ANY(%(export_statuses)s))
       END
  FROM dsr_dsrcase c JOIN dsr_submission s ON s.id = c.submission_id
 WHERE s.status_token_hash = %(token_hash)s
 ORDER BY c.id
"""
_STATUS_CASE_FIELDS = [
    *("id", "public_id", "reference", "right", "status", "due_date", "extended_due_date"),
    *("closed_at", "submission_id"),
]


def _loaded(model, values: dict):
    """An instance of `model` as if read from the database with only these fields (others
    are deferred: reading one would query for it)."""
    fields = model._meta.concrete_fields
    return model.from_db(
        DEFAULT_DB_ALIAS,
        [f.attname for f in fields if f.attname in values],
        [values[f.attname] for f in fields if f.attname in values],
    )


def _timestamp(value: str | None):
    return datetime.fromisoformat(value) if value else None


def cases_for_status_page(*, status_token_hash: str) -> list[DsrCase]:
    """The cases of the submission behind a status link, oldest first, in one query (prepared
    once per database session, `_status_page_rows`): only what the page shows (other fields
    are deferred), with `submission` (its receipt date) and `public_letters`, `public_messages`
    (oldest first) and `public_exports` (ready or expired, newest first; only for rights that
    have exports) set on each.

    Letters and messages are decrypted when first read, so that a page whose content comes
    from the cache decrypts nothing; each case's `stored_row` is its row as read (texts still
    encrypted): everything the page shows about the case, for that cache's key."""
    cases = []
    for row in _status_page_rows(status_token_hash):
        case = _loaded(DsrCase, dict(zip(_STATUS_CASE_FIELDS, row[:9], strict=True)))
        case.submission = _loaded(Submission, {"id": row[8], "received_at": row[9]})
        case.stored_row = row
        letters, messages, exports = (_json(value) for value in row[10:13])
        case.public_letters = SimpleLazyObject(partial(_status_letters, case, letters))
        case.public_messages = SimpleLazyObject(partial(_status_messages, case, messages))
        case.public_exports = [
            _loaded(
                ExportJob,
                {
                    "id": pk,
                    "public_id": UUID(public_id),
                    "status": status,
                    "expires_at": _timestamp(expires),
                    "created_at": _timestamp(created),
                    "case_id": case.pk,
                },
            )
            for pk, public_id, status, expires, created in exports
        ]
        for job in case.public_exports:
            job.case = case
        cases.append(case)
    return cases


# Planning the statement takes about twice as long as running it: each database session
# prepares it once (a prepared statement lasts as long as the session, rollbacks included) and
# then only executes it. Behind a pooler in transaction mode (PgBouncer) the EXECUTE can reach
# a session that never saw the PREPARE, and a PREPARE one that already has it: either error
# is noted on the session and the page answers from the plain statement instead. Inside a
# transaction an error would abort it, so there the plain statement is used.
_STATUS_PAGE_STATEMENT = "dsr_status_page"
_PREPARED = "_dsr_status_page_prepared"


def _status_page_rows(token_hash: str) -> list[tuple]:
    from dsr.choices import EventKind, ExportStatus
    from dsr.services.exports import EXPORTABLE_RIGHTS

    params = {
        "message": EventKind.MESSAGE.value,
        "exportable": [str(right) for right in EXPORTABLE_RIGHTS],
        "export_statuses": [ExportStatus.READY.value, ExportStatus.EXPIRED.value],
    }
    with connection.cursor() as cursor:
        session = connection.connection
        if not connection.in_atomic_block:
            try:
                if not getattr(session, _PREPARED, False):
                    statement = _STATUS_PAGE_SQL.replace("%(token_hash)s", "$1")
                    cursor.execute(f"PREPARE {_STATUS_PAGE_STATEMENT}(text) AS {statement}", params)
                    setattr(session, _PREPARED, True)
                cursor.execute(f"EXECUTE {_STATUS_PAGE_STATEMENT}(%s)", [token_hash])
                return cursor.fetchall()
            except ProgrammingError as error:
                from psycopg import errors

                missing = isinstance(error.__cause__, errors.InvalidSqlStatementName)
                if not missing and not isinstance(
                    error.__cause__, errors.DuplicatePreparedStatement
                ):
                    raise
                setattr(session, _PREPARED, not missing)
        cursor.execute(_STATUS_PAGE_SQL, {**params, "token_hash": token_hash})
        return cursor.fetchall()


def _status_letters(case: DsrCase, letters: list) -> list[Letter]:
    return [
        Letter(case=case, created_at=_timestamp(at), subject=decrypt(subject), body=decrypt(body))
        for at, subject, body in letters
    ]


def _status_messages(case: DsrCase, messages: list) -> list[CaseEvent]:
    from dsr.choices import EventKind

    return [
        CaseEvent(case=case, kind=EventKind.MESSAGE, at=_timestamp(at), note=decrypt(note))
        for at, note in messages
    ]


def _json(value):
    if value is None:
        return []
    return json.loads(value) if isinstance(value, str | bytes) else value
