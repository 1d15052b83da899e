"""Fixtures of the processors' tests: a register with every kind of activity, recipient and
transfer the record of processing activities must describe."""

from datetime import date

import pytest

from privacy.choices import SubjectCategory
from processors.choices import Derogation, ProcessorRole, TransferMechanism
from tests.factories import (
    AccountingRetentionRuleFactory,
    ControllerProfileFactory,
    DataCategoryFactory,
    OrganisationFactory,
    ProcessingActivityFactory,
    ProcessorFactory,
    ProcessorWithAgreementFactory,
    RetentionRuleFactory,
    TransferFactory,
    UserFactory,
    country,
)

GENERATED = "2026-03-12T13:05:00Z"


@pytest.fixture
def register(time_machine):
    time_machine.move_to(GENERATED, tick=False)
    profile = ControllerProfileFactory(
        phone="+46 8 123 45 67",
        website="https://opper.ai",
        representative="",
    )
    accounting = AccountingRetentionRuleFactory()
    tickets = RetentionRuleFactory(name="Support tickets", period=24)
    contact = DataCategoryFactory(name="Contact details")
    invoices = DataCategoryFactory(name="Invoices and payments", retention_rule=accounting)
    health = DataCategoryFactory(name="Workplace adjustment needs", is_special_category=True)
    usage = DataCategoryFactory(name="Workspace content")
    owner = UserFactory(username="owner", first_name="Ada", last_name="Lindqvist")

    billing = ProcessingActivityFactory(
        name="Customer billing",
        purpose="Invoice customers and keep the accounts.",
        basis_contract=True,
        basis_legal_obligation=True,
        legal_obligation_reference="Bokföringslagen (1999:1078)",
        subject_categories=[SubjectCategory.ORGANISATION_ADMIN],
        recipient_categories="Payment providers; auditors",
        retention_rule=accounting,
        security_measures="",
        owner=owner,
        last_reviewed_on=date(2026, 1, 15),
        data_categories=[contact, invoices],
    )
    hosting = ProcessingActivityFactory(
        name="Platform accounts",
        purpose="Provide the platform to signed-up users.",
        subject_categories=[SubjectCategory.PLATFORM_USER, SubjectCategory.ORGANISATION_ADMIN],
        recipient_categories="Hosting providers",
        retention_rule=tickets,
        retention_notes="Deleted 24 months after the account closes.",
        security_measures="Encryption at rest and TLS 1.3 in transit.",
        data_categories=[contact],
    )
    newsletter = ProcessingActivityFactory(
        name="Newsletter",
        purpose="Send product news to subscribers.",
        basis_contract=False,
        basis_consent=True,
        basis_legitimate_interests=True,
        legitimate_interest_assessment="Existing customers expect news of the service they use.",
        legitimate_interest_assessed_on=date(2025, 11, 3),
        subject_categories=[SubjectCategory.NEWSLETTER_SUBSCRIBER],
        recipient_categories="Email delivery service",
        data_categories=[contact],
    )
    recruitment = ProcessingActivityFactory(
        name="Recruitment",
        purpose="Assess applicants for open positions.",
        subject_categories=[SubjectCategory.JOB_APPLICANT],
        recipient_categories="Recruitment agency",
        data_categories=[contact, health],
    )
    workspace = ProcessingActivityFactory(
        name="Customer workspaces",
        role="processor",
        basis_contract=False,
        purpose="Store and process the content customers put in their workspaces.",
        subject_categories=[SubjectCategory.PLATFORM_USER],
        recipient_categories="Sub-processors",
        security_measures="Tenant isolation; encryption at rest.",
        data_categories=[usage],
    )
    ProcessingActivityFactory(name="Retired activity", is_active=False)

    aws = ProcessorWithAgreementFactory(name="AWS", country=country("IE"))
    aws.processing_activities.set([hosting, workspace])
    stripe = ProcessorFactory(name="Stripe", legal_entity="Stripe Payments Europe Ltd")
    stripe.processing_activities.set([billing])
    partner = ProcessorFactory(
        name="Partner Media AB",
        role=ProcessorRole.JOINT_CONTROLLER,
        privacy_contact="privacy@partner.example",
    )
    partner.processing_activities.set([newsletter])

    scc = TransferFactory(importer__name="Cloud Vendor Inc", mechanism=TransferMechanism.SCC)
    scc.processing_activities.set([hosting, workspace])
    scc.data_categories.set([contact])
    derogation = TransferFactory(
        importer__name="Talent Partners Pvt",
        importer__country=country("IN"),
        destination=country("IN"),
        mechanism=TransferMechanism.DEROGATION,
        scc_module=None,
        derogation=Derogation.CONTRACT_WITH_SUBJECT,
        derogation_justification="The applicant asked to be considered for the Bangalore office.",
        tia_completed_on=None,
        tia_outcome="",
    )
    derogation.processing_activities.set([recruitment])

    customers = [
        OrganisationFactory(name="Acme Analytics AB", registration_number="556000-0001"),
        OrganisationFactory(name="Borealis Health Oy", country_code="FI"),
    ]
    OrganisationFactory(name="Supplier Ltd", is_customer=False)
    return {
        "profile": profile,
        "activities": [billing, hosting, newsletter, recruitment],
        "processor_activities": [workspace],
        "customers": customers,
    }
