"""The recipients the reference privacy policy names, for `seed_demo`, from
demo/data/recipients.toml: processors with their Art. 28 agreements, Stripe as independent
controller, Google's transfer to the United States under SCC module 2, and a sub-processor
change awaiting a decision.

Idempotent: recipients are looked up by name and registered through the services (so the
Art. 28 and Chapter V rules are checked) only when missing.
"""

from datetime import timedelta

from django.utils import timezone

from demo import datafiles, names
from privacy.models import DataCategory, ProcessingActivity, System
from processors.choices import SubprocessorDecision
from processors.countries import seed_countries
from processors.models import Country, Processor, ProcessorAgreement, SubprocessorChange, Transfer
from processors.services import (
    processor_register,
    subprocessor_change_record,
    transfer_register,
)

RECIPIENTS = datafiles.load("recipients")


def _days(today, row: dict, name: str):
    """`<name>_days_ago` or `<name>_in_days` of `row` as a date, or None."""
    if f"{name}_days_ago" in row:
        return today - timedelta(days=row[f"{name}_days_ago"])
    if f"{name}_in_days" in row:
        return today + timedelta(days=row[f"{name}_in_days"])
    return None


def _agreement(row: dict, today) -> dict:
    """The agreement fields, each Art. 28(3) item ticked with its clause reference."""
    fields = {
        key: value
        for key, value in row.items()
        if key in ("title", "kind", "signed_on", "subprocessor_authorisation")
        or key == "subprocessor_notice_days"
    }
    for item, clause in row["clauses"].items():
        fields[item] = True
        fields[f"{item}_clause"] = clause
    fields["last_reviewed_on"] = _days(today, row, "last_reviewed")
    fields["review_due_on"] = _days(today, row, "review_due")
    if row.get("notes"):
        fields["notes"] = RECIPIENTS["agreement_note"]
    return fields


def _categories(keys: list[str]) -> list[DataCategory]:
    wanted = [names.CATEGORIES[key] for key in keys]
    found = {c.name: c for c in DataCategory.objects.filter(name__in=wanted)}
    return [found[name] for name in wanted]


def _register(row: dict, today) -> tuple[Processor, bool]:
    existing = Processor.objects.filter(name=row["name"]).first()
    if existing is not None:
        return existing, False
    fields = {
        key: value
        for key, value in row.items()
        if key
        not in (
            "country",
            "parent",
            "data_categories",
            "activities",
            "systems",
            "agreement",
            "transfers",
            "subprocessor_changes",
        )
    }
    if "parent" in row:
        fields["parent"] = Processor.objects.get(name=row["parent"])
    if "agreement" in row:
        fields["agreement"] = _agreement(row["agreement"], today)
    processor = processor_register(
        country=Country.objects.get(code=row["country"]),
        data_categories=_categories(row["data_categories"]),
        **fields,
    )
    processor.processing_activities.set(
        ProcessingActivity.objects.filter(
            name__in=[names.ACTIVITIES[key] for key in row.get("activities", [])]
        )
    )
    processor.hosted_systems.set(
        System.objects.filter(name__in=[names.SYSTEMS[key] for key in row.get("systems", [])])
    )
    return processor, True


def _transfers(processor: Processor, rows: list[dict], today) -> None:
    for row in rows:
        destination = Country.objects.get(code=row["destination"])
        if Transfer.objects.filter(importer=processor, destination=destination).exists():
            continue
        transfer_register(
            importer=processor,
            destination=destination,
            mechanism=row["mechanism"],
            scc_module=row["scc_module"],
            signed_on=row["signed_on"],
            tia_completed_on=_days(today, row, "tia_completed"),
            tia_outcome=row["tia_outcome"],
            supplementary_measures=row["supplementary_measures"],
            next_review_on=_days(today, row, "next_review"),
            notes=row["notes"],
            data_categories=_categories(row["data_categories"]),
        )


def _changes(processor: Processor, rows: list[dict], today) -> None:
    for row in rows:
        if SubprocessorChange.objects.filter(
            processor=processor, subprocessor_name=row["subprocessor_name"]
        ).exists():
            continue
        subprocessor_change_record(
            processor=processor,
            announced_on=_days(today, row, "announced"),
            change_type=row["change_type"],
            subprocessor_name=row["subprocessor_name"],
            description=row["description"],
        )


def seed(stdout) -> None:
    if not Country.objects.exists():  # emptied by a flush; the migration normally fills it
        seed_countries(Country)
    today = timezone.localdate()
    for row in RECIPIENTS["recipients"]:
        processor, _created = _register(row, today)
        _transfers(processor, row.get("transfers", []), today)
        _changes(processor, row.get("subprocessor_changes", []), today)
    stdout.write(
        f"Processors: {Processor.objects.count()} recipients, "
        f"{ProcessorAgreement.objects.filter(signed_on__isnull=False).count()} signed "
        f"agreements; transfers: {Transfer.objects.filter(is_active=True).count()}; "
        "sub-processor changes awaiting a decision: "
        f"{SubprocessorChange.objects.filter(decision=SubprocessorDecision.PENDING).count()}."
    )
