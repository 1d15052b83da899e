"""A stand-in for the reference platform's own database, so that a request in the demo reaches
real rows: organisations, users, their functions, evaluations and indexes, the event store and
the invoices, for the demo's platform users (matched by email address).

It is a database of its own (never the portal's) on the portal's PostgreSQL server, named after
the portal's database (`<name>_demo_platform`; under `make run` a second database of the
embedded server), or any PostgreSQL database `seed_demo --platform-database` names. Its tables
are demo/data/platform-schema.sql. Filled once: a second run leaves it as it is, so what a demo
erasure removed stays removed. Generated from a fixed seed, so every fresh demo holds the same
rows.
"""

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connections

from core.db import database_ensure
from demo import datafiles
from dsr.connectors.postgresql import transaction

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
    """The demo platform database next to the portal's, created when missing."""
    settings_dict = connections["default"].settings_dict
    return database_ensure(settings_dict, f"{settings_dict['NAME']}_demo_platform")


def schema() -> list[str]:
    """The platform's CREATE TABLE statements (demo/data/platform-schema.sql)."""
    lines = datafiles.text("platform-schema.sql").splitlines()
    script = "\n".join(line for line in lines if not line.lstrip().startswith("--"))
    return [statement.strip() for statement in script.split(";") if statement.strip()]


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
    with transaction(url) as session:
        for statement in schema():
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
