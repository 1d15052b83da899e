"""The platform's own rows at scale (demo.platform's tables): an account for every seeded
platform user and organisation administrator, with their content and events and their
organisations' invoices, written with COPY into the platform database, keys and indexes built
after loading."""

import random
from datetime import UTC, date, datetime, timedelta

import psycopg
from psycopg import sql

from bench.seeding import subjects as privacy_scale
from bench.seeding.requests import HISTORY_DAYS
from bench.seeding.subjects import child, moment
from demo import platform as demo_platform
from dsr.connectors.postgresql import error_first_line
from privacy.choices import SubjectCategory
from privacy.models import (
    Organisation,
)

# --- Platform rows --------------------------------------------------------------------------

PLATFORM_ACCOUNTS = (SubjectCategory.PLATFORM_USER, SubjectCategory.ORGANISATION_ADMIN)
# Some addresses were typed with capitals at sign-up; the connectors compare in lower case.
CAPITALISED_SHARE = 0.1
PAYING_SHARE = 0.75
USER_AGENTS = ("opper-python/1.4", "opper-node/2.0", "Mozilla/5.0")
# What the platform's team indexes for the lookups by address and by author the connectors'
# statements make (and for ON DELETE of a user); the demo's few hundred rows need none.
PLATFORM_INDEXES = {
    "scale_users_lower_email": "users (lower(email))",
    "scale_events_lower_user_email": "events (lower(user_email))",
    "scale_invoices_lower_customer_email": "invoices (lower(customer_email))",
    "scale_functions_created_by": "functions (created_by_id)",
    "scale_evaluations_function": "evaluations (function_id)",
    "scale_evaluations_created_by": "evaluations (created_by_id)",
    "scale_indexes_created_by": "indexes (created_by_id)",
}


class PlatformDatabaseError(Exception):
    """The platform database is not a PostgreSQL database this process can reach."""


def platform_check(url: str) -> None:
    """Fail before minutes of seeding, not after, when `url` cannot take the platform rows."""
    if not url.startswith(("postgresql://", "postgres://")):
        raise PlatformDatabaseError(
            "the platform database must be a PostgreSQL URL (postgresql://user@host:5432/name)"
        )
    try:
        with psycopg.connect(url, connect_timeout=10) as platform:
            platform.execute("SELECT 1")
    except psycopg.Error as error:
        raise PlatformDatabaseError(
            f"cannot reach the platform database: {error_first_line(error)}"
        ) from error


def _naive(at: datetime) -> datetime:
    """The platform's columns are TIMESTAMP (UTC, without a zone), as in demo.platform."""
    return at.astimezone(UTC).replace(tzinfo=None)


def _copy(cursor, table: str, columns: list[str], rows) -> int:
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    written = 0
    with cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
            written += 1
    return written


def _constraints_drop(cursor) -> list[tuple[str, str, str]]:
    """Drop the platform tables' keys, unique and foreign-key constraints and return them as
    (table, name, definition): a bulk build after the COPY costs a fraction of maintaining
    them row by row, and a foreign key is then checked in one join, not by a trigger a row."""
    cursor.execute(
        "SELECT t.relname, c.conname, pg_get_constraintdef(c.oid), c.contype "
        "FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
        "WHERE t.relname = ANY(%s) AND t.relnamespace = current_schema()::regnamespace "
        "AND c.contype IN ('p', 'u', 'f') ORDER BY c.contype <> 'f', t.relname, c.conname",
        [list(demo_platform.TABLES)],
    )
    constraints = cursor.fetchall()
    for table, name, _definition, _kind in constraints:
        cursor.execute(
            sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                sql.Identifier(table), sql.Identifier(name)
            )
        )
    for name in PLATFORM_INDEXES:
        cursor.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(name)))
    # Keys before the foreign keys that need them.
    return [(t, n, d) for t, n, d, kind in sorted(constraints, key=lambda c: c[3] == "f")]


def _constraints_restore(cursor, constraints: list[tuple[str, str, str]]) -> None:
    for table, name, definition in constraints:
        cursor.execute(
            sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} ").format(
                sql.Identifier(table), sql.Identifier(name)
            )
            + sql.SQL(definition)
        )
    for name, target in PLATFORM_INDEXES.items():
        cursor.execute(
            sql.SQL("CREATE INDEX {} ON ").format(sql.Identifier(name)) + sql.SQL(target)
        )


def platform_fill(
    *, url: str, subjects: privacy_scale.SeededSubjects, rng: random.Random, anchor: datetime
) -> dict[str, int]:
    """Create demo.platform's tables in the PostgreSQL database at `url` (if missing) and
    add, for the subjects just seeded: their customer organisations, an account for each
    platform user and organisation administrator (their primary address, which the
    connectors' statements look up), their functions, evaluations and indexes, a few events
    each, and quarterly invoices to the first administrator of paying organisations.

    One transaction in the platform database, committed when it returns (before the portal's):
    COPY with ids after the tables' current ones, keys and indexes built after loading.
    Returns the rows added per table."""
    accounts = [
        n
        for n, category in enumerate(subjects.categories)
        if category in PLATFORM_ACCOUNTS and subjects.organisations[n] is not None
    ]
    organisation_ids = sorted({subjects.organisations[n] for n in accounts})
    organisations = {
        pk: (name, country or "SE", created)
        for pk, name, country, created in Organisation.objects.filter(
            pk__in=organisation_ids
        ).values_list("pk", "name", "country_code", "created_at")
    }
    users_rng, content_rng, events_rng, invoices_rng = (child(rng) for _ in range(4))
    today = _naive(anchor)
    written = {}
    with psycopg.connect(url) as platform, platform.cursor() as cursor:
        # Nothing is lost on a crash that a rollback would not lose anyway.
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for statement in demo_platform.schema():
            cursor.execute(statement)
        cursor.execute(
            sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(
                sql.SQL(", ").join(map(sql.Identifier, demo_platform.TABLES))
            )
        )
        next_id = {}
        for table in demo_platform.TABLES:
            cursor.execute(
                sql.SQL("SELECT coalesce(max(id), 0) + 1 FROM {}").format(sql.Identifier(table))
            )
            next_id[table] = cursor.fetchone()[0]
        constraints = _constraints_drop(cursor)

        platform_organisation = {
            pk: next_id["organisations"] + n for n, pk in enumerate(organisation_ids)
        }
        written["organisations"] = _copy(
            cursor,
            "organisations",
            ["id", "name", "country", "created_at"],
            (
                (platform_organisation[pk], *organisations[pk][:2], _naive(organisations[pk][2]))
                for pk in organisation_ids
            ),
        )
        # (id, organisation, address as stored, joined, seconds from joining to the anchor)
        users: list[tuple[int, int, str, datetime, int]] = []
        billing: dict[int, tuple[str, str]] = {}
        rows = []
        for number, n in enumerate(accounts):
            user_id = next_id["users"] + number
            organisation = platform_organisation[subjects.organisations[n]]
            joined = _naive(moment(anchor, users_rng, days_back=HISTORY_DAYS, days_min=30))
            span = int((today - joined).total_seconds())
            email = subjects.emails[n]
            stored = email.capitalize() if users_rng.random() < CAPITALISED_SHARE else email
            admin = subjects.categories[n] == SubjectCategory.ORGANISATION_ADMIN
            if admin:
                billing.setdefault(organisation, (email, subjects.names[n]))
            users.append((user_id, organisation, stored, joined, span))
            rows.append(
                (
                    user_id,
                    organisation,
                    stored,
                    subjects.names[n] or None,
                    "admin" if admin else "member",
                    joined,
                    joined + timedelta(seconds=users_rng.randint(0, span)),
                )
            )
        written["users"] = _copy(
            cursor,
            "users",
            ["id", "organisation_id", "email", "name", "role", "created_at", "last_login_at"],
            rows,
        )
        del rows

        functions = []
        for user_id, organisation, _stored, joined, span in users:
            if content_rng.random() < 0.2:
                for number in range(content_rng.randint(1, 2)):
                    created = joined + timedelta(seconds=content_rng.randint(0, span))
                    functions.append(
                        (
                            next_id["functions"] + len(functions),
                            organisation,
                            user_id,
                            f"{content_rng.choice(demo_platform.FUNCTION_NAMES)}_{number + 1}",
                            content_rng.choice(demo_platform.MODELS),
                            "Answer in the customer's language, briefly.",
                            created,
                        )
                    )
        written["functions"] = _copy(
            cursor,
            "functions",
            ["id", "organisation_id", "created_by_id", "name", "model", "instructions",
             "created_at"],
            functions,
        )  # fmt: skip
        evaluations = []
        for function_id, _organisation, user_id, *_rest, created in functions:
            for _evaluation in range(content_rng.choice((0, 0, 1, 2))):
                at = min(created + timedelta(days=content_rng.randint(1, 60)), today)
                evaluations.append(
                    (
                        function_id,
                        user_id,
                        round(content_rng.uniform(0.5, 1.0), 2),
                        "Checked against the reference answers.",
                        at,
                    )
                )
        written["evaluations"] = _copy(
            cursor,
            "evaluations",
            ["function_id", "created_by_id", "score", "comment", "created_at"],
            evaluations,
        )
        del functions, evaluations
        written["indexes"] = _copy(
            cursor,
            "indexes",
            ["organisation_id", "created_by_id", "name", "documents", "created_at"],
            (
                (
                    organisation,
                    user_id,
                    content_rng.choice(["support-articles", "contracts", "product-docs"]),
                    content_rng.randint(10, 5000),
                    joined + timedelta(seconds=content_rng.randint(0, span)),
                )
                for user_id, organisation, _stored, joined, span in users
                if content_rng.random() < 0.1
            ),
        )
        written["events"] = _copy(
            cursor,
            "events",
            ["user_id", "user_email", "kind", "ip_address", "user_agent", "occurred_at"],
            (
                (
                    user_id,
                    stored,
                    events_rng.choice(demo_platform.EVENT_KINDS),
                    demo_platform._ip(events_rng),
                    events_rng.choice(USER_AGENTS),
                    joined + timedelta(seconds=events_rng.randint(0, span)),
                )
                for user_id, _organisation, stored, joined, span in users
                for _event in range(events_rng.randint(1, 6))
            ),
        )
        del users
        # Paying organisations are invoiced quarterly over the last three years; their first
        # administrator is the billing contact named on the invoice.
        named = {platform_organisation[pk]: organisations[pk][0] for pk in organisation_ids}
        invoices = []
        for organisation, (email, name) in sorted(billing.items()):
            if invoices_rng.random() >= PAYING_SHARE:
                continue
            address = f"{named[organisation]}, Box {invoices_rng.randint(100, 999)}"
            for year in range(anchor.year - 3, anchor.year):
                for quarter in range(4):
                    invoices.append(
                        (
                            organisation,
                            f"INV-{year}-{organisation:03d}-{quarter + 1}",
                            email,
                            name or None,
                            address,
                            invoices_rng.randint(2, 40) * 500,
                            date(year, 3 * quarter + 3, 28),
                            date(year, 12, 31),
                        )
                    )
        written["invoices"] = _copy(
            cursor,
            "invoices",
            ["organisation_id", "number", "customer_email", "customer_name", "billing_address",
             "amount_sek", "issued_on", "fiscal_year_end"],
            invoices,
        )  # fmt: skip
        _constraints_restore(cursor, constraints)
        for table in demo_platform.TABLES:
            # Rows written with their ids: the sequences move past them for later inserts.
            cursor.execute(
                sql.SQL(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                    "(SELECT coalesce(max(id), 0) + 1 FROM {}), false)"
                ).format(sql.Identifier(table)),
                [table],
            )
            cursor.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table)))
        # demo_platform.ensure would otherwise fill this database again.
        cursor.execute(
            "INSERT INTO platform_meta (key, value) VALUES ('seeded', %s) "
            "ON CONFLICT (key) DO NOTHING",
            [today.date().isoformat()],
        )
    return written
