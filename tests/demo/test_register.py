"""`seed_demo` loads the reference company as its privacy policy describes it, exactly once."""

import re
from datetime import date, timedelta
from io import StringIO

import pytest
import time_machine
from django.apps import apps
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, F, Max
from django.test import override_settings

from core.identifiers import normalise_email
from demo import datafiles
from demo import names as demo
from privacy.choices import (
    ActivityRole,
    ConsentAction,
    LegalBasis,
    RetentionTrigger,
    SubjectCategory,
)
from privacy.models import (
    ConsentRecord,
    ControllerProfile,
    DataCategory,
    DataSubject,
    Organisation,
    PolicyVersion,
    ProcessingActivity,
    RetentionRule,
    SubjectEmail,
    System,
)
from privacy.selectors import activities_due_for_review
from processors import rules
from processors.choices import (
    ProcessorRole,
    SccModule,
    SubprocessorDecision,
    TransferMechanism,
)
from processors.models import Processor, SubprocessorChange, Transfer
from processors.selectors import processors_missing_agreement

REGISTER_APPS = ("privacy", "processors")
SEEDED_AT = "2026-11-02T09:00:00+01:00"

# The purposes of policy section 2 and the bases the policy states for each.
POLICY_PURPOSES = {
    demo.ACT_SERVICE: {LegalBasis.CONTRACT},
    demo.ACT_IMPROVEMENT: {LegalBasis.LEGITIMATE_INTERESTS},
    demo.ACT_SUPPORT: {LegalBasis.LEGITIMATE_INTERESTS},
    demo.ACT_INVOICING: {LegalBasis.CONTRACT, LegalBasis.LEGAL_OBLIGATION},
    demo.ACT_NEWSLETTER: {LegalBasis.LEGITIMATE_INTERESTS},
    demo.ACT_RECRUITING: {LegalBasis.CONTRACT},
}


def register_models(*, include_auto_created=False):
    for label in REGISTER_APPS:
        yield from apps.get_app_config(label).get_models(include_auto_created=include_auto_created)


def snapshot() -> dict:
    """Row count and latest change of every register table, many-to-many links included."""
    state = {}
    for model in register_models(include_auto_created=True):
        rows = model.objects.all()
        timestamped = any(field.name == "updated_at" for field in model._meta.concrete_fields)
        latest = rows.aggregate(latest=Max("updated_at"))["latest"] if timestamped else None
        state[model._meta.label] = (rows.count(), latest)
    return state


def run_seed_demo() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def demo_output(django_db_setup, django_db_blocker, tmp_path_factory):
    """Seed once for this module (it takes seconds), in a transaction rolled back afterwards;
    each test runs in a savepoint inside it."""
    with django_db_blocker.unblock(), transaction.atomic():
        with (
            override_settings(DEBUG=True, VAR_DIR=tmp_path_factory.mktemp("var")),
            time_machine.travel(SEEDED_AT, tick=False),
        ):
            output = run_seed_demo()
        yield output
        transaction.set_rollback(True)


@pytest.fixture
def seeded(demo_output, db):
    return demo_output


def test_a_second_run_changes_nothing(seeded, settings, tmp_path):
    settings.DEBUG = True
    settings.VAR_DIR = tmp_path
    first = snapshot()
    with time_machine.travel("2026-11-20T09:00:00+01:00", tick=False):
        second_output = run_seed_demo()

    assert snapshot() == first
    empty = {label for label, (count, _) in first.items() if not count}
    assert empty <= {
        "core.WorkerCheck",
        "core.OutboxEmail",
        "core.SentNotice",
        "privacy.PolicyNotice",
        "core.AccessLogEntry",
        "processors.Transfer_processing_activities",
    }
    assert "Register: Opper Technology AB" in seeded
    assert "(300 new)" in seeded and "(0 new)" in second_output
    assert "Processors: 4 recipients" in second_output


def test_the_controller_is_the_company_in_the_policy(seeded):
    controller = ControllerProfile.objects.get()
    assert controller.name == "Opper Technology AB"
    assert controller.registration_number == "559446-3720"
    assert "Västerängsvägen 51 A" in controller.address and "182 47 Enebyberg" in controller.address
    assert controller.email == "support@opper.ai"
    assert "IMY" in controller.supervisory_authority
    assert "two-factor" in controller.security_overview


def test_the_six_purposes_carry_the_legal_bases_the_policy_states(seeded):
    activities = {a.name: a for a in ProcessingActivity.objects.filter(name__in=POLICY_PURPOSES)}
    assert set(activities) == set(POLICY_PURPOSES)
    for name, bases in POLICY_PURPOSES.items():
        activity = activities[name]
        assert activity.role == ActivityRole.CONTROLLER
        assert set(activity.legal_bases) == bases, name
        if LegalBasis.LEGITIMATE_INTERESTS in bases:
            assert "Balancing" in activity.legitimate_interest_assessment, name
            assert activity.legitimate_interest_assessed_on is not None
    invoicing = activities[demo.ACT_INVOICING]
    assert "Bokföringslagen (1999:1078)" in invoicing.legal_obligation_reference
    assert "6(1)(b)" in activities[demo.ACT_RECRUITING].description


def test_every_activity_fills_each_item_of_art_30(seeded):
    activities = ProcessingActivity.objects.annotate(categories=Count("data_categories"))
    assert activities.count() == 7
    for activity in activities:
        assert activity.purpose and activity.subject_categories, activity
        assert activity.categories, activity
        assert activity.recipient_categories and activity.security_measures, activity
        assert activity.retention_rule_id and activity.data_source, activity
        assert activity.last_reviewed_on < activity.next_review_on, activity
    processor_side = activities.get(role=ActivityRole.PROCESSOR)
    assert processor_side.name == demo.ACT_CUSTOMER_FUNCTIONS
    assert processor_side.recipients.filter(name="Amazon Web Services").exists()
    # Some reviews fall due soon, so the review queue has work to show.
    assert activities_due_for_review(within_days=30).count() >= 2


def test_the_accounting_rule_keeps_records_seven_years_after_the_financial_year(seeded):
    rule = RetentionRule.objects.get(name=demo.RULE_ACCOUNTING)
    assert rule.trigger == RetentionTrigger.FINANCIAL_YEAR_END
    assert (
        rule.legal_obligation and rule.legal_reference == "Bokföringslagen (1999:1078) 7 kap. 2 §"
    )
    assert rule.retain_until(date(2025, 12, 31)) == date(2032, 12, 31)
    invoices = DataCategory.objects.get(name=demo.CAT_INVOICES)
    assert invoices.retention_rule == rule and not invoices.provided_by_subject
    recruiting = RetentionRule.objects.get(name=demo.RULE_RECRUITING)
    assert (recruiting.period, recruiting.period_unit) == (24, "months")
    assert "Diskrimineringslagen" in recruiting.legal_reference


def test_stripe_is_an_independent_controller_without_an_agreement(seeded):
    stripe = Processor.objects.get(name="Stripe")
    assert stripe.role == ProcessorRole.INDEPENDENT_CONTROLLER
    assert stripe.legal_entity == "Stripe Payments Europe, Ltd." and stripe.country_id == "IE"
    assert not stripe.agreements.exists()
    assert list(stripe.processing_activities.values_list("name", flat=True)) == [demo.ACT_INVOICING]


def test_aws_and_google_process_under_complete_signed_agreements(seeded):
    aws = Processor.objects.get(name="Amazon Web Services")
    google = Processor.objects.get(name="Google Workspace")
    assert (aws.legal_entity, aws.country_id) == ("Amazon Web Services EMEA SARL", "LU")
    assert (google.legal_entity, google.country_id) == ("Google Cloud EMEA Limited", "IE")
    for processor in (aws, google):
        assert processor.role == ProcessorRole.PROCESSOR
        agreement = processor.agreements.get()
        assert agreement.signed_on and agreement.review_due_on
        assert agreement.art28_missing == []
        assert all(getattr(agreement, f"{item}_clause") for item in agreement.ART_28_ITEMS), (
            processor
        )
        assert agreement.subprocessor_authorisation == "general"
        assert agreement.subprocessor_notice_days == 30
    assert not processors_missing_agreement().exists()
    assert aws.hosted_systems.filter(name=demo.SYS_DATABASE).exists()
    assert set(aws.processing_activities.values_list("name", flat=True)) >= {
        demo.ACT_SERVICE,
        demo.ACT_IMPROVEMENT,
    }
    assert "RDS" in System.objects.get(name=demo.SYS_DATABASE).location


def test_google_sign_in_goes_to_the_us_under_scc_module_2(seeded):
    transfer = Transfer.objects.select_related("importer__parent", "destination").get()
    assert transfer.destination_id == "US"
    assert transfer.importer.name == "Google LLC"
    assert transfer.importer.role == ProcessorRole.SUB_PROCESSOR
    assert transfer.importer.parent.name == "Google Workspace"
    assert transfer.mechanism == TransferMechanism.SCC
    assert transfer.scc_module == SccModule.CONTROLLER_TO_PROCESSOR
    assert transfer.tia_completed_on and transfer.tia_outcome and transfer.supplementary_measures
    assert transfer.next_review_on > transfer.tia_completed_on
    rules.validate_transfer(transfer)  # raises ValidationError if the safeguard does not fit


def test_aws_announced_a_sub_processor_change_awaiting_decision(seeded):
    change = SubprocessorChange.objects.get()
    assert change.processor.name == "Amazon Web Services"
    assert change.decision == SubprocessorDecision.PENDING
    assert change.objection_deadline == change.announced_on + timedelta(days=30)
    assert change.objection_deadline > date(2026, 11, 2)


def test_the_policy_of_2024_08_19_is_published_in_english_and_swedish(seeded):
    versions = {v.language: v for v in PolicyVersion.objects.filter(version="2024-08-19")}
    assert set(versions) == {"en", "sv"}
    for language, version in versions.items():
        assert version.is_published and version.effective_date == date(2024, 8, 19)
        text = (datafiles.DATA_DIR / f"privacy-policy-2024-08-19.{language}.txt").read_text()
        assert version.body == text.strip()
    assert versions["en"].body.startswith("Privacy Policy\n\nLast Updated: 2024-08-19")
    assert "Swedish Accounting Act" in versions["en"].body
    assert versions["sv"].title == "Integritetspolicy"
    assert "bokföringslagen" in versions["sv"].body
    assert "Integritetsskyddsmyndigheten" in versions["sv"].body


def test_a_few_hundred_subjects_of_every_kind(seeded):
    subjects = DataSubject.objects.all()
    assert subjects.count() == 300
    assert Organisation.objects.count() >= 20
    assert set(subjects.values_list("category", flat=True)) == set(SubjectCategory.values)
    assert set(subjects.values_list("language", flat=True)) == {"en", "sv"}
    names = list(subjects.values_list("name", flat=True))
    for script in (r"[\u0600-\u06ff]", r"[\u4e00-\u9fff]", r"[åäö]", r"[ł]", r"[ü]"):
        assert any(re.search(script, name) for name in names), script

    children = subjects.filter(is_under_16=True)
    assert children.count() >= 2
    assert set(children.values_list("category", flat=True)) <= {
        SubjectCategory.NEWSLETTER_SUBSCRIBER,
        SubjectCategory.WEBSITE_VISITOR,
    }
    assert subjects.annotate(n=Count("emails")).filter(n=2).count() >= 10
    emails = list(SubjectEmail.objects.values_list("email", flat=True))
    assert all(email == normalise_email(email) for email in emails)
    assert any(not email.isascii() for email in emails)


def test_newsletter_subscribers_signed_up_and_some_opted_out(seeded):
    subscribers = DataSubject.objects.filter(category=SubjectCategory.NEWSLETTER_SUBSCRIBER)
    given = ConsentRecord.objects.filter(action=ConsentAction.GIVEN)
    assert given.count() == subscribers.count()
    assert not given.filter(policy_version__isnull=True).exists()
    # Each signed up under the policy in their own language.
    assert not given.exclude(subject__language=F("policy_version__language")).exists()
    withdrawn = ConsentRecord.objects.filter(action=ConsentAction.WITHDRAWN)
    assert 0 < withdrawn.count() < given.count()
    for record in withdrawn.select_related("subject"):
        signed_up = given.get(subject=record.subject)
        assert signed_up.recorded_at < record.recorded_at


def test_every_row_passes_model_validation(seeded):
    """The demo goes through the services and rules: nothing in it breaks a rule."""
    checked = 0
    for model in register_models():
        for row in model.objects.all():
            row.full_clean()
            checked += 1
    assert checked > 300


def test_the_demo_record_of_processing_holds_every_art_30_1_item(seeded):
    """The issue's acceptance check: the RoPA PDF of the demo company, read back as text."""
    from privacy.models import ControllerProfile, ProcessingActivity
    from processors import ropa
    from processors.documents import render_ropa_pdf
    from tests.pdf import pdf_body_pages
    from tests.pdf import squash_words as squash
    from tests.processors.records import CONTROLLER_LABELS, expected_values, section_texts

    profile = ControllerProfile.objects.get()
    activities = list(
        ProcessingActivity.objects.filter(role="controller", is_active=True).order_by("name")
    )
    assert len(activities) >= 6

    pages = pdf_body_pages(render_ropa_pdf(ropa.ropa_controller_record()))

    headings = [f"{n}. {a.name}" for n, a in enumerate(activities, start=1)]
    sections = section_texts(pages, ["The controller", *headings])
    for heading, activity in zip(headings, activities, strict=True):
        section = squash(sections[heading])
        for label, article in CONTROLLER_LABELS:
            assert squash(label) in section, (activity.name, label)
            assert squash(article) in section, (activity.name, article)
        for value in expected_values(activity, profile):
            assert squash(value) in section, (activity.name, value)
