"""The public status page's reads: every case of one submission, its letters, the requester's
messages and its exports, in one statement."""

import json
from datetime import datetime
from functools import partial
from uuid import UUID

from django.db import DEFAULT_DB_ALIAS, ProgrammingError, connection
from django.utils.functional import SimpleLazyObject

from core.crypto import decrypt
from dsr import rules
from dsr.choices import EventKind, ExportStatus
from dsr.models import CaseEvent, DsrCase, ExportJob, Letter, Submission

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
    params = {
        "message": EventKind.MESSAGE.value,
        "exportable": [str(right) for right in rules.EXPORTABLE_RIGHTS],
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
    return [
        CaseEvent(case=case, kind=EventKind.MESSAGE, at=_timestamp(at), note=decrypt(note))
        for at, note in messages
    ]


def _json(value):
    if value is None:
        return []
    return json.loads(value) if isinstance(value, str | bytes) else value
