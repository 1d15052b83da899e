"""Connectors for `seed_demo` that reach the demo platform database (demo/platform.py), so a
request in `make run` finds, exports, erases, rectifies and restricts real rows; their SQL is
in demo/data/connectors.toml.

- Platform database: users (account and membership) and their functions, evaluations and
  indexes (platform content).
- Platform event store and logs: the events table (usage events, anonymised on erasure, as
  the retention rule says).
- Billing (Stripe): the invoices table, a copy of what Stripe Billing holds. Invoices are kept
  by law (Bokföringslagen), so an erasure restricts them and says until when.
- Support helpdesk: a manual task for the demo officer.

Idempotent: a system that has a connector keeps it as it is (edits in the admin survive).
"""

from accounts.models import User
from demo import datafiles, names
from demo.staff import DEMO_USERNAME
from dsr.choices import ConnectorKind, Operation
from dsr.models import ConnectorQuery, SystemConnector
from privacy.models import DataCategory, System

CONNECTORS = datafiles.load("connectors")["connectors"]


def sql_connectors() -> list[dict]:
    """The SQL connectors of the data file, each with its system's name."""
    return [
        {**row, "system_name": names.SYSTEMS[row["system"]]}
        for row in CONNECTORS
        if row["kind"] == ConnectorKind.POSTGRESQL
    ]


def sql_connector_ensure(system: System, dsn: str, categories: dict[str, DataCategory]) -> bool:
    """A SQL connector for `system` with the demo statements at `dsn`, unless it has a
    connector; True if it was created."""
    if SystemConnector.objects.filter(system=system).exists():
        return False
    [row] = [row for row in sql_connectors() if row["system_name"] == system.name]
    connector = SystemConnector(system=system, kind=ConnectorKind.POSTGRESQL, dsn=dsn)
    connector.full_clean()
    connector.save()
    for statement in row["statements"]:
        category = categories[names.CATEGORIES[statement["category"]]]
        for operation in Operation.values:
            if operation in statement:
                ConnectorQuery.objects.create(
                    connector=connector,
                    operation=operation,
                    data_category=category,
                    label=statement["label"],
                    sql=statement[operation],
                )
    return True


def manual_connector_ensure(system: System, owner) -> bool:
    if SystemConnector.objects.filter(system=system).exists():
        return False
    [row] = [row for row in CONNECTORS if names.SYSTEMS[row["system"]] == system.name]
    connector = SystemConnector(
        system=system,
        kind=ConnectorKind.MANUAL,
        manual_owner=owner,
        manual_instructions=row["instructions"],
    )
    connector.full_clean()
    connector.save()
    return True


def seed(stdout, *, platform_url: str) -> None:
    categories = {c.name: c for c in DataCategory.objects.all()}
    owner = User.objects.filter(username=DEMO_USERNAME).first()
    created = 0
    for row in CONNECTORS:
        system = System.objects.filter(name=names.SYSTEMS[row["system"]]).first()
        if system is None:
            continue
        if row["kind"] == ConnectorKind.POSTGRESQL:
            created += sql_connector_ensure(system, platform_url, categories)
        elif row["kind"] == ConnectorKind.MANUAL and owner is not None:
            created += manual_connector_ensure(system, owner)
    stdout.write(f"Connectors: {SystemConnector.objects.count()} ({created} new).")
