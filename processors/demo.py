"""Demo data for `seed_demo`: the recipients named in the reference privacy policy.

Stripe is an independent controller for payments (policy section 5); AWS hosts the platform in
the EU and Google provides staff sign-in (section 6), both as processors under signed
agreements; Google's sign-in infrastructure in the United States is a transfer under the
standard contractual clauses (module 2) with a transfer impact assessment. AWS has announced a
sub-processor change, awaiting our decision.

Idempotent: recipients are looked up by name and registered through the services (so the
Art. 28 and Chapter V rules are checked) only when missing.
"""

from datetime import date, timedelta

from django.utils import timezone

from privacy import demo as register
from privacy.models import DataCategory, ProcessingActivity, System
from processors.choices import (
    AgreementKind,
    ProcessorRole,
    SccModule,
    SubprocessorAuthorisation,
    SubprocessorChangeType,
    SubprocessorDecision,
    TiaOutcome,
    TransferMechanism,
)
from processors.countries import seed_countries
from processors.models import Country, Processor, ProcessorAgreement, SubprocessorChange, Transfer
from processors.services import (
    processor_register,
    subprocessor_change_record,
    transfer_register,
)

AWS = "Amazon Web Services"
GOOGLE = "Google Workspace"
GOOGLE_LLC = "Google LLC"
STRIPE = "Stripe"

DEMO_NOTE = "Demo data: clause references are illustrative."


def _checklist(**clauses: str) -> dict:
    """Agreement fields ticking each Art. 28(3) item with its clause reference."""
    fields = {}
    for item, clause in clauses.items():
        fields[item] = True
        fields[f"{item}_clause"] = clause
    return fields


def _register(name: str, **fields) -> tuple[Processor, bool]:
    existing = Processor.objects.filter(name=name).first()
    if existing is not None:
        return existing, False
    return processor_register(name=name, **fields), True


def _link(processor: Processor, *, activities=(), systems=()) -> None:
    processor.processing_activities.set(ProcessingActivity.objects.filter(name__in=activities))
    processor.hosted_systems.set(System.objects.filter(name__in=systems))


def seed(stdout) -> None:
    if not Country.objects.exists():  # emptied by a flush; the migration normally fills it
        seed_countries(Country)
    today = timezone.localdate()
    categories = {c.name: c for c in DataCategory.objects.all()}

    def cats(*names):
        return [categories[name] for name in names]

    aws, created = _register(
        AWS,
        legal_entity="Amazon Web Services EMEA SARL",
        country=Country.objects.get(code="LU"),
        role=ProcessorRole.PROCESSOR,
        services=(
            "Cloud hosting in region eu-north-1 (Stockholm, Sweden): the platform database, "
            "event store and logs, helpdesk, newsletter tool, applicant tracking and website "
            "analytics; email sending through Amazon SES."
        ),
        public_purpose="Cloud hosting of the platform and its data in the EU (Stockholm region)",
        public_purpose_sv="Molndrift av plattformen och dess data inom EU (Stockholmsregionen)",
        website="https://aws.amazon.com",
        privacy_policy_url="https://aws.amazon.com/privacy/",
        # Demo address (reserved domain): Art. 19 notices to AWS go out by email.
        privacy_contact="privacy-notices@aws.example",
        data_categories=cats(
            register.CAT_CONTACT,
            register.CAT_ACCOUNT,
            register.CAT_CONTENT,
            register.CAT_USAGE,
            register.CAT_LOGS,
            register.CAT_SUPPORT,
            register.CAT_NEWSLETTER,
            register.CAT_APPLICATIONS,
            register.CAT_ASSESSMENTS,
            register.CAT_ANALYTICS,
        ),
        agreement={
            "title": "AWS GDPR Data Processing Addendum (AWS Service Terms)",
            "kind": AgreementKind.DPA,
            "signed_on": date(2023, 11, 6),
            **_checklist(
                instructions="DPA § 3",
                confidentiality="DPA § 6",
                security="DPA § 7, Annex 2",
                subprocessing="DPA § 9",
                subject_rights_assistance="DPA § 10",
                compliance_assistance="DPA §§ 7, 8, 11",
                deletion_or_return="DPA § 15",
                audits="DPA §§ 12, 13",
            ),
            "subprocessor_authorisation": SubprocessorAuthorisation.GENERAL,
            "subprocessor_notice_days": 30,
            "last_reviewed_on": today - timedelta(days=200),
            "review_due_on": today + timedelta(days=165),
            "notes": DEMO_NOTE,
        },
    )
    if created:
        _link(
            aws,
            activities=[
                register.ACT_SERVICE,
                register.ACT_IMPROVEMENT,
                register.ACT_SUPPORT,
                register.ACT_NEWSLETTER,
                register.ACT_RECRUITING,
                register.ACT_CUSTOMER_FUNCTIONS,
            ],
            systems=[
                register.SYS_DATABASE,
                register.SYS_EVENTS,
                register.SYS_HELPDESK,
                register.SYS_NEWSLETTER,
                register.SYS_RECRUITING,
                register.SYS_ANALYTICS,
            ],
        )

    google, created = _register(
        GOOGLE,
        legal_entity="Google Cloud EMEA Limited",
        country=Country.objects.get(code="IE"),
        role=ProcessorRole.PROCESSOR,
        services=(
            "Staff accounts and single sign-on (SAML) to AWS, with mandatory two-factor "
            "authentication or passkeys (privacy policy section 6)."
        ),
        public_purpose="Staff sign-in (single sign-on) to the systems that hold your data",
        public_purpose_sv=(
            "Personalens inloggning (enkel inloggning) till systemen som innehåller dina uppgifter"
        ),
        website="https://workspace.google.com",
        privacy_policy_url="https://policies.google.com/privacy",
        data_categories=cats(register.CAT_STAFF_IDENTITY),
        agreement={
            "title": "Cloud Data Processing Addendum (Google Workspace)",
            "kind": AgreementKind.DPA,
            "signed_on": date(2023, 10, 23),
            **_checklist(
                instructions="CDPA § 5.2",
                confidentiality="CDPA § 7.1.4",
                security="CDPA § 7.1, Appendix 2",
                subprocessing="CDPA § 11",
                subject_rights_assistance="CDPA § 9.2",
                compliance_assistance="CDPA §§ 7.2, 8",
                deletion_or_return="CDPA § 6",
                audits="CDPA § 7.5",
            ),
            "subprocessor_authorisation": SubprocessorAuthorisation.GENERAL,
            "subprocessor_notice_days": 30,
            "last_reviewed_on": today - timedelta(days=345),
            # Due soon, so the review queue has work.
            "review_due_on": today + timedelta(days=20),
            "notes": DEMO_NOTE,
        },
    )
    if created:
        _link(google, systems=[register.SYS_GOOGLE])

    google_llc, created = _register(
        GOOGLE_LLC,
        legal_entity="Google LLC",
        country=Country.objects.get(code="US"),
        role=ProcessorRole.SUB_PROCESSOR,
        parent=google,
        services="Operates Google Workspace's sign-in and account infrastructure.",
        public_purpose="Sign-in infrastructure of Google Workspace (staff accounts only)",
        public_purpose_sv="Inloggningsinfrastruktur för Google Workspace (endast personalkonton)",
        website="https://about.google",
        privacy_policy_url="https://policies.google.com/privacy",
        data_categories=cats(register.CAT_STAFF_IDENTITY),
        agreement={
            "title": (
                "Standard contractual clauses 2021/914, module 2, incorporated in the Cloud "
                "Data Processing Addendum"
            ),
            "kind": AgreementKind.DPA,
            "signed_on": date(2023, 10, 23),
            **_checklist(
                instructions="SCC Clause 8.1",
                confidentiality="SCC Clause 8.6(b)",
                security="SCC Clause 8.6(a), Annex II",
                subprocessing="SCC Clause 9",
                subject_rights_assistance="SCC Clause 10",
                compliance_assistance="SCC Clauses 8.6(c)-(d)",
                deletion_or_return="SCC Clauses 8.5, 16(d)",
                audits="SCC Clause 8.9",
            ),
            "subprocessor_authorisation": SubprocessorAuthorisation.GENERAL,
            "subprocessor_notice_days": 30,
            "last_reviewed_on": today - timedelta(days=345),
            "review_due_on": today + timedelta(days=20),
        },
    )
    if created:
        _link(google_llc, systems=[register.SYS_GOOGLE])

    if not Transfer.objects.filter(importer=google_llc, destination_id="US").exists():
        transfer_register(
            importer=google_llc,
            destination=Country.objects.get(code="US"),
            mechanism=TransferMechanism.SCC,
            scc_module=SccModule.CONTROLLER_TO_PROCESSOR,
            signed_on=date(2023, 10, 23),
            tia_completed_on=today - timedelta(days=345),
            tia_outcome=TiaOutcome.WITH_MEASURES,
            supplementary_measures=(
                "Only staff identity data needed for sign-in (name, work email, group "
                "membership, second factor, sign-in events); no customer data passes through "
                "Google. Encryption in transit and at rest; signed SAML assertions; mandatory "
                "two-factor authentication or passkeys. Google's contractual commitments to "
                "challenge and report public-authority access requests (SCC Clause 15)."
            ),
            next_review_on=today + timedelta(days=20),
            notes=(
                "Transfer impact assessment: US surveillance law (FISA 702, EO 12333) applies "
                "to Google LLC; redress under EO 14086. Low-sensitivity staff data, no customer "
                "data: essentially equivalent protection with the measures above."
            ),
            data_categories=cats(register.CAT_STAFF_IDENTITY),
        )

    stripe, created = _register(
        STRIPE,
        legal_entity="Stripe Payments Europe, Ltd.",
        country=Country.objects.get(code="IE"),
        # Policy section 5: Stripe is controller for the payment transaction and payment data,
        # a recipient outside Art. 28, so it needs no processing agreement.
        role=ProcessorRole.INDEPENDENT_CONTROLLER,
        services="Payments in our checkout and invoicing (Stripe Checkout and Billing).",
        public_purpose="Payments (independent controller)",
        public_purpose_sv="Betalningar (självständigt personuppgiftsansvarig)",
        listed_publicly=False,
        website="https://stripe.com",
        privacy_policy_url="https://stripe.com/privacy",
        privacy_contact="Stripe's privacy request form (stripe.com/privacy), by hand",
        data_categories=cats(register.CAT_CONTACT, register.CAT_INVOICES),
    )
    if created:
        _link(stripe, activities=[register.ACT_INVOICING], systems=[register.SYS_BILLING])

    if not SubprocessorChange.objects.filter(
        processor=aws, subprocessor_name="Amazon Web Services, Inc."
    ).exists():
        subprocessor_change_record(
            processor=aws,
            announced_on=today - timedelta(days=9),
            change_type=SubprocessorChangeType.ADDITION,
            subprocessor_name="Amazon Web Services, Inc.",
            description=(
                "Support engineers in the United States may access service metadata to give "
                "round-the-clock technical support; customer content stays in eu-north-1."
            ),
        )

    stdout.write(
        f"Processors: {Processor.objects.count()} recipients, "
        f"{ProcessorAgreement.objects.filter(signed_on__isnull=False).count()} signed "
        f"agreements; transfers: {Transfer.objects.filter(is_active=True).count()}; "
        "sub-processor changes awaiting a decision: "
        f"{SubprocessorChange.objects.filter(decision=SubprocessorDecision.PENDING).count()}."
    )
