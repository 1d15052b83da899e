"""The register's admin lists: every page opens, lists stay flat as rows grow, and data subjects
are found by name and address at scale."""

from datetime import date

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.admin import UserAdmin
from accounts.models import User
from core.admin_tools import EstimatedCountPaginator
from privacy import admin as privacy_admin
from privacy.choices import SubjectCategory
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
    ControllerProfileFactory,
    DataCategoryFactory,
    DataSubjectFactory,
    OrganisationFactory,
    PolicyVersionFactory,
    ProcessingActivityFactory,
    RetentionRuleFactory,
    SystemFactory,
    UserFactory,
)
from tests.helpers import (
    admin_url,
    queries_of_get,
)

pytestmark = pytest.mark.django_db

# --- Every page opens -----------------------------------------------------------------------


def _subject_email():
    return DataSubjectFactory(email="smoke@example.org").emails.get()


ROW_FACTORIES = {
    ControllerProfile: ControllerProfileFactory,
    Organisation: OrganisationFactory,
    RetentionRule: RetentionRuleFactory,
    DataCategory: DataCategoryFactory,
    ProcessingActivity: ProcessingActivityFactory,
    System: SystemFactory,
    DataSubject: DataSubjectFactory,
    SubjectEmail: _subject_email,
    PolicyVersion: PolicyVersionFactory,
    ConsentRecord: ConsentRecordFactory,
}


@pytest.mark.parametrize("model", ROW_FACTORIES, ids=lambda m: m.__name__)
def test_every_page_of_the_register_opens(admin_client, model):
    row = ROW_FACTORIES[model]()
    model_admin = admin.site.get_model_admin(model)

    assert admin_client.get(admin_url(model)).status_code == 200
    if model_admin.search_fields:
        response = admin_client.get(admin_url(model), {"q": "example"})
        assert response.status_code == 200
    change_page = admin_client.get(admin_url(model, "change", row.pk))
    assert change_page.status_code == 200
    for audit_field in ("created_at", "updated_at"):
        if hasattr(model, audit_field):
            assert audit_field in change_page.context["adminform"].readonly_fields


@pytest.mark.parametrize(
    "model",
    [m for m in ROW_FACTORIES if m is not SubjectEmail],
    ids=lambda m: m.__name__,
)
def test_every_add_page_opens(admin_client, model):
    assert admin_client.get(admin_url(model, "add")).status_code == 200


def test_every_model_is_registered():
    from django.apps import apps

    for model in apps.get_app_config("privacy").get_models():
        assert admin.site.is_registered(model), model


def test_privacy_admin_classes_work_without_the_processors_app(rf, superuser):
    # Named "admin" so that the templates reverse its URLs through the project's admin.
    site = admin.AdminSite(name="admin")
    site.register(User, UserAdmin)
    for model, admin_class in [
        (RetentionRule, privacy_admin.RetentionRuleAdmin),
        (DataCategory, privacy_admin.DataCategoryAdmin),
        (ProcessingActivity, privacy_admin.ProcessingActivityAdmin),
        (System, privacy_admin.SystemAdmin),
    ]:
        site.register(model, admin_class)
    assert [error for ma in site._registry.values() for error in ma.check()] == []

    activity = ProcessingActivityFactory()
    request = rf.get("/")
    request.user = superuser
    response = site.get_model_admin(ProcessingActivity).change_view(request, str(activity.pk))
    response.render()
    assert response.status_code == 200
    assert "(g) Technical and organisational security measures" in response.content.decode()


# --- Lists stay flat as rows grow -----------------------------------------------------------


def _bulk(model, count, make):
    start = model.objects.count()
    model.objects.bulk_create(make(start + i) for i in range(count))


def _organisations(count):
    _bulk(Organisation, count, lambda i: Organisation(name=f"Org {i}", country_code="SE"))


def _retention_rules(count):
    _bulk(
        RetentionRule,
        count,
        lambda i: RetentionRule(name=f"Rule {i}", period=i + 1, trigger="collection"),
    )


def _data_categories(count):
    rule = RetentionRuleFactory()
    _bulk(DataCategory, count, lambda i: DataCategory(name=f"Category {i}", retention_rule=rule))


def _activities(count):
    rule, owner = RetentionRuleFactory(), UserFactory()
    _bulk(
        ProcessingActivity,
        count,
        lambda i: ProcessingActivity(
            name=f"Activity {i}",
            purpose="Service",
            basis_contract=True,
            subject_categories=["platform_user"],
            recipient_categories="Hosting",
            retention_rule=rule,
            owner=owner,
        ),
    )


def _systems(count):
    owner = UserFactory()
    _bulk(System, count, lambda i: System(name=f"System {i}", location="EU", owner=owner))


def _subjects(count):
    organisation = OrganisationFactory()
    subjects = DataSubject.objects.bulk_create(
        DataSubject(name=f"Person {i}", category="platform_user", organisation=organisation)
        for i in range(count)
    )
    SubjectEmail.objects.bulk_create(
        SubjectEmail(subject=s, email=f"person{s.pk}@example.org", is_primary=True)
        for s in subjects
    )


def _policy_versions(count):
    user = UserFactory()
    _bulk(
        PolicyVersion,
        count,
        lambda i: PolicyVersion(
            version=f"v{i}",
            language="en",
            effective_date=date(2024, 1, 1),
            body="Text",
            published_at="2024-01-01T00:00Z" if i % 2 else None,
            published_by=user if i % 2 else None,
        ),
    )


def _consent_records(count):
    subject, version, user = DataSubjectFactory(), PolicyVersionFactory(), UserFactory()
    _bulk(
        ConsentRecord,
        count,
        lambda i: ConsentRecord(
            subject=subject,
            action="given",
            method="signup",
            policy_version=version,
            recorded_by=user,
        ),
    )


LIST_BUILDERS = {
    Organisation: _organisations,
    RetentionRule: _retention_rules,
    DataCategory: _data_categories,
    ProcessingActivity: _activities,
    System: _systems,
    DataSubject: _subjects,
    SubjectEmail: _subjects,
    PolicyVersion: _policy_versions,
    ConsentRecord: _consent_records,
}


@pytest.mark.parametrize("model", LIST_BUILDERS, ids=lambda m: m.__name__)
def test_changelist_query_count_stays_flat(admin_client, model):
    build = LIST_BUILDERS[model]
    build(10)
    few = queries_of_get(admin_client, admin_url(model))
    build(490)
    assert queries_of_get(admin_client, admin_url(model)) == few


def test_controller_profile_list_query_count_does_not_depend_on_the_row(admin_client):
    empty = queries_of_get(admin_client, admin_url(ControllerProfile))
    ControllerProfileFactory()
    assert queries_of_get(admin_client, admin_url(ControllerProfile)) == empty


# --- Data subjects at scale -----------------------------------------------------------------


def _analyse_subjects():
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE privacy_datasubject")


def test_paginator_uses_the_planner_estimate_for_an_unfiltered_table():
    DataSubject.objects.bulk_create(DataSubject(category="platform_user") for _ in range(30))
    _analyse_subjects()
    DataSubject.objects.bulk_create(DataSubject(category="job_applicant") for _ in range(5))

    paginator = EstimatedCountPaginator(DataSubject.objects.order_by("-pk"), 100)
    paginator.exact_below = 0
    assert paginator.count == 30  # the estimate: COUNT(*) would say 35

    filtered = EstimatedCountPaginator(DataSubject.objects.filter(category="job_applicant"), 100)
    filtered.exact_below = 0
    assert filtered.count == 5


def test_paginator_counts_small_tables_exactly():
    DataSubject.objects.bulk_create(DataSubject(category="platform_user") for _ in range(30))
    _analyse_subjects()
    DataSubject.objects.bulk_create(DataSubject(category="platform_user") for _ in range(5))

    assert EstimatedCountPaginator(DataSubject.objects.order_by("-pk"), 100).count == 35


def test_subject_list_does_not_count_the_whole_table(admin_client, monkeypatch):
    monkeypatch.setattr(EstimatedCountPaginator, "exact_below", 0)
    _subjects(30)
    _analyse_subjects()

    with CaptureQueriesContext(connection) as ctx:
        response = admin_client.get(admin_url(DataSubject))

    assert response.status_code == 200
    assert response.context["cl"].result_count == 30
    # The one query that reads the planner's figure would count only a small table.
    counts = [q["sql"] for q in ctx.captured_queries if '"__count"' in q["sql"]]
    assert counts == []


def _found(admin_client, term) -> list[DataSubject]:
    response = admin_client.get(admin_url(DataSubject), {"q": term})
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def test_subject_search_by_exact_email_ignores_case(admin_client):
    ada = DataSubjectFactory(name="Ada Lovelace", email="ada@analytical.example")
    DataSubjectFactory(name="Charles Babbage", email="charles@analytical.example")
    DataSubjectFactory(name="Adam Ant", email="ada@analytical.example.org")

    assert _found(admin_client, "  ADA@Analytical.Example ") == [ada]


def test_subject_search_by_a_second_address(admin_client):
    ada = DataSubjectFactory(name="Ada Lovelace", email="ada@analytical.example")
    SubjectEmail.objects.create(subject=ada, email="countess@lovelace.example")

    assert _found(admin_client, "Countess@Lovelace.example") == [ada]


def test_subject_search_by_part_of_name_or_address(admin_client):
    ada = DataSubjectFactory(name="Ada Lovelace", email="ada@analytical.example")
    charles = DataSubjectFactory(name="Charles Babbage", email="cb@difference.example")

    assert _found(admin_client, "lovel") == [ada]
    assert _found(admin_client, "DIFFERENCE.ex") == [charles]
    assert set(_found(admin_client, "example")) == {ada, charles}
    assert _found(admin_client, "nobody") == []


def test_subject_search_combines_with_filters(admin_client):
    DataSubjectFactory(name="Ada Lovelace", category=SubjectCategory.PLATFORM_USER)
    applicant = DataSubjectFactory(name="Ada Byron", category=SubjectCategory.JOB_APPLICANT)

    response = admin_client.get(
        admin_url(DataSubject), {"q": "ada", "category__exact": SubjectCategory.JOB_APPLICANT}
    )

    assert list(response.context["cl"].result_list) == [applicant]


def test_subject_list_shows_the_primary_email(admin_client):
    DataSubjectFactory(name="Ada Lovelace", email="ada@analytical.example")

    response = admin_client.get(admin_url(DataSubject))

    assert "ada@analytical.example" in response.content.decode()


def test_subject_autocomplete_searches_through_the_selector(admin_client):
    ada = DataSubjectFactory(name="Ada Lovelace", email="ada@analytical.example")
    DataSubjectFactory(name="Charles Babbage")

    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "term": "ADA@analytical.example",
            "app_label": "privacy",
            "model_name": "consentrecord",
            "field_name": "subject",
        },
    )

    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [str(ada.pk)]
