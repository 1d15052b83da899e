"""A stand-in for the reference platform's own database, so that a request in the demo reaches
real rows: organisations, users, their functions, evaluations and indexes, the event store and
the invoices, for the demo's platform users (matched by email address).

It lives in its own database, DEMO_PLATFORM_DATABASE_URL (default: the SQLite file
VAR_DIR/demo-platform.sqlite3), never in the portal's. Filled once: a second run leaves it as it
is, so what a demo erasure removed stays removed. Generated from a fixed seed, so every fresh
demo holds the same rows.
"""

import random
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from django.conf import settings

from dsr.connectors.postgresql import is_sqlite, sqlite_path, transaction

SEED = 20240819
# Fiscal years invoiced (calendar years); fixed so the legal hold's dates are the same in every
# demo: the invoices of 2025 are kept until 31 December 2032 (Bokföringslagen 7 kap. 2 §).
FISCAL_YEARS = (2023, 2024, 2025)
EVENT_KINDS = ("sign_in", "function.call", "function.call", "index.query", "api_key.use")
FUNCTION_NAMES = ("summarise", "classify", "extract", "answer")
MODELS = ("gpt-4o", "claude-3-5-sonnet", "mistral-large", "llama-3-70b")
FIRST_DAY = datetime(2024, 1, 8, 9, 0)
TABLES = ("organisations", "users", "functions", "evaluations", "indexes", "events", "invoices")


@dataclass(frozen=True)
class PlatformPerson:
    email: str
    name: str
    organisation: str
    country: str
    is_admin: bool


def platform_url() -> str:
    """Where the demo platform database is: the setting, or SQLite under VAR_DIR."""
    url = settings.DEMO_PLATFORM_DATABASE_URL
    if url:
        return url
    return f"sqlite:///{Path(settings.VAR_DIR) / 'demo-platform.sqlite3'}"


def _schema(sqlite: bool) -> list[str]:
    pk = "INTEGER PRIMARY KEY AUTOINCREMENT" if sqlite else "BIGSERIAL PRIMARY KEY"
    ref = "INTEGER" if sqlite else "BIGINT"
    return [
        f"""CREATE TABLE IF NOT EXISTS organisations (
            id {pk}, name TEXT NOT NULL UNIQUE, country TEXT NOT NULL,
            created_at TIMESTAMP NOT NULL)""",
        f"""CREATE TABLE IF NOT EXISTS users (
            id {pk}, organisation_id {ref} NOT NULL REFERENCES organisations (id),
            email TEXT NOT NULL UNIQUE, name TEXT, role TEXT NOT NULL,
            created_at TIMESTAMP NOT NULL, last_login_at TIMESTAMP,
            restricted BOOLEAN NOT NULL DEFAULT FALSE)""",
        f"""CREATE TABLE IF NOT EXISTS functions (
            id {pk}, organisation_id {ref} NOT NULL REFERENCES organisations (id),
            created_by_id {ref} REFERENCES users (id) ON DELETE SET NULL,
            name TEXT NOT NULL, model TEXT NOT NULL, instructions TEXT,
            created_at TIMESTAMP NOT NULL)""",
        f"""CREATE TABLE IF NOT EXISTS evaluations (
            id {pk}, function_id {ref} NOT NULL REFERENCES functions (id) ON DELETE CASCADE,
            created_by_id {ref} REFERENCES users (id) ON DELETE SET NULL,
            score REAL NOT NULL, comment TEXT, created_at TIMESTAMP NOT NULL)""",
        f"""CREATE TABLE IF NOT EXISTS indexes (
            id {pk}, organisation_id {ref} NOT NULL REFERENCES organisations (id),
            created_by_id {ref} REFERENCES users (id) ON DELETE SET NULL,
            name TEXT NOT NULL, documents INTEGER NOT NULL, created_at TIMESTAMP NOT NULL)""",
        # The event store is written by every service and keeps the address the event was
        # recorded with: no foreign key, as in the real one.
        f"""CREATE TABLE IF NOT EXISTS events (
            id {pk}, user_id {ref}, user_email TEXT, kind TEXT NOT NULL, ip_address TEXT,
            user_agent TEXT, occurred_at TIMESTAMP NOT NULL,
            restricted BOOLEAN NOT NULL DEFAULT FALSE)""",
        f"""CREATE TABLE IF NOT EXISTS invoices (
            id {pk}, organisation_id {ref} NOT NULL REFERENCES organisations (id),
            number TEXT NOT NULL UNIQUE, customer_email TEXT NOT NULL, customer_name TEXT,
            billing_address TEXT, amount_sek NUMERIC(12, 2) NOT NULL, issued_on DATE NOT NULL,
            fiscal_year_end DATE NOT NULL, restricted BOOLEAN NOT NULL DEFAULT FALSE,
            restricted_reason TEXT)""",
        "CREATE TABLE IF NOT EXISTS platform_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    ]


def _insert(session, table: str, row: dict) -> int:
    columns = ", ".join(row)
    values = ", ".join(f"%({name})s" for name in row)
    rows, _count = session.execute(
        f"INSERT INTO {table} ({columns}) VALUES ({values}) RETURNING id",  # noqa: S608
        row,
    )
    return rows[0]["id"]


def _ip(rng: random.Random) -> str:
    first = rng.choice([81, 83, 90, 94, 155, 213])
    return f"{first}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def ensure(url: str, people: list[PlatformPerson]) -> dict[str, int]:
    """Create the platform's tables and fill them once for `people`; returns row counts."""
    sqlite = is_sqlite(url)
    if sqlite:
        # The connectors open existing files only; this is where the file is born.
        path = Path(sqlite_path(url))
        path.parent.mkdir(parents=True, exist_ok=True)
        sqlite3.connect(path).close()
    with transaction(url, write=True) as session:
        for statement in _schema(sqlite):
            session.execute(statement, {})
        seeded, _count = session.execute(
            "SELECT value FROM platform_meta WHERE key = %(key)s", {"key": "seeded"}
        )
        if not seeded:
            _fill(session, people)
            session.execute(
                "INSERT INTO platform_meta (key, value) VALUES (%(key)s, %(value)s)",
                {"key": "seeded", "value": date.today().isoformat()},
            )
        counts = {}
        for table in TABLES:
            rows, _count = session.execute(f"SELECT count(*) AS n FROM {table}", {})  # noqa: S608
            counts[table] = rows[0]["n"]
    return counts


def _fill(session, people: list[PlatformPerson]) -> None:
    rng = random.Random(SEED)  # noqa: S311 - reproducible demo data, not secrets
    organisations: dict[str, int] = {}
    admins: dict[str, PlatformPerson] = {}
    for person in sorted(people, key=lambda p: (p.organisation, p.email)):
        if person.organisation not in organisations:
            organisations[person.organisation] = _insert(
                session,
                "organisations",
                {"name": person.organisation, "country": person.country, "created_at": FIRST_DAY},
            )
        organisation_id = organisations[person.organisation]
        if person.is_admin:
            admins.setdefault(person.organisation, person)
        joined = FIRST_DAY + timedelta(days=rng.randint(0, 500))
        # Some addresses were typed with capitals at sign-up; lookups compare in lower case.
        email = person.email if rng.random() < 0.8 else person.email.capitalize()
        user_id = _insert(
            session,
            "users",
            {
                "organisation_id": organisation_id,
                "email": email,
                "name": person.name,
                "role": "admin" if person.is_admin else "member",
                "created_at": joined,
                "last_login_at": joined + timedelta(days=rng.randint(1, 300)),
            },
        )
        for number in range(rng.randint(0, 3)):
            function_id = _insert(
                session,
                "functions",
                {
                    "organisation_id": organisation_id,
                    "created_by_id": user_id,
                    "name": f"{rng.choice(FUNCTION_NAMES)}_{number + 1}",
                    "model": rng.choice(MODELS),
                    "instructions": "Answer in the customer's language, briefly.",
                    "created_at": joined + timedelta(days=rng.randint(0, 60)),
                },
            )
            for _evaluation in range(rng.randint(0, 2)):
                _insert(
                    session,
                    "evaluations",
                    {
                        "function_id": function_id,
                        "created_by_id": user_id,
                        "score": round(rng.uniform(0.5, 1.0), 2),
                        "comment": "Checked against the reference answers.",
                        "created_at": joined + timedelta(days=rng.randint(60, 120)),
                    },
                )
        if rng.random() < 0.4:
            _insert(
                session,
                "indexes",
                {
                    "organisation_id": organisation_id,
                    "created_by_id": user_id,
                    "name": rng.choice(["support-articles", "contracts", "product-docs"]),
                    "documents": rng.randint(10, 5000),
                    "created_at": joined + timedelta(days=rng.randint(0, 90)),
                },
            )
        for _event in range(rng.randint(5, 25)):
            _insert(
                session,
                "events",
                {
                    "user_id": user_id,
                    "user_email": email,
                    "kind": rng.choice(EVENT_KINDS),
                    "ip_address": _ip(rng),
                    "user_agent": rng.choice(["opper-python/1.4", "opper-node/2.0", "Mozilla/5.0"]),
                    "occurred_at": joined + timedelta(minutes=rng.randint(0, 400 * 24 * 60)),
                },
            )
    # Each customer organisation is invoiced quarterly; its (first) administrator is the
    # billing contact named on the invoice.
    for organisation, admin in sorted(admins.items()):
        for year in FISCAL_YEARS:
            for quarter in range(4):
                _insert(
                    session,
                    "invoices",
                    {
                        "organisation_id": organisations[organisation],
                        "number": f"INV-{year}-{organisations[organisation]:03d}-{quarter + 1}",
                        "customer_email": admin.email,
                        "customer_name": admin.name,
                        "billing_address": f"{organisation}, Box {rng.randint(100, 999)}",
                        "amount_sek": rng.randint(2, 40) * 500,
                        "issued_on": date(year, 3 * quarter + 3, 28),
                        "fiscal_year_end": date(year, 12, 31),
                    },
                )


def people_from_register() -> list[PlatformPerson]:
    """The register's platform users and organisation administrators of customers."""
    from privacy.choices import SubjectCategory
    from privacy.models import DataSubject

    people = []
    subjects = (
        DataSubject.objects.filter(
            category__in=[SubjectCategory.PLATFORM_USER, SubjectCategory.ORGANISATION_ADMIN],
            organisation__is_customer=True,
        )
        .select_related("organisation")
        .prefetch_related("emails")
        .order_by("pk")
    )
    for subject in subjects:
        primary = next((e.email for e in subject.emails.all() if e.is_primary), None)
        if primary is None:
            continue
        people.append(
            PlatformPerson(
                email=primary,
                name=subject.name,
                organisation=subject.organisation.name,
                country=subject.organisation.country_code or "SE",
                is_admin=subject.category == SubjectCategory.ORGANISATION_ADMIN,
            )
        )
    return people
