"""Fixtures of the export tests: a frozen clock, small report tables, a demo-like register, the
person and an access case whose systems have all answered but one."""

from types import SimpleNamespace

import pytest

from core.access_log import access_log_record
from core.choices import AccessAction
from dsr.exports import report as report_module
from privacy.choices import SubjectCategory, SubjectSource
from processors.choices import ProcessorRole
from tests.dsr.exports.data import (
    ACCESS_PURPOSE,
    ADM,
    EMAIL,
    LAW,
    PERSON,
    SERVICE_SOURCE,
    TABLE_ROWS,
    fill_results,
    request_case,
)
from tests.factories import (
    AccountingRetentionRuleFactory,
    ControllerProfileFactory,
    DataCategoryFactory,
    DataSubjectFactory,
    OrganisationFactory,
    ProcessingActivityFactory,
    ProcessorFactory,
    ProcessorWithAgreementFactory,
    RetentionRuleFactory,
    SystemFactory,
    TransferFactory,
    UserFactory,
    country,
)


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to("2026-03-05T10:00:00+01:00", tick=True)
    return time_machine


@pytest.fixture(autouse=True)
def small_report_tables(monkeypatch):
    monkeypatch.setattr(report_module, "REPORT_TABLE_ROWS", TABLE_ROWS)
    monkeypatch.setattr(report_module, "REPORT_MIN_ROWS", 10)


@pytest.fixture
def register(db):
    """The register of a demo-like platform company, its recipients and one transfer."""
    ControllerProfileFactory()
    account_rule = RetentionRuleFactory(name="Platform account data", period=3)
    usage_rule = RetentionRuleFactory(
        name="Usage events", period=13, trigger="collection", action="anonymise"
    )
    support_rule = RetentionRuleFactory(name="Support", period=24, trigger="last_activity")
    accounting = AccountingRetentionRuleFactory()
    categories = SimpleNamespace(
        account=DataCategoryFactory(
            name="Account and organisation membership", retention_rule=account_rule
        ),
        usage=DataCategoryFactory(name="Usage events", retention_rule=usage_rule),
        support=DataCategoryFactory(name="Support correspondence", retention_rule=support_rule),
        invoices=DataCategoryFactory(
            name="Invoices and payment records",
            provided_by_subject=False,
            retention_rule=accounting,
        ),
        newsletter=DataCategoryFactory(name="Newsletter preferences"),
    )
    systems = SimpleNamespace(
        database=SystemFactory(name="Platform database", data_categories=[categories.account]),
        events=SystemFactory(
            name="Platform event store and logs", data_categories=[categories.usage]
        ),
        billing=SystemFactory(name="Billing (Stripe)", data_categories=[categories.invoices]),
        helpdesk=SystemFactory(name="Support helpdesk", data_categories=[categories.support]),
        newsletter=SystemFactory(name="Newsletter tool", data_categories=[categories.newsletter]),
    )
    service = ProcessingActivityFactory(
        name="Providing the platform service",
        purpose="To give customers and their users access to the platform and operate it.",
        subject_categories=[SubjectCategory.PLATFORM_USER, SubjectCategory.ORGANISATION_ADMIN],
        data_categories=[categories.account, categories.usage, categories.support],
        data_source=SERVICE_SOURCE,
        retention_rule=account_rule,
    )
    invoicing = ProcessingActivityFactory(
        name="Invoicing, administration and bookkeeping",
        purpose="To invoice customers and keep the accounts.",
        basis_legal_obligation=True,
        legal_obligation_reference=LAW,
        subject_categories=[SubjectCategory.ORGANISATION_ADMIN],
        data_categories=[categories.invoices],
        retention_rule=accounting,
    )
    credit = ProcessingActivityFactory(
        name="Credit limits",
        purpose="To set each customer's credit limit.",
        basis_contract=False,
        basis_legitimate_interests=True,
        legitimate_interest_assessment="Interest: not losing money on unpaid invoices.",
        subject_categories=[SubjectCategory.ORGANISATION_ADMIN],
        data_categories=[categories.invoices],
        automated_decision_making=ADM,
    )
    # Not about organisation administrators: must not appear.
    ProcessingActivityFactory(
        name="Recruiting",
        purpose="To hire.",
        subject_categories=[SubjectCategory.JOB_APPLICANT],
        data_categories=[DataCategoryFactory(name="Job applications")],
    )
    aws = ProcessorWithAgreementFactory(
        name="Amazon Web Services",
        legal_entity="Amazon Web Services EMEA SARL",
        country=country("LU"),
    )
    aws.processing_activities.set([service])
    aws_inc = ProcessorWithAgreementFactory(
        name="Amazon Web Services, Inc.",
        legal_entity="Amazon Web Services, Inc.",
        country=country("US"),
        role=ProcessorRole.SUB_PROCESSOR,
        parent=aws,
    )
    aws_inc.data_categories.set([categories.usage])
    stripe = ProcessorFactory(
        name="Stripe", legal_entity="Stripe Payments Europe, Ltd.", country=country("IE")
    )
    stripe.processing_activities.set([invoicing, credit])
    google = ProcessorWithAgreementFactory(
        name="Google", legal_entity="Google Cloud EMEA Limited", country=country("IE")
    )
    google.hosted_systems.set([systems.events])
    # A recipient of nothing that concerns this person.
    ProcessorFactory(name="Recruiting Agency AB")
    transfer = TransferFactory(importer=aws_inc, exporter=aws, scc_module=3)
    transfer.processing_activities.set([service])
    transfer.data_categories.set([categories.usage])
    return SimpleNamespace(
        categories=categories,
        systems=systems,
        rules=SimpleNamespace(account=account_rule, usage=usage_rule, accounting=accounting),
        aws=aws,
    )


@pytest.fixture
def person(register):
    return DataSubjectFactory(
        name=PERSON,
        email=EMAIL,
        category=SubjectCategory.ORGANISATION_ADMIN,
        source=SubjectSource.ORGANISATION,
        organisation=OrganisationFactory(name="Nordvind Analys AB"),
    )


@pytest.fixture
def access_case(register, person, clock):
    case = request_case(person)
    fill_results(case, register)
    officer = UserFactory(username="officer")
    # An access before the request, by staff, and the request's own handling.
    clock.move_to("2026-02-12T14:30:00+01:00", tick=False)
    access_log_record(
        actor=officer,
        action=AccessAction.VIEW,
        object_type="data subject",
        object_id=str(person.pk),
        subject_id=person.pk,
        purpose=ACCESS_PURPOSE,
    )
    clock.move_to("2026-03-05T10:00:00+01:00", tick=True)
    access_log_record(
        actor=officer,
        action=AccessAction.VIEW,
        object_type="request",
        case_reference=case.reference,
        purpose="Handling the request",
    )
    return case
