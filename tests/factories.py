"""factory_boy factories for every model tests create; later apps add theirs here."""

from datetime import date

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import DigestSubscription, User
from accounts.roles import Role
from core.crypto import keyed_hash
from dsr import choices as dsr_choices
from dsr import deadlines
from dsr import models as dsr_models
from privacy import models as privacy_models
from privacy.choices import SubjectCategory
from processors import models as processor_models
from processors.choices import ProcessorRole, TransferMechanism

TEST_PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@staff.example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    is_staff = True
    password = factory.django.Password(TEST_PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if not create or not extracted:
            return
        for role in extracted:
            group, _ = Group.objects.get_or_create(name=Role(role).group_name)
            self.groups.add(group)


class DigestSubscriptionFactory(factory.django.DjangoModelFactory):
    """A manager's weekly digest, Mondays after 07:00 Stockholm time, in English."""

    class Meta:
        model = DigestSubscription

    user = factory.SubFactory(UserFactory, roles=[Role.MANAGER])
    frequency = "weekly"
    weekday = 0
    hour = 7
    time_zone = "Europe/Stockholm"
    language = "en"


# --- Register (privacy) ---------------------------------------------------------------------


class ControllerProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = privacy_models.ControllerProfile
        django_get_or_create = ("singleton",)

    singleton = True
    name = "Opper Technology AB"
    registration_number = "559446-3720"
    address = "Västerängsvägen 51 A, 182 47 Enebyberg, Sweden"
    email = "support@opper.ai"
    dpo_name = "Privacy team"
    dpo_email = "privacy@opper.ai"
    security_overview = "Encryption at rest and in transit; access logged; mandatory 2FA."


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = privacy_models.Organisation

    name = factory.Sequence(lambda n: f"Organisation {n} AB")
    country_code = "SE"


class RetentionRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = privacy_models.RetentionRule

    name = factory.Sequence(lambda n: f"Retention rule {n}")
    period = 12
    period_unit = "months"
    trigger = "relationship_end"
    action = "delete"


class AccountingRetentionRuleFactory(RetentionRuleFactory):
    name = "Accounting records (Bokföringslagen)"
    period = 7
    period_unit = "years"
    trigger = "financial_year_end"
    legal_obligation = True
    legal_reference = "Bokföringslagen (1999:1078) 7 kap. 2 §"


class DataCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = privacy_models.DataCategory
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Data category {n}")
    description = "Personal data of this kind."


class ProcessingActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = privacy_models.ProcessingActivity
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Processing activity {n}")
    purpose = "To provide the platform service."
    basis_contract = True
    subject_categories = factory.LazyFunction(lambda: [SubjectCategory.PLATFORM_USER])
    recipient_categories = "Hosting providers"
    security_measures = "Encryption at rest."

    @factory.post_generation
    def data_categories(self, create, extracted, **kwargs):
        if create and extracted:
            self.data_categories.set(extracted)


class SystemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = privacy_models.System
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"System {n}")
    location = "AWS eu-north-1 (Stockholm, Sweden)"

    @factory.post_generation
    def data_categories(self, create, extracted, **kwargs):
        if create and extracted:
            self.data_categories.set(extracted)


class DataSubjectFactory(factory.django.DjangoModelFactory):
    """A data subject with one primary address (`email=` to choose it)."""

    class Meta:
        model = privacy_models.DataSubject
        skip_postgeneration_save = True

    name = factory.Faker("name")
    category = SubjectCategory.PLATFORM_USER

    @factory.post_generation
    def email(self, create, extracted, **kwargs):
        if not create:
            return
        address = extracted or f"subject{self.pk}@example.org"
        privacy_models.SubjectEmail.objects.create(
            subject=self, email=address.lower(), is_primary=True
        )


class PolicyVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = privacy_models.PolicyVersion

    version = factory.Sequence(lambda n: f"2024-08-{(n % 28) + 1:02d}.{n}")
    language = "en"
    effective_date = date(2024, 8, 19)
    body = "This Privacy Policy describes how we process personal data."


class ConsentRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = privacy_models.ConsentRecord

    subject = factory.SubFactory(DataSubjectFactory)
    action = "given"
    method = "signup"
    evidence = "Signed up on the newsletter form."


# --- Register (processors) ------------------------------------------------------------------


def country(code: str) -> processor_models.Country:
    """A country from the seeded list. The migration loads every ISO country; a transactional
    test's flush empties the table, so it is loaded again when missing."""
    if not processor_models.Country.objects.exists():
        from processors.countries import seed_countries

        seed_countries(processor_models.Country)
    return processor_models.Country.objects.get(code=code)


class ProcessorFactory(factory.django.DjangoModelFactory):
    """An independent controller by default (needs no agreement); see ProcessorWithAgreement."""

    class Meta:
        model = processor_models.Processor
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Recipient {n}")
    legal_entity = factory.LazyAttribute(lambda o: f"{o.name} Ltd")
    country = factory.LazyFunction(lambda: country("SE"))
    role = ProcessorRole.INDEPENDENT_CONTROLLER
    services = "Payments"
    public_purpose = "Payment processing"


class ProcessorAgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = processor_models.ProcessorAgreement

    processor = factory.SubFactory(ProcessorFactory)
    title = "Data processing agreement"
    kind = "dpa"
    signed_on = date(2024, 1, 15)
    instructions = confidentiality = security = subprocessing = True
    subject_rights_assistance = compliance_assistance = deletion_or_return = audits = True


class ProcessorWithAgreementFactory(ProcessorFactory):
    """A processor (Art. 28) with its signed agreement."""

    role = ProcessorRole.PROCESSOR
    services = "Hosting"
    public_purpose = "Cloud hosting"
    agreement = factory.RelatedFactory(ProcessorAgreementFactory, factory_related_name="processor")


class TransferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = processor_models.Transfer
        skip_postgeneration_save = True

    importer = factory.SubFactory(
        ProcessorWithAgreementFactory, country=factory.LazyFunction(lambda: country("US"))
    )
    destination = factory.LazyFunction(lambda: country("US"))
    mechanism = TransferMechanism.SCC
    scc_module = 2
    signed_on = date(2024, 2, 1)
    tia_completed_on = date(2024, 2, 1)
    tia_outcome = "adequate"


# --- Data subject requests ------------------------------------------------------------------


class SubmissionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = dsr_models.Submission

    channel = "email"
    received_at = factory.LazyFunction(timezone.now)
    language = "en"
    requester_name = "Anna Berg"
    requester_email = "anna.berg@example.org"
    requester_email_hash = factory.LazyAttribute(lambda o: keyed_hash(o.requester_email))


class DsrCaseFactory(factory.django.DjangoModelFactory):
    """A case in any status, dated by the deadline rules (set `status=` to start elsewhere)."""

    class Meta:
        model = dsr_models.DsrCase

    submission = factory.SubFactory(SubmissionFactory)
    reference = factory.Sequence(lambda n: f"DSR-2026-{900000 + n:06d}")
    right = "access"
    received_at = factory.LazyAttribute(lambda o: o.submission.received_at)
    language = factory.LazyAttribute(lambda o: o.submission.language)
    target_date = factory.LazyAttribute(lambda o: deadlines.target_date(o.received_at))
    due_date = factory.LazyAttribute(lambda o: deadlines.due_date(o.received_at))
    status = "received"
    refusal_basis = factory.LazyAttribute(lambda o: "other" if o.status == "refused" else "")
    closed_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.status in dsr_choices.FINAL_STATUSES else None
    )
