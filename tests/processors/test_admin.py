"""The processors admin: pages open, lists stay flat, Art. 28 and Chapter V rules are errors."""

from datetime import date

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile

from privacy.models import DataCategory, ProcessingActivity, System
from processors.choices import ProcessorRole, SubprocessorDecision
from processors.models import (
    Country,
    Processor,
    ProcessorAgreement,
    SubprocessorChange,
    Transfer,
)
from tests.factories import (
    DataCategoryFactory,
    ProcessingActivityFactory,
    ProcessorAgreementFactory,
    ProcessorFactory,
    ProcessorWithAgreementFactory,
    SystemFactory,
    TransferFactory,
    country,
)
from tests.helpers import (
    admin_url,
    changeform_data,
    form_errors,
    messages_of,
    post_form,
    queries_of_get,
)

pytestmark = pytest.mark.django_db


def _change(processor=None, **fields) -> SubprocessorChange:
    values = {
        "processor": processor or ProcessorWithAgreementFactory(),
        "subprocessor_name": "Sub Ltd",
        "change_type": "addition",
        "announced_on": date(2026, 3, 1),
        "objection_deadline": date(2026, 3, 31),
        **fields,
    }
    return SubprocessorChange.objects.create(**values)


# --- Every page opens -----------------------------------------------------------------------


ROW_FACTORIES = {
    Country: lambda: country("JP"),
    Processor: ProcessorWithAgreementFactory,
    ProcessorAgreement: ProcessorAgreementFactory,
    SubprocessorChange: _change,
    Transfer: TransferFactory,
}


@pytest.mark.parametrize("model", ROW_FACTORIES, ids=lambda m: m.__name__)
def test_every_page_of_the_processors_register_opens(admin_client, model):
    row = ROW_FACTORIES[model]()

    assert admin_client.get(admin_url(model)).status_code == 200
    assert admin_client.get(admin_url(model), {"q": "a"}).status_code == 200
    assert admin_client.get(admin_url(model, "add")).status_code == 200
    assert admin_client.get(admin_url(model, "change", row.pk)).status_code == 200


def test_every_model_is_registered():
    from django.apps import apps

    for model in apps.get_app_config("processors").get_models():
        assert admin.site.is_registered(model), model


def test_register_pages_show_the_relations_that_live_here(admin_client):
    activity = ProcessingActivityFactory()
    system = SystemFactory()
    category = DataCategoryFactory()
    processor = ProcessorWithAgreementFactory(name="AWS")
    processor.processing_activities.add(activity)
    processor.hosted_systems.add(system)
    processor.data_categories.add(category)
    TransferFactory(importer=processor).processing_activities.add(activity)

    activity_page = admin_client.get(admin_url(ProcessingActivity, "change", activity.pk))
    page = activity_page.content.decode()
    assert "(d) Named recipients" in page
    assert "(e) Transfers to third countries" in page
    assert "AWS → United States" in page
    system_page = admin_client.get(admin_url(System, "change", system.pk)).content.decode()
    assert "Hosted or operated by" in system_page
    category_page = admin_client.get(admin_url(DataCategory, "change", category.pk))
    assert "Recipients of this category" in category_page.content.decode()
    assert "AWS" in admin_client.get(admin_url(System)).content.decode()


def test_recipients_are_added_from_the_activity_page(admin_client):
    activity = ProcessingActivityFactory(data_categories=[DataCategoryFactory()])
    processor = ProcessorWithAgreementFactory()
    url = admin_url(ProcessingActivity, "change", activity.pk)
    prefix = "Processor_processing_activities-"

    response = post_form(
        admin_client,
        url,
        {f"{prefix}TOTAL_FORMS": "1", f"{prefix}0-processor": str(processor.pk)},
    )

    assert response.status_code == 302, form_errors(response)
    assert list(activity.recipients.all()) == [processor]


# --- Lists stay flat as rows grow -----------------------------------------------------------


def _codes():
    used = set(Country.objects.values_list("code", flat=True))
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return [a + b for a in letters for b in letters if a + b not in used]


def _countries(count):
    Country.objects.bulk_create(Country(code=code, name=code) for code in _codes()[:count])


def _processors(count):
    start = Processor.objects.count()
    parent = ProcessorWithAgreementFactory()
    processors = Processor.objects.bulk_create(
        Processor(
            name=f"Processor {start + i}",
            legal_entity="Ltd",
            country=country("US" if i % 2 else "IE"),
            role=ProcessorRole.SUB_PROCESSOR,
            parent=parent,
            services="Hosting",
        )
        for i in range(count)
    )
    ProcessorAgreement.objects.bulk_create(
        ProcessorAgreement(processor=p, title="DPA", signed_on=date(2024, 1, 1))
        for p in processors[::2]
    )
    return processors


def _agreements(count):
    _processors(count * 2)


def _changes(count):
    processor = ProcessorWithAgreementFactory()
    sub = ProcessorFactory()
    SubprocessorChange.objects.bulk_create(
        SubprocessorChange(
            processor=processor,
            subprocessor=sub if i % 2 else None,
            subprocessor_name="" if i % 2 else f"Sub {i}",
            change_type="addition",
            announced_on=date(2026, 3, 1),
            objection_deadline=date(2026, 3, 31),
        )
        for i in range(count)
    )


def _transfers(count):
    importers = _processors(count)
    exporter = ProcessorWithAgreementFactory()
    Transfer.objects.bulk_create(
        Transfer(
            exporter=exporter,
            importer=importer,
            destination=country("US"),
            mechanism="scc_2021_914",
            scc_module=3,
        )
        for importer in importers
    )


LIST_BUILDERS = {
    Country: _countries,
    Processor: _processors,
    ProcessorAgreement: _agreements,
    SubprocessorChange: _changes,
    Transfer: _transfers,
}


@pytest.mark.parametrize("model", LIST_BUILDERS, ids=lambda m: m.__name__)
def test_changelist_query_count_stays_flat(admin_client, model):
    build = LIST_BUILDERS[model]
    build(10)
    few = queries_of_get(admin_client, admin_url(model))
    build(300 if model is Country else 490)
    assert queries_of_get(admin_client, admin_url(model)) == few


# --- Processors and their agreements (Art. 28) ----------------------------------------------

PROCESSOR = {
    "name": "Amazon Web Services",
    "legal_entity": "Amazon Web Services EMEA SARL",
    "country": "LU",
    "role": ProcessorRole.PROCESSOR,
    "services": "Hosting",
}

SIGNED_DPA = {
    "agreements-0-title": "AWS GDPR Data Processing Addendum",
    "agreements-0-kind": "dpa",
    "agreements-0-signed_on": "2024-01-10",
    "agreements-0-instructions": "on",
    "agreements-0-instructions_clause": "3.1",
}


def _add_processor(admin_client, **overrides):
    return post_form(admin_client, admin_url(Processor, "add"), {**PROCESSOR, **overrides})


def test_adding_a_processor_with_its_signed_agreement(admin_client):
    response = _add_processor(admin_client, **SIGNED_DPA)

    assert response.status_code == 302, form_errors(response)
    agreement = Processor.objects.get(name="Amazon Web Services").agreements.get()
    assert (agreement.signed_on, agreement.instructions_clause) == (date(2024, 1, 10), "3.1")
    assert "(b) confidentiality of staff" in agreement.art28_missing


AGREEMENT_MISSING = (
    "A processor or sub-processor needs a signed data processing agreement (Art. 28(3)) or the "
    "standard contractual clauses 2021/915: add it below with the date it was signed. "
    "Independent and joint controllers need none."
)


def test_a_processor_without_an_agreement_is_refused(admin_client):
    response = _add_processor(admin_client)

    assert AGREEMENT_MISSING in form_errors(response)
    assert not Processor.objects.filter(name="Amazon Web Services").exists()


def test_an_unsigned_or_other_agreement_does_not_count(admin_client):
    unsigned = _add_processor(admin_client, **{**SIGNED_DPA, "agreements-0-signed_on": ""})
    other = _add_processor(admin_client, **{**SIGNED_DPA, "agreements-0-kind": "other"})

    assert AGREEMENT_MISSING in form_errors(unsigned)
    assert AGREEMENT_MISSING in form_errors(other)
    assert not Processor.objects.filter(name="Amazon Web Services").exists()


def test_an_independent_controller_needs_no_agreement(admin_client):
    response = _add_processor(
        admin_client, name="Stripe", role=ProcessorRole.INDEPENDENT_CONTROLLER
    )

    assert response.status_code == 302, form_errors(response)
    assert not Processor.objects.get(name="Stripe").agreements.exists()


def test_deleting_the_only_agreement_in_the_inline_is_refused(admin_client):
    processor = ProcessorWithAgreementFactory()
    url = admin_url(Processor, "change", processor.pk)

    response = post_form(admin_client, url, {"agreements-0-DELETE": "on"})

    assert AGREEMENT_MISSING in form_errors(response)
    assert processor.agreements.count() == 1


def test_turning_a_controller_into_a_processor_needs_an_agreement(admin_client):
    stripe = ProcessorFactory(role=ProcessorRole.INDEPENDENT_CONTROLLER)
    url = admin_url(Processor, "change", stripe.pk)

    response = post_form(admin_client, url, {"role": ProcessorRole.PROCESSOR})

    assert AGREEMENT_MISSING in form_errors(response)
    stripe.refresh_from_db()
    assert stripe.role == ProcessorRole.INDEPENDENT_CONTROLLER


def test_a_sub_processor_names_its_processor(admin_client):
    missing = _add_processor(admin_client, role=ProcessorRole.SUB_PROCESSOR, **SIGNED_DPA)
    controller = ProcessorFactory(role=ProcessorRole.INDEPENDENT_CONTROLLER)
    wrong = _add_processor(
        admin_client, role=ProcessorRole.SUB_PROCESSOR, parent=str(controller.pk), **SIGNED_DPA
    )

    assert (
        "A sub-processor names the processor that engaged it; other roles do not."
        in form_errors(missing)
    )
    assert "Sub-processors are engaged by a processor, not by another controller." in form_errors(
        wrong
    )


def test_processor_list_shows_agreement_status_and_filters_missing_ones(admin_client):
    signed = ProcessorWithAgreementFactory(name="Signed")
    unsigned = ProcessorFactory(name="Unsigned", role=ProcessorRole.PROCESSOR)
    controller = ProcessorFactory(name="Controller")

    response = admin_client.get(admin_url(Processor))
    rows = {p.name: p for p in response.context["cl"].result_list}
    model_admin = admin.site.get_model_admin(Processor)
    assert model_admin.agreement_status(rows["Signed"]) == "Signed"
    assert model_admin.agreement_status(rows["Unsigned"]) == "Missing"
    assert model_admin.agreement_status(rows["Controller"]) == "Not required"

    missing = admin_client.get(admin_url(Processor), {"missing_agreement": "yes"})
    in_order = admin_client.get(admin_url(Processor), {"missing_agreement": "no"})
    assert list(missing.context["cl"].result_list) == [unsigned]
    assert set(in_order.context["cl"].result_list) == {signed, controller}


def test_country_filter_lists_only_countries_in_use(admin_client):
    ProcessorWithAgreementFactory(country=country("IE"))
    ProcessorFactory(country=country("US"))

    response = admin_client.get(admin_url(Processor))

    country_filter = next(
        spec
        for spec in response.context["cl"].filter_specs
        if spec.title == "country of establishment"
    )
    assert [label for _, label in country_filter.lookup_choices] == [
        "Ireland (IE)",
        "United States (US)",
    ]


def test_adding_an_agreement_on_its_own_page(admin_client):
    processor = ProcessorFactory(role=ProcessorRole.JOINT_CONTROLLER)
    data = {
        "processor": str(processor.pk),
        "title": "Art. 26 arrangement",
        "kind": "joint_controller",
    }

    response = post_form(admin_client, admin_url(ProcessorAgreement, "add"), data)

    assert response.status_code == 302, form_errors(response)
    assert processor.agreements.get().title == "Art. 26 arrangement"


def test_agreement_document_upload(admin_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    processor = ProcessorFactory(role=ProcessorRole.JOINT_CONTROLLER)
    url = admin_url(ProcessorAgreement, "add")

    def upload(name):
        data = {"processor": str(processor.pk), "title": name, "kind": "other"}
        document = SimpleUploadedFile(name, b"%PDF-1.4 agreement", content_type="application/pdf")
        return post_form(admin_client, url, {**data, "document": document})

    refused = upload("agreement.exe")
    accepted = upload("agreement.pdf")

    assert any("File extension" in error for error in form_errors(refused))
    assert accepted.status_code == 302, form_errors(accepted)
    agreement = processor.agreements.get()
    assert agreement.document.name.endswith(".pdf")
    assert agreement.document.read() == b"%PDF-1.4 agreement"


def test_agreement_list_shows_missing_art28_terms(admin_client):
    ProcessorAgreementFactory(security=False, audits=False)

    page = admin_client.get(admin_url(ProcessorAgreement)).content.decode()

    assert "(c) security measures (Art. 32), (h) information and audits" in page


def test_the_only_agreement_cannot_be_deleted_on_its_own_page(admin_client):
    processor = ProcessorWithAgreementFactory()
    agreement = processor.agreements.get()

    response = admin_client.post(
        admin_url(ProcessorAgreement, "delete", agreement.pk), {"post": "yes"}, follow=True
    )

    assert response.status_code == 200
    assert any("before it receives personal data" in m for m in messages_of(response))
    assert ProcessorAgreement.objects.filter(pk=agreement.pk).exists()


def test_a_second_agreement_can_be_deleted(admin_client):
    processor = ProcessorWithAgreementFactory()
    extra = ProcessorAgreementFactory(processor=processor, title="Older DPA")

    response = admin_client.post(admin_url(ProcessorAgreement, "delete", extra.pk), {"post": "yes"})

    assert response.status_code == 302
    assert list(processor.agreements.values_list("title", flat=True)) == [
        "Data processing agreement"
    ]


def test_the_only_agreement_cannot_stop_counting(admin_client):
    agreement = ProcessorWithAgreementFactory().agreements.get()
    url = admin_url(ProcessorAgreement, "change", agreement.pk)

    response = post_form(admin_client, url, {"kind": "other"})

    assert any("only signed data processing agreement" in e for e in form_errors(response))
    agreement.refresh_from_db()
    assert agreement.kind == "dpa"


def test_agreement_review_due_filter(admin_client, time_machine):
    time_machine.move_to("2026-03-01T12:00:00+01:00", tick=False)
    overdue = ProcessorAgreementFactory(review_due_on=date(2026, 2, 28))
    soon = ProcessorAgreementFactory(review_due_on=date(2026, 3, 1))
    ProcessorAgreementFactory(review_due_on=date(2027, 1, 1))

    def listed(value):
        response = admin_client.get(admin_url(ProcessorAgreement), {"review_due": value})
        return list(response.context["cl"].result_list)

    assert listed("overdue") == [overdue]
    assert listed("soon") == [soon]


# --- Transfers (Chapter V) ------------------------------------------------------------------


def _add_transfer(admin_client, importer=None, **overrides):
    importer = importer or ProcessorWithAgreementFactory(name="Importer", country=country("US"))
    data = {
        "importer": str(importer.pk),
        "destination": "US",
        "mechanism": "scc_2021_914",
        "scc_module": "2",
        "data_categories": [str(DataCategoryFactory().pk)],
        **overrides,
    }
    return post_form(admin_client, admin_url(Transfer, "add"), data)


def test_adding_a_transfer(admin_client):
    response = _add_transfer(admin_client)

    assert response.status_code == 302, form_errors(response)
    transfer = Transfer.objects.get()
    assert (transfer.destination_id, transfer.scc_module) == ("US", 2)


def test_adequacy_to_a_country_without_a_decision_is_a_form_error(admin_client):
    response = _add_transfer(admin_client, destination="IN", mechanism="adequacy", scc_module="")

    assert (
        "India has no adequacy decision: use standard contractual clauses with a module, binding "
        "corporate rules or a documented Art. 49 derogation." in form_errors(response)
    )
    assert not Transfer.objects.exists()


def test_adequacy_to_a_country_with_a_decision_is_fine(admin_client):
    response = _add_transfer(admin_client, destination="JP", mechanism="adequacy", scc_module="")

    assert response.status_code == 302, form_errors(response)


def test_dpf_with_an_uncertified_importer_is_a_form_error(admin_client):
    response = _add_transfer(admin_client, mechanism="dpf", scc_module="")

    assert (
        "Importer is not recorded as certified under the Data Privacy Framework; record its "
        "certification or use safeguards." in form_errors(response)
    )
    assert not Transfer.objects.exists()


def test_dpf_with_a_certified_importer_is_fine(admin_client):
    importer = ProcessorWithAgreementFactory(
        country=country("US"), dpf_certified=True, dpf_checked_on=date(2026, 1, 1)
    )

    response = _add_transfer(admin_client, importer=importer, mechanism="dpf", scc_module="")

    assert response.status_code == 302, form_errors(response)


def test_scc_without_a_module_is_a_form_error(admin_client):
    response = _add_transfer(admin_client, scc_module="")

    assert (
        "Standard contractual clauses need their module (1-4); other mechanisms have none."
        in form_errors(response)
    )
    assert not Transfer.objects.exists()


def test_transfer_review_due_filter(admin_client, time_machine):
    time_machine.move_to("2026-03-01T12:00:00+01:00", tick=False)
    overdue = TransferFactory(next_review_on=date(2026, 1, 1))
    later = TransferFactory(next_review_on=date(2026, 6, 1))
    never = TransferFactory(next_review_on=None)

    def listed(value):
        response = admin_client.get(admin_url(Transfer), {"review_due": value})
        return list(response.context["cl"].result_list)

    assert listed("overdue") == [overdue]
    assert listed("soon") == []
    assert listed("later") == [later]
    assert listed("never") == [never]


# --- Countries ------------------------------------------------------------------------------


def test_country_adequacy_is_edited_but_countries_are_never_deleted(admin_client):
    url = admin_url(Country, "change", "IN")

    page = admin_client.get(url)
    assert "code" not in page.context["adminform"].form.fields  # the primary key stays
    response = admin_client.post(
        url,
        changeform_data(
            page,
            {"adequacy": "full", "adequacy_decision": "Decision (EU) 2030/1"},
        ),
    )

    assert response.status_code == 302, form_errors(response)
    assert country("IN").adequacy == "full"
    assert admin_client.get(admin_url(Country, "delete", "IN")).status_code == 403
    assert admin_client.post(admin_url(Country, "delete", "IN"), {"post": "yes"}).status_code == 403


def test_adding_a_country(admin_client):
    data = {"code": "XK", "name": "Kosovo"}

    response = post_form(admin_client, admin_url(Country, "add"), data)

    assert response.status_code == 302, form_errors(response)
    assert country("XK").adequacy == "none"


def test_country_filters_and_search(admin_client):
    eea = admin_client.get(admin_url(Country), {"is_eea__exact": "1", "q": "swe"})
    dpf = admin_client.get(admin_url(Country), {"adequacy__exact": "dpf"})

    assert [c.code for c in eea.context["cl"].result_list] == ["SE"]
    assert [c.code for c in dpf.context["cl"].result_list] == ["US"]


# --- Sub-processor changes (Art. 28(2)) -----------------------------------------------------


def _add_change(admin_client, processor, **overrides):
    data = {
        "processor": str(processor.pk),
        "change_type": "addition",
        "announced_on": "2026-03-01",
        "subprocessor_name": "New Sub Ltd",
        **overrides,
    }
    return post_form(admin_client, admin_url(SubprocessorChange, "add"), data)


def test_recording_a_change_counts_the_objection_deadline(admin_client, time_machine):
    time_machine.move_to("2026-03-02T12:00:00+01:00", tick=False)
    processor = ProcessorWithAgreementFactory()

    page = admin_client.get(admin_url(SubprocessorChange, "add"))
    assert "objection_deadline" not in page.context["adminform"].form.fields
    response = _add_change(admin_client, processor)

    assert response.status_code == 302, form_errors(response)
    change = SubprocessorChange.objects.get()
    assert change.objection_deadline == date(2026, 3, 31)
    assert change.decision == SubprocessorDecision.PENDING


def test_a_change_from_a_processor_without_agreement_is_a_form_error(admin_client):
    processor = ProcessorFactory(name="No Contract Inc", role=ProcessorRole.PROCESSOR)

    response = _add_change(admin_client, processor)

    assert (
        "No Contract Inc has no data processing agreement, so there is no notice period to count "
        "from; record the agreement first." in form_errors(response)
    )
    assert not SubprocessorChange.objects.exists()


def test_a_change_names_its_subprocessor(admin_client):
    response = _add_change(admin_client, ProcessorWithAgreementFactory(), subprocessor_name="")

    assert "Choose the sub-processor or write its name." in form_errors(response)


def test_changes_list_opens_on_pending_decisions(admin_client):
    pending = _change()
    _change(decision="accepted", decided_on=date(2026, 3, 5))

    default = admin_client.get(admin_url(SubprocessorChange))
    everything = admin_client.get(admin_url(SubprocessorChange), {"decision": "all"})

    assert list(default.context["cl"].result_list) == [pending]
    assert everything.context["cl"].result_count == 2


def test_accept_action(admin_client, superuser, time_machine):
    time_machine.move_to("2026-03-10T12:00:00+01:00", tick=False)
    change = _change()

    admin_client.post(
        admin_url(SubprocessorChange), {"action": "accept", "_selected_action": [change.pk]}
    )

    change.refresh_from_db()
    assert (change.decision, change.decided_on, change.decided_by) == (
        "accepted",
        date(2026, 3, 10),
        superuser,
    )


def test_objecting_without_reasons_is_a_message(admin_client):
    change = _change()

    response = admin_client.post(
        admin_url(SubprocessorChange),
        {"action": "object_to", "_selected_action": [change.pk]},
        follow=True,
    )

    assert "An objection states its reasons." in messages_of(response)
    change.refresh_from_db()
    assert change.decision == SubprocessorDecision.PENDING


def test_object_button_with_reasons(admin_client):
    change = _change()
    url = admin_url(SubprocessorChange, "change", change.pk)
    page = admin_client.get(url).content.decode()
    assert 'name="_accept"' in page
    assert 'name="_object"' in page

    response = post_form(
        admin_client,
        url,
        {"decision_notes": "Transfers to a country we exclude.", "_object": "Save and object"},
    )

    assert response.status_code == 302
    change.refresh_from_db()
    assert (change.decision, change.decision_notes) == (
        "objected",
        "Transfers to a country we exclude.",
    )


def test_object_button_without_reasons_is_a_message(admin_client):
    change = _change()
    url = admin_url(SubprocessorChange, "change", change.pk)

    response = post_form(admin_client, url, {"_object": "Save and object"}, follow=True)

    assert "An objection states its reasons." in messages_of(response)
    change.refresh_from_db()
    assert change.decision == SubprocessorDecision.PENDING


def test_a_decided_change_is_read_only(admin_client):
    change = _change(decision="accepted", decided_on=date(2026, 3, 5))
    url = admin_url(SubprocessorChange, "change", change.pk)

    page = admin_client.get(url)
    assert page.context["has_change_permission"] is False
    assert 'name="_accept"' not in page.content.decode()
    assert admin_client.post(url, {"decision_notes": "Changed my mind"}).status_code == 403

    again = admin_client.post(
        admin_url(SubprocessorChange) + "?decision=all",
        {"action": "accept", "_selected_action": [change.pk]},
        follow=True,
    )
    assert "This change has already been decided." in messages_of(again)
