"""The register's rules hold in the database and in the services, whatever path writes."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from core.errors import ApplicationError
from privacy import selectors, services
from privacy.models import ConsentRecord, PolicyVersion, SubjectEmail
from tests.factories import (
    DataSubjectFactory,
    PolicyVersionFactory,
    ProcessingActivityFactory,
    RetentionRuleFactory,
)

pytestmark = pytest.mark.django_db


def refused_by_database(action):
    with pytest.raises(IntegrityError), transaction.atomic():
        action()


# --- Legal basis ----------------------------------------------------------------------------


def test_legitimate_interests_needs_its_assessment_in_the_database():
    refused_by_database(
        lambda: ProcessingActivityFactory(
            basis_contract=False, basis_legitimate_interests=True, legitimate_interest_assessment=""
        )
    )


def test_legitimate_interests_needs_its_assessment_in_validation():
    activity = ProcessingActivityFactory.build(
        basis_contract=False, basis_legitimate_interests=True, legitimate_interest_assessment=""
    )
    with pytest.raises(ValidationError, match="legitimate interest assessment"):
        activity.full_clean(exclude=["data_categories"])


def test_legitimate_interests_with_assessment_is_accepted():
    activity = ProcessingActivityFactory(
        basis_contract=False,
        basis_legitimate_interests=True,
        legitimate_interest_assessment="Improving the service is expected; opt-out offered.",
    )
    assert activity.legal_bases == ["legitimate_interests"]


def test_a_controller_activity_needs_a_legal_basis():
    refused_by_database(lambda: ProcessingActivityFactory(basis_contract=False))


def test_an_activity_as_processor_follows_the_customers_basis():
    activity = ProcessingActivityFactory(basis_contract=False, role="processor")
    assert activity.legal_bases == []


def test_a_legal_obligation_names_its_law():
    refused_by_database(lambda: ProcessingActivityFactory(basis_legal_obligation=True))
    ProcessingActivityFactory(
        basis_legal_obligation=True, legal_obligation_reference="Bokföringslagen 7 kap. 2 §"
    )


# --- Consent ledger -------------------------------------------------------------------------


@pytest.fixture
def consent():
    subject = DataSubjectFactory()
    return services.consent_record(
        subject=subject, action="given", method="signup", evidence="Newsletter form v3"
    )


def test_a_consent_record_cannot_be_edited(consent):
    consent.evidence = "rewritten"
    refused_by_database(consent.save)
    refused_by_database(
        lambda: ConsentRecord.objects.filter(pk=consent.pk).update(action="withdrawn")
    )
    consent.refresh_from_db()
    assert consent.evidence == "Newsletter form v3"


def test_a_consent_record_cannot_be_deleted(consent):
    refused_by_database(consent.delete)
    refused_by_database(lambda: ConsentRecord.objects.all().delete())
    assert ConsentRecord.objects.filter(pk=consent.pk).exists()


def test_a_consent_record_cannot_be_changed_even_with_raw_sql(consent):
    def raw_update():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE privacy_consentrecord SET action = 'withdrawn'")

    refused_by_database(raw_update)


def test_a_subject_with_consent_history_cannot_be_deleted(consent):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError), transaction.atomic():
        consent.subject.delete()


def test_withdrawal_is_a_new_entry_and_wins(consent, time_machine):
    time_machine.move_to("2027-03-01T10:00:00Z")
    services.consent_record(subject=consent.subject, action="withdrawn", method="unsubscribe_link")

    assert ConsentRecord.objects.filter(subject=consent.subject).count() == 2
    assert selectors.consent_state(consent.subject) == "withdrawn"
    assert consent.subject not in selectors.subjects_with_marketing_consent()


# --- Policy versions ------------------------------------------------------------------------


def test_a_draft_policy_version_can_be_edited_and_deleted():
    draft = PolicyVersionFactory()
    services.policy_version_update(version=draft, body="Revised draft.")
    draft.refresh_from_db()
    assert draft.body == "Revised draft."
    services.policy_version_delete(version=draft)
    assert not PolicyVersion.objects.exists()


def test_a_published_policy_version_is_frozen_for_services():
    version = services.policy_version_publish(version=PolicyVersionFactory())
    with pytest.raises(ApplicationError, match="published"):
        services.policy_version_update(version=version, body="Quietly changed.")
    with pytest.raises(ApplicationError, match="published"):
        services.policy_version_delete(version=version)
    with pytest.raises(ApplicationError, match="published"):
        services.policy_version_publish(version=version)


def test_a_published_policy_version_is_frozen_in_the_database():
    version = services.policy_version_publish(version=PolicyVersionFactory())
    version.body = "Quietly changed."
    refused_by_database(version.save)
    refused_by_database(version.delete)
    version.refresh_from_db()
    assert version.body != "Quietly changed."


def test_a_material_change_needs_a_summary():
    refused_by_database(lambda: PolicyVersionFactory(is_material_change=True))


def test_current_policy_is_the_latest_published_in_force(time_machine):
    time_machine.move_to("2026-06-01T12:00:00Z")
    old = services.policy_version_publish(
        version=PolicyVersionFactory(version="2024-08-19", effective_date=date(2024, 8, 19))
    )
    services.policy_version_publish(
        version=PolicyVersionFactory(version="2026-07-01", effective_date=date(2026, 7, 1))
    )
    PolicyVersionFactory(version="2026-05-01", effective_date=date(2026, 5, 1))  # a draft

    assert selectors.policy_current("en") == old
    assert selectors.policy_current("sv") is None


# --- Data subjects and addresses ------------------------------------------------------------


def test_subject_addresses_are_normalised_and_unique_ignoring_case():
    subject = services.subject_create(emails=["  Anna.Berg@Example.SE "], name="Anna Berg")
    assert list(subject.emails.values_list("email", flat=True)) == ["anna.berg@example.se"]

    with pytest.raises(ApplicationError, match="another data subject"):
        services.subject_create(emails=["ANNA.BERG@example.se"])


def test_the_database_refuses_an_address_that_is_not_normalised():
    subject = DataSubjectFactory()
    refused_by_database(
        lambda: SubjectEmail.objects.create(subject=subject, email="Mixed@Example.org")
    )


def test_unicode_domains_are_accepted():
    subject = services.subject_create(emails=["Asa.Oberg@Exempel-Åäö.se", "user@bücher.de"])
    assert set(subject.emails.values_list("email", flat=True)) == {
        "asa.oberg@exempel-åäö.se",
        "user@bücher.de",
    }
    assert selectors.subject_by_email("ASA.OBERG@EXEMPEL-ÅÄÖ.SE") == subject


def test_a_non_ascii_local_part_is_refused_clearly():
    # Django's mail stack cannot deliver to SMTPUTF8 local parts, so they are refused up front.
    with pytest.raises(ValidationError, match="valid email"):
        services.subject_create(emails=["åsa.öberg@exempel.se"])


def test_a_malformed_address_is_a_validation_error():
    with pytest.raises(ValidationError):
        services.subject_create(emails=["not-an-address"])


def test_search_by_exact_address_and_fragments():
    anna = services.subject_create(emails=["anna.berg@example.se"], name="Anna Berg")
    services.subject_create(emails=["bo.ek@example.se"], name="Bo Ek")

    assert list(selectors.subjects_matching("Anna.Berg@example.se")) == [anna]
    assert list(selectors.subjects_matching("berg@exa")) == [anna]
    assert list(selectors.subjects_matching("anna")) == [anna]


# --- Retention rules ------------------------------------------------------------------------


def test_a_rule_kept_by_legal_obligation_names_the_law():
    refused_by_database(lambda: RetentionRuleFactory(legal_obligation=True, legal_reference=""))


def test_a_period_after_the_financial_year_is_in_years():
    refused_by_database(
        lambda: RetentionRuleFactory(trigger="financial_year_end", period_unit="months")
    )
