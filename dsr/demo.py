"""Demo data for `seed_demo`: the platform's database filled for the demo's platform users
(dsr.demo_platform), and connectors that reach it, so a request in `make run` finds, exports,
erases, rectifies and restricts real rows.

- Platform database: users (account and membership) and their functions, evaluations and
  indexes (platform content).
- Platform event store and logs: the events table (usage events, anonymised on erasure, as
  the retention rule says).
- Billing (Stripe): the invoices table, a copy of what Stripe Billing holds. Invoices are kept
  by law (Bokföringslagen), so an erasure restricts them and says until when.
- Support helpdesk: a manual task for the demo officer.
No webhook system: `make run` has nothing to answer one.

Idempotent: a system that has a connector keeps it as it is (edits in the admin survive).
"""

from accounts.demo import DEMO_USERNAME
from accounts.models import User
from dsr import demo_cases, demo_platform
from dsr.choices import ConnectorKind
from dsr.choices import Operation as Op
from dsr.connectors.postgresql import is_sqlite
from dsr.models import ConnectorQuery, SystemConnector
from privacy import demo as register
from privacy.models import DataCategory, System

USERS = "FROM users WHERE lower(email) = ANY(%(emails)s)"
CREATED_BY = "created_by_id IN (SELECT id FROM users WHERE lower(email) = ANY(%(emails)s))"


def _rectify_name(sqlite: bool) -> str:
    # %(rectification)s is a JSON object; {"name": "..."} corrects the name.
    corrected = (
        "json_extract(%(rectification)s, '$.name')"
        if sqlite
        else "CAST(%(rectification)s AS jsonb) ->> 'name'"
    )
    return (
        f"UPDATE users SET name = COALESCE({corrected}, name) "  # noqa: S608 - constants only
        "WHERE lower(email) = ANY(%(emails)s)"
    )


def _content(table: str, columns: str) -> dict[str, str]:
    return {
        Op.FIND: f"SELECT t.id FROM {table} t JOIN users u ON u.id = t.created_by_id "  # noqa: S608
        "WHERE lower(u.email) = ANY(%(emails)s)",
        Op.EXPORT: f"SELECT {columns} FROM {table} t JOIN users u ON u.id = t.created_by_id "  # noqa: S608
        "WHERE lower(u.email) = ANY(%(emails)s)",
        # The content belongs to the customer; what is personal is who made it.
        Op.ANONYMISE: f"UPDATE {table} SET created_by_id = NULL WHERE {CREATED_BY}",  # noqa: S608
    }


def queries(sqlite: bool) -> dict[str, dict[str, dict[str, str]]]:
    """SQL per system, data category, label and operation."""
    return {
        register.SYS_DATABASE: {
            register.CAT_ACCOUNT: {
                "users": {
                    Op.FIND: "SELECT u.id, u.role FROM users u "
                    "WHERE lower(u.email) = ANY(%(emails)s)",
                    Op.EXPORT: "SELECT u.email, u.name, u.role, o.name AS organisation, "
                    "u.created_at, u.last_login_at FROM users u "
                    "JOIN organisations o ON o.id = u.organisation_id "
                    "WHERE lower(u.email) = ANY(%(emails)s)",
                    Op.ERASE: f"DELETE {USERS}",
                    Op.RECTIFY: _rectify_name(sqlite),
                    Op.RESTRICT: "UPDATE users SET restricted = TRUE "
                    "WHERE lower(email) = ANY(%(emails)s)",
                },
            },
            register.CAT_CONTENT: {
                "functions": _content("functions", "t.name, t.model, t.created_at"),
                "evaluations": _content("evaluations", "t.score, t.comment, t.created_at"),
                "indexes": _content("indexes", "t.name, t.documents, t.created_at"),
            },
        },
        register.SYS_EVENTS: {
            register.CAT_USAGE: {
                "events": {
                    Op.FIND: "SELECT id FROM events WHERE lower(user_email) = ANY(%(emails)s)",
                    Op.EXPORT: "SELECT kind, ip_address, user_agent, occurred_at FROM events "
                    "WHERE lower(user_email) = ANY(%(emails)s) ORDER BY occurred_at",
                    Op.ANONYMISE: "UPDATE events SET user_id = NULL, user_email = NULL, "
                    "ip_address = NULL, user_agent = NULL "
                    "WHERE lower(user_email) = ANY(%(emails)s)",
                    Op.ERASE: "DELETE FROM events WHERE lower(user_email) = ANY(%(emails)s)",
                    Op.RESTRICT: "UPDATE events SET restricted = TRUE "
                    "WHERE lower(user_email) = ANY(%(emails)s)",
                    # The retention sweep: anonymise events past their period, a batch at a
                    # time (already anonymised rows are left out, so batches run dry).
                    Op.RETENTION: "UPDATE events SET user_id = NULL, user_email = NULL, "
                    "ip_address = NULL, user_agent = NULL WHERE id IN (SELECT id FROM events "
                    "WHERE occurred_at < %(cutoff)s AND user_email IS NOT NULL "
                    "ORDER BY id LIMIT %(batch_size)s)",
                },
            },
        },
        register.SYS_BILLING: {
            register.CAT_INVOICES: {
                "invoices": {
                    Op.FIND: "SELECT id FROM invoices "
                    "WHERE lower(customer_email) = ANY(%(emails)s)",
                    Op.EXPORT: "SELECT number, customer_name, billing_address, amount_sek, "
                    "issued_on FROM invoices WHERE lower(customer_email) = ANY(%(emails)s) "
                    "ORDER BY issued_on",
                    # Under the legal hold, erasure runs this instead of DELETE: the rows stay,
                    # marked, and their financial year says until when (Bokföringslagen).
                    Op.RESTRICT: "UPDATE invoices SET restricted = TRUE, "
                    "restricted_reason = %(reference)s "
                    "WHERE lower(customer_email) = ANY(%(emails)s) "
                    "RETURNING id, fiscal_year_end AS retention_start",
                    Op.ERASE: "DELETE FROM invoices WHERE lower(customer_email) = ANY(%(emails)s)",
                    # Only once the Accounting Act's period is over (restricted or not).
                    Op.RETENTION: "DELETE FROM invoices WHERE id IN (SELECT id FROM invoices "
                    "WHERE fiscal_year_end < %(cutoff)s ORDER BY id LIMIT %(batch_size)s)",
                },
            },
        },
    }


HELPDESK_INSTRUCTIONS = (
    "Search the support@opper.ai mailbox and the ticket history for every address of the "
    "person (listed on the request).\n"
    "- Access: export the conversations as PDF and attach them.\n"
    "- Erasure: delete the conversations unless a complaint or claim is open; say which.\n"
    "- Rectification or restriction: correct or label the tickets.\n"
    "Complete the task with what you did, when, and the export or a screenshot as evidence."
)


def sql_connector_ensure(system: System, dsn: str, sqlite: bool, categories: dict) -> bool:
    """A SQL connector for `system` with the demo statements, unless it has a connector."""
    if SystemConnector.objects.filter(system=system).exists():
        return False
    connector = SystemConnector(system=system, kind=ConnectorKind.POSTGRESQL, dsn=dsn)
    connector.full_clean()
    connector.save()
    for category_name, labelled in queries(sqlite)[system.name].items():
        for label, statements in labelled.items():
            for operation, sql in statements.items():
                ConnectorQuery.objects.create(
                    connector=connector,
                    operation=operation,
                    data_category=categories[category_name],
                    label=label,
                    sql=sql,
                )
    return True


def seed(stdout) -> None:
    url = demo_platform.platform_url()
    sqlite = is_sqlite(url)
    counts = demo_platform.ensure(url, demo_platform.people_from_register())
    systems = {s.name: s for s in System.objects.filter(name__in=list(queries(sqlite)))}
    categories = {c.name: c for c in DataCategory.objects.all()}
    created = 0
    for system in systems.values():
        created += sql_connector_ensure(system, url, sqlite, categories)
    helpdesk = System.objects.filter(name=register.SYS_HELPDESK).first()
    owner = User.objects.filter(username=DEMO_USERNAME).first()
    if helpdesk and owner and not SystemConnector.objects.filter(system=helpdesk).exists():
        connector = SystemConnector(
            system=helpdesk,
            kind=ConnectorKind.MANUAL,
            manual_owner=owner,
            manual_instructions=HELPDESK_INSTRUCTIONS,
        )
        connector.full_clean()
        connector.save()
        created += 1
    engine = "SQLite" if sqlite else "PostgreSQL"
    stdout.write(
        f"Demo platform database ({engine}): "
        + ", ".join(f"{n} {table}" for table, n in counts.items())
        + f"; connectors: {SystemConnector.objects.count()} ({created} new)."
    )
    demo_cases.seed(stdout)
