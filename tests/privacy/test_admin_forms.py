"""The register's admin forms: what staff add and change goes through the register's services,
and its rules show as form errors."""

from datetime import date

import pytest

from privacy.choices import ConsentAction, ConsentMethod, SubjectCategory
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
from tests.factories import (
    ConsentRecordFactory,
    DataCategoryFactory,
    DataSubjectFactory,
    PolicyVersionFactory,
    ProcessingActivityFactory,
    RetentionRuleFactory,
)
from tests.helpers import (
    admin_url,
    changeform_data,
    form_errors,
    messages_of,
    post_form,
)

pytestmark = pytest.mark.django_db

# --- Data subjects: addresses ---------------------------------------------------------------


def _new_subject(admin_client, email, extra=None):
    overrides = {
        "name": "Grace Hopper",
        "category": SubjectCategory.PLATFORM_USER,
        "emails-0-email": email,
        "emails-0-is_primary": "on",
        **(extra or {}),
    }
    return post_form(admin_client, admin_url(DataSubject, "add"), overrides)


def test_adding_a_subject_normalises_the_address(admin_client):
    response = _new_subject(admin_client, "  Grace@Navy.EXAMPLE ")

    assert response.status_code == 302, form_errors(response)
    subject = DataSubject.objects.get(name="Grace Hopper")
    assert list(subject.emails.values_list("email", "is_primary")) == [("grace@navy.example", True)]


def test_an_address_of_another_subject_is_a_form_error(admin_client):
    DataSubjectFactory(email="grace@navy.example")

    response = _new_subject(admin_client, "GRACE@navy.example")

    assert "This email address belongs to another data subject." in form_errors(response)
    assert not DataSubject.objects.filter(name="Grace Hopper").exists()


def test_an_invalid_address_is_a_form_error(admin_client):
    response = _new_subject(admin_client, "grace at navy")

    assert "Enter a valid email address." in form_errors(response)
    assert not DataSubject.objects.filter(name="Grace Hopper").exists()


def test_a_subject_needs_an_address(admin_client):
    response = _new_subject(admin_client, "", {"emails-0-is_primary": None})

    assert "A data subject needs at least one email address." in form_errors(response)


def test_two_primary_addresses_are_a_form_error(admin_client):
    subject = DataSubjectFactory(email="one@example.org")
    url = admin_url(DataSubject, "change", subject.pk)

    response = post_form(
        admin_client, url, {"emails-1-email": "two@example.org", "emails-1-is_primary": "on"}
    )

    assert "Mark exactly one email address as primary." in form_errors(response)
    assert subject.emails.count() == 1


def test_the_primary_mark_moves_in_one_save(admin_client):
    subject = DataSubjectFactory(email="one@example.org")
    SubjectEmail.objects.create(subject=subject, email="two@example.org")
    url = admin_url(DataSubject, "change", subject.pk)

    response = post_form(
        admin_client, url, {"emails-0-is_primary": None, "emails-1-is_primary": "on"}
    )

    assert response.status_code == 302, form_errors(response)
    assert subject.emails.get(is_primary=True).email == "two@example.org"


# --- Processing activities ------------------------------------------------------------------


def _activity_form(admin_client, **overrides):
    category = DataCategoryFactory(name="Contact details")
    data = {
        "name": "Newsletter",
        "role": "controller",
        "purpose": "Send the newsletter.",
        "recipient_categories": "Email service provider",
        "subject_categories": [
            SubjectCategory.NEWSLETTER_SUBSCRIBER,
            SubjectCategory.JOB_APPLICANT,
        ],
        "data_categories": [str(category.pk)],
        "basis_consent": "on",
        **overrides,
    }
    return post_form(admin_client, admin_url(ProcessingActivity, "add"), data)


def test_adding_an_activity_with_ticked_subject_categories(admin_client):
    response = _activity_form(admin_client)

    assert response.status_code == 302, form_errors(response)
    activity = ProcessingActivity.objects.get(name="Newsletter")
    assert activity.subject_categories == ["newsletter_subscriber", "job_applicant"]
    assert [c.name for c in activity.data_categories.all()] == ["Contact details"]
    assert activity.basis_consent


def test_legitimate_interests_without_assessment_is_a_form_error(admin_client):
    response = _activity_form(admin_client, basis_consent=None, basis_legitimate_interests="on")

    assert (
        "Legitimate interests (Art. 6(1)(f)) needs its legitimate interest assessment."
        in form_errors(response)
    )
    assert not ProcessingActivity.objects.filter(name="Newsletter").exists()


def test_legal_obligation_without_its_law_is_a_form_error(admin_client):
    response = _activity_form(admin_client, basis_consent=None, basis_legal_obligation="on")

    assert "A legal obligation (Art. 6(1)(c)) must name the law that imposes it." in form_errors(
        response
    )


def test_a_controller_activity_needs_a_legal_basis(admin_client):
    response = _activity_form(admin_client, basis_consent=None)

    assert (
        "Choose at least one legal basis (Art. 6(1)) for processing as controller."
        in form_errors(response)
    )


def test_review_due_filter(admin_client, time_machine):
    time_machine.move_to("2026-03-01T12:00:00+01:00", tick=False)
    overdue = ProcessingActivityFactory(next_review_on=date(2026, 2, 1))
    soon = ProcessingActivityFactory(next_review_on=date(2026, 3, 31))
    later = ProcessingActivityFactory(next_review_on=date(2026, 4, 1))
    never = ProcessingActivityFactory(next_review_on=None)

    def listed(value):
        response = admin_client.get(admin_url(ProcessingActivity), {"review_due": value})
        return set(response.context["cl"].result_list)

    assert listed("overdue") == {overdue}
    assert listed("soon") == {soon}
    assert listed("later") == {later}
    assert listed("never") == {never}


# --- Other register pages: valid additions --------------------------------------------------


def test_adding_register_rows(admin_client, superuser):
    rule = RetentionRuleFactory(name="Two years")
    cases = [
        (Organisation, {"name": "Acme AB", "registration_number": "556000-0000"}),
        (
            RetentionRule,
            {"name": "Invoices", "period": "7", "period_unit": "years", "trigger": "collection"},
        ),
        (DataCategory, {"name": "Invoices", "retention_rule": str(rule.pk)}),
        (
            System,
            {
                "name": "Main database",
                "location": "AWS eu-north-1",
                "owner": str(superuser.pk),
                "data_categories": [str(DataCategoryFactory().pk)],
            },
        ),
    ]
    for model, data in cases:
        response = post_form(admin_client, admin_url(model, "add"), data)
        assert response.status_code == 302, (model, form_errors(response))
    assert Organisation.objects.filter(name="Acme AB").exists()
    assert RetentionRule.objects.get(name="Invoices").period_text == "7 years from collection"
    assert DataCategory.objects.get(name="Invoices").retention_rule == rule
    assert System.objects.get(name="Main database").owner == superuser


def test_retention_rule_shows_its_period_in_words(admin_client):
    RetentionRuleFactory(name="Accounts", period=3, period_unit="years", trigger="collection")

    response = admin_client.get(admin_url(RetentionRule))

    assert "3 years from collection" in response.content.decode()


def test_controller_profile_is_a_singleton(admin_client):
    data = {
        "name": "Opper Technology AB",
        "address": "Enebyberg",
        "email": "privacy@opper.example",
        "security_overview": "Encryption.",
    }
    response = post_form(admin_client, admin_url(ControllerProfile, "add"), data)
    assert response.status_code == 302, form_errors(response)
    profile = ControllerProfile.objects.get()

    assert admin_client.get(admin_url(ControllerProfile, "add")).status_code == 403
    assert admin_client.get(admin_url(ControllerProfile, "delete", profile.pk)).status_code == 403
    assert admin_client.post(admin_url(ControllerProfile, "delete", profile.pk)).status_code == 403
    assert ControllerProfile.objects.filter(pk=profile.pk).exists()


# --- Policy versions ------------------------------------------------------------------------


def test_adding_a_draft_policy_version(admin_client):
    data = {
        "version": "2026-01-01",
        "language": "sv",
        "title": "Integritetspolicy",
        "effective_date": "2026-01-01",
        "body": "Text.",
    }
    response = post_form(admin_client, admin_url(PolicyVersion, "add"), data)

    assert response.status_code == 302, form_errors(response)
    assert PolicyVersion.objects.get(version="2026-01-01").published_at is None


def test_a_material_change_needs_its_summary(admin_client):
    version = PolicyVersionFactory()
    url = admin_url(PolicyVersion, "change", version.pk)

    response = post_form(admin_client, url, {"is_material_change": "on"})

    assert "A material change needs a summary of what changed; people are told it." in form_errors(
        response
    )


def test_publish_action(admin_client, superuser):
    draft = PolicyVersionFactory()

    response = admin_client.post(
        admin_url(PolicyVersion),
        {"action": "publish", "_selected_action": [draft.pk]},
        follow=True,
    )

    draft.refresh_from_db()
    assert draft.published_at is not None
    assert draft.published_by == superuser
    assert any("is published" in m for m in messages_of(response))


def test_publishing_twice_is_a_message_not_an_error(admin_client):
    version = PolicyVersionFactory()
    admin_client.post(
        admin_url(PolicyVersion), {"action": "publish", "_selected_action": [version.pk]}
    )

    response = admin_client.post(
        admin_url(PolicyVersion),
        {"action": "publish", "_selected_action": [version.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert any("is published and cannot be changed" in m for m in messages_of(response))


def test_save_and_publish_button(admin_client, superuser):
    draft = PolicyVersionFactory(title="Old title")
    url = admin_url(PolicyVersion, "change", draft.pk)
    assert 'name="_publish"' in admin_client.get(url).content.decode()

    response = post_form(admin_client, url, {"title": "New title", "_publish": "Save and publish"})

    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.title, draft.published_by) == ("New title", superuser)


def test_a_published_version_is_read_only_and_cannot_be_deleted(admin_client):
    version = PolicyVersionFactory(body="What people were told.")
    admin_client.post(
        admin_url(PolicyVersion), {"action": "publish", "_selected_action": [version.pk]}
    )
    change_url = admin_url(PolicyVersion, "change", version.pk)
    delete_url = admin_url(PolicyVersion, "delete", version.pk)

    page = admin_client.get(change_url)
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert 'name="_save"' not in page.content.decode()
    assert 'name="_publish"' not in page.content.decode()
    assert list(page.context["adminform"].form.fields) == []

    edit = {"version": version.version, "language": "en", "title": "T", "body": "Changed."}
    assert admin_client.post(change_url, edit).status_code == 403
    assert admin_client.get(delete_url).status_code == 403
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    bulk = {"action": "delete_selected", "_selected_action": [version.pk], "post": "yes"}
    assert admin_client.post(admin_url(PolicyVersion), bulk).status_code == 403

    version.refresh_from_db()
    assert version.body == "What people were told."


def test_a_draft_can_be_deleted(admin_client):
    draft = PolicyVersionFactory()

    response = admin_client.post(admin_url(PolicyVersion, "delete", draft.pk), {"post": "yes"})

    assert response.status_code == 302
    assert not PolicyVersion.objects.filter(pk=draft.pk).exists()


# --- Consent ledger -------------------------------------------------------------------------


def test_recording_consent_in_the_admin(admin_client, superuser):
    subject = DataSubjectFactory()
    url = admin_url(ConsentRecord, "add") + f"?subject={subject.pk}"
    page = admin_client.get(url)
    assert page.context["adminform"].form["subject"].value() == str(subject.pk)

    data = changeform_data(
        page,
        {
            "action": ConsentAction.GIVEN,
            "method": ConsentMethod.EMAIL,
            "evidence": "Email of 1 March.",
        },
    )
    response = admin_client.post(url, data)

    assert response.status_code == 302, form_errors(response)
    record = ConsentRecord.objects.get(subject=subject)
    assert (record.action, record.recorded_by) == ("given", superuser)


def test_the_subject_page_links_to_recording_consent(admin_client):
    subject = DataSubjectFactory()
    ConsentRecordFactory(subject=subject)

    page = admin_client.get(admin_url(DataSubject, "change", subject.pk)).content.decode()

    assert f"{admin_url(ConsentRecord, 'add')}?subject={subject.pk}" in page
    assert "Marketing newsletters by email" in page  # the read-only ledger inline


def test_a_consent_record_cannot_be_changed_or_deleted(admin_client):
    record = ConsentRecordFactory(evidence="Signed up.")
    change_url = admin_url(ConsentRecord, "change", record.pk)
    delete_url = admin_url(ConsentRecord, "delete", record.pk)

    page = admin_client.get(change_url)
    assert page.context["has_change_permission"] is False
    assert 'name="_save"' not in page.content.decode()
    edit = {"subject": record.subject_id, "action": "withdrawn", "method": "email", "evidence": "x"}
    assert admin_client.post(change_url, edit).status_code == 403
    assert admin_client.get(delete_url).status_code == 403
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403

    changelist = admin_client.get(admin_url(ConsentRecord))
    assert changelist.context["action_form"] is None  # not even the bulk delete
    bulk = {"action": "delete_selected", "_selected_action": [record.pk], "post": "yes"}
    assert admin_client.post(admin_url(ConsentRecord), bulk).status_code in (200, 302)

    record.refresh_from_db()
    assert (record.action, record.evidence) == ("given", "Signed up.")


def test_a_subject_with_consent_records_can_still_be_edited(admin_client):
    record = ConsentRecordFactory(evidence="Signed up.")
    url = admin_url(DataSubject, "change", record.subject_id)

    response = post_form(admin_client, url, {"name": "Renamed"})

    assert response.status_code == 302, form_errors(response)
    assert DataSubject.objects.get(pk=record.subject_id).name == "Renamed"
    record.refresh_from_db()
    assert record.evidence == "Signed up."


def test_a_subject_with_consent_records_cannot_be_deleted(admin_client):
    record = ConsentRecordFactory()
    subject = record.subject
    delete_url = admin_url(DataSubject, "delete", subject.pk)

    page = admin_client.get(delete_url)
    assert page.status_code == 200
    assert page.context["protected"]
    assert "Cannot delete" in page.content.decode()

    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 200
    bulk = {"action": "delete_selected", "_selected_action": [subject.pk], "post": "yes"}
    assert admin_client.post(admin_url(DataSubject), bulk).status_code == 200
    assert DataSubject.objects.filter(pk=subject.pk).exists()
    assert ConsentRecord.objects.filter(pk=record.pk).exists()


def test_a_subject_without_consent_records_can_be_deleted(admin_client):
    subject = DataSubjectFactory()

    response = admin_client.post(admin_url(DataSubject, "delete", subject.pk), {"post": "yes"})

    assert response.status_code == 302
    assert not DataSubject.objects.filter(pk=subject.pk).exists()
