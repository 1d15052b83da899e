"""Chapter V and Art. 28 rules, in the services and (for single-row rules) the database."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.errors import ApplicationError
from processors import services
from processors.models import Processor
from tests.factories import (
    DataCategoryFactory,
    ProcessorAgreementFactory,
    ProcessorFactory,
    ProcessorWithAgreementFactory,
    country,
)

pytestmark = pytest.mark.django_db

SIGNED_DPA = {
    "title": "AWS GDPR Data Processing Addendum",
    "kind": "dpa",
    "signed_on": date(2024, 1, 10),
}


def transfer(**fields):
    values = {
        "importer": ProcessorWithAgreementFactory(country=country("US")),
        "destination": country("US"),
        "mechanism": "scc_2021_914",
        "scc_module": 2,
        "data_categories": [DataCategoryFactory()],
    }
    values.update(fields)
    return services.transfer_register(**values)


# --- Transfers ------------------------------------------------------------------------------


def test_an_adequacy_transfer_needs_an_adequacy_decision():
    with pytest.raises(ValidationError, match="no adequacy decision"):
        transfer(destination=country("IN"), mechanism="adequacy", scc_module=None)


def test_an_adequacy_transfer_to_an_adequate_country_is_accepted():
    made = transfer(destination=country("JP"), mechanism="adequacy", scc_module=None)
    assert made.pk


def test_the_us_is_adequate_only_under_the_dpf():
    with pytest.raises(ValidationError, match="Data Privacy Framework"):
        transfer(mechanism="adequacy", scc_module=None)


def test_a_non_adequate_country_accepts_sccs_with_a_module():
    assert transfer(destination=country("IN")).scc_module == 2


def test_sccs_need_their_module():
    with pytest.raises(ValidationError, match="module"):
        transfer(destination=country("IN"), scc_module=None)


def test_the_database_refuses_sccs_without_a_module():
    from processors.models import Transfer

    with pytest.raises(IntegrityError), transaction.atomic():
        Transfer.objects.create(
            importer=ProcessorWithAgreementFactory(),
            destination=country("IN"),
            mechanism="scc_2021_914",
        )


def test_a_derogation_is_documented():
    with pytest.raises(ValidationError, match="derogation"):
        transfer(
            destination=country("IN"), mechanism="derogation_49", scc_module=None, derogation="e"
        )
    made = transfer(
        destination=country("IN"),
        mechanism="derogation_49",
        scc_module=None,
        derogation="e",
        derogation_justification="Defending a claim before an Indian court; one-off.",
    )
    assert made.pk


def test_binding_corporate_rules_are_a_safeguard():
    assert transfer(destination=country("IN"), mechanism="bcr", scc_module=None).pk


def test_a_dpf_transfer_needs_a_certified_importer():
    importer = ProcessorWithAgreementFactory(country=country("US"), dpf_certified=False)
    with pytest.raises(ValidationError, match="not recorded as certified"):
        transfer(importer=importer, mechanism="dpf", scc_module=None)

    importer.dpf_certified = True
    importer.dpf_checked_on = date(2026, 11, 1)
    importer.save()
    assert transfer(importer=importer, mechanism="dpf", scc_module=None).pk


def test_the_dpf_covers_only_the_united_states():
    importer = ProcessorWithAgreementFactory(dpf_certified=True, dpf_checked_on=date(2026, 1, 1))
    with pytest.raises(ValidationError, match="United States only"):
        transfer(importer=importer, destination=country("IN"), mechanism="dpf", scc_module=None)


def test_sending_data_within_the_eea_is_not_a_transfer():
    with pytest.raises(ValidationError, match="EEA"):
        transfer(destination=country("DE"))


def test_dpf_certification_records_when_it_was_checked():
    with pytest.raises(IntegrityError), transaction.atomic():
        ProcessorFactory(dpf_certified=True, dpf_checked_on=None)


# --- Agreements -----------------------------------------------------------------------------


def processor_fields(**fields):
    values = {
        "name": "Amazon Web Services",
        "legal_entity": "Amazon Web Services EMEA SARL",
        "country": country("LU"),
        "role": "processor",
        "services": "Hosting in eu-north-1",
    }
    values.update(fields)
    return values


def test_a_processor_needs_a_signed_agreement():
    with pytest.raises(ApplicationError, match="data processing agreement"):
        services.processor_register(**processor_fields())
    assert not Processor.objects.exists()  # nothing half-registered


def test_an_unsigned_agreement_is_not_enough():
    with pytest.raises(ApplicationError):
        services.processor_register(
            **processor_fields(), agreement={**SIGNED_DPA, "signed_on": None}
        )


def test_a_processor_with_a_signed_agreement_is_registered():
    processor = services.processor_register(**processor_fields(), agreement=SIGNED_DPA)
    assert services.processor_has_agreement(processor)


def test_a_sub_processor_needs_an_agreement_and_a_parent():
    parent = services.processor_register(**processor_fields(), agreement=SIGNED_DPA)
    with pytest.raises(ApplicationError):
        services.processor_register(
            **processor_fields(name="Sub", role="sub_processor", parent=parent)
        )
    with pytest.raises(ValidationError, match="names the processor that engaged it"):
        services.processor_register(
            **processor_fields(name="Sub", role="sub_processor"), agreement=SIGNED_DPA
        )
    sub = services.processor_register(
        **processor_fields(name="Sub", role="sub_processor", parent=parent), agreement=SIGNED_DPA
    )
    assert sub.parent == parent


def test_an_independent_controller_needs_no_agreement():
    stripe = services.processor_register(
        **processor_fields(
            name="Stripe",
            legal_entity="Stripe Payments Europe, Ltd.",
            country=country("IE"),
            role="independent_controller",
            services="Payments",
        )
    )
    assert not services.processor_has_agreement(stripe)


def test_the_last_agreement_of_a_processor_cannot_be_removed():
    processor = ProcessorWithAgreementFactory()
    with pytest.raises(ApplicationError):
        services.agreement_remove(agreement=processor.agreements.get())
    assert processor.agreements.count() == 1


def test_missing_agreements_are_listed():
    from processors.selectors import processors_missing_agreement

    covered = ProcessorWithAgreementFactory()
    uncovered = ProcessorFactory(role="processor")  # entered past the service, e.g. imported
    ProcessorFactory()  # an independent controller

    assert list(processors_missing_agreement()) == [uncovered]
    assert covered not in processors_missing_agreement()


# --- Sub-processor changes ------------------------------------------------------------------


def test_objection_deadline_counts_the_agreed_notice():
    processor = ProcessorAgreementFactory(
        processor__role="processor", subprocessor_notice_days=30
    ).processor
    change = services.subprocessor_change_record(
        processor=processor,
        announced_on=date(2026, 11, 2),
        change_type="addition",
        subprocessor_name="Cloudflare",
    )
    assert change.objection_deadline == date(2026, 12, 2)
    assert change.decision == "pending"


def test_a_specific_authorisation_is_due_at_once():
    processor = ProcessorAgreementFactory(
        processor__role="processor", subprocessor_authorisation="specific"
    ).processor
    change = services.subprocessor_change_record(
        processor=processor,
        announced_on=date(2026, 11, 2),
        change_type="addition",
        subprocessor_name="Cloudflare",
    )
    assert change.objection_deadline == date(2026, 11, 2)


def test_a_change_without_an_agreement_has_no_deadline_to_count():
    with pytest.raises(ApplicationError, match="no data processing agreement"):
        services.subprocessor_change_record(
            processor=ProcessorFactory(),
            announced_on=date(2026, 11, 2),
            change_type="addition",
            subprocessor_name="X",
        )


def test_a_change_is_decided_once_and_an_objection_gives_reasons(superuser):
    processor = ProcessorWithAgreementFactory()
    change = services.subprocessor_change_record(
        processor=processor,
        announced_on=date(2026, 11, 2),
        change_type="addition",
        subprocessor_name="Cloudflare",
    )
    with pytest.raises(ValidationError, match="reasons"):
        services.subprocessor_change_decide(
            change=change, decision="objected", decided_by=superuser
        )
    decided = services.subprocessor_change_decide(
        change=change, decision="objected", decided_by=superuser, notes="US transfer without TIA."
    )
    assert decided.decided_on is not None and decided.decided_by == superuser
    with pytest.raises(ApplicationError, match="already been decided"):
        services.subprocessor_change_decide(
            change=change, decision="accepted", decided_by=superuser
        )
