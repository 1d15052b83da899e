"""Reviews of the register's entries are recorded, not typed over: a processing activity, a
processor's agreement and a transfer show their review dates read-only once saved, and the
"Record a review" step changes them through the entry's service (the one that checks the next
review comes after this one)."""

from datetime import date

import pytest
from django.urls import reverse

from processors.models import ProcessorAgreement, Transfer
from tests.factories import (
    ProcessingActivityFactory,
    ProcessorAgreementFactory,
    ProcessorWithAgreementFactory,
    TransferFactory,
)
from tests.helpers import changeform_data, form_errors

pytestmark = pytest.mark.django_db


def _change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def _review_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_review", args=[obj.pk])


ENTRIES = {
    "activity": (ProcessingActivityFactory, ("last_reviewed_on", "next_review_on")),
    "agreement": (ProcessorAgreementFactory, ("last_reviewed_on", "review_due_on")),
    "transfer": (TransferFactory, ("tia_completed_on", "tia_outcome", "next_review_on")),
}


@pytest.mark.parametrize("entry", sorted(ENTRIES))
def test_review_dates_are_read_only_and_the_page_offers_to_record_a_review(admin_client, entry):
    factory, fields = ENTRIES[entry]
    obj = factory()

    page = admin_client.get(_change_url(obj))

    form = page.context["adminform"].form
    assert not set(fields) & set(form.fields)
    assert f'href="{_review_url(obj)}"' in page.content.decode()
    assert "Record a review" in page.content.decode()


def test_recording_a_review_of_an_activity(admin_client, frozen):
    activity = ProcessingActivityFactory()

    response = admin_client.post(
        _review_url(activity), {"reviewed_on": "2026-03-05", "next_review_on": "2027-03-05"}
    )

    assert response.status_code == 302 and response.url == _change_url(activity)
    activity.refresh_from_db()
    assert (activity.last_reviewed_on, activity.next_review_on) == (
        date(2026, 3, 5),
        date(2027, 3, 5),
    )


def test_a_next_review_before_this_one_is_refused_on_the_form(admin_client, frozen):
    agreement = ProcessorAgreementFactory()

    response = admin_client.post(
        _review_url(agreement), {"reviewed_on": "2026-03-05", "next_review_on": "2026-03-01"}
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "The next review must come after this one."
    ]
    agreement.refresh_from_db()
    assert agreement.review_due_on is None


def test_recording_a_review_of_an_agreement(admin_client, frozen):
    agreement = ProcessorAgreementFactory()

    page = admin_client.get(_review_url(agreement))
    assert page.context["form"]["reviewed_on"].value() == date(2026, 3, 5)
    assert page.context["form"]["next_review_on"].value() == date(2027, 3, 5)
    admin_client.post(
        _review_url(agreement), {"reviewed_on": "2026-03-04", "next_review_on": "2026-09-04"}
    )

    agreement = ProcessorAgreement.objects.get(pk=agreement.pk)
    assert (agreement.last_reviewed_on, agreement.review_due_on) == (
        date(2026, 3, 4),
        date(2026, 9, 4),
    )


def test_re_evaluating_a_transfer_records_the_assessment(admin_client, frozen):
    transfer = TransferFactory(tia_outcome="adequate")

    page = admin_client.get(_review_url(transfer))
    assert page.context["form"]["tia_outcome"].value() == "adequate"
    response = admin_client.post(
        _review_url(transfer),
        {
            "reviewed_on": "2026-03-05",
            "tia_outcome": "with_measures",
            "supplementary_measures": "Encryption with keys held in the EU.",
            "next_review_on": "2027-03-05",
        },
    )

    assert response.status_code == 302
    transfer = Transfer.objects.get(pk=transfer.pk)
    assert (transfer.tia_completed_on, transfer.tia_outcome, transfer.next_review_on) == (
        date(2026, 3, 5),
        "with_measures",
        date(2027, 3, 5),
    )
    assert transfer.supplementary_measures == "Encryption with keys held in the EU."


def test_a_new_entry_is_given_its_first_review_date_when_it_is_added(admin_client):
    page = admin_client.get(reverse("admin:processors_processoragreement_add"))
    assert {"last_reviewed_on", "review_due_on"} <= set(page.context["adminform"].form.fields)


def test_an_agreement_added_to_a_processor_on_record_gets_its_first_review_date(admin_client):
    processor = ProcessorWithAgreementFactory()
    on_record = processor.agreements.get()
    url = reverse("admin:processors_processor_change", args=[processor.pk])
    page = admin_client.get(url)
    [inline] = [
        i for i in page.context["inline_admin_formsets"] if i.formset.prefix == "agreements"
    ]
    assert inline.formset.forms[0].fields["review_due_on"].disabled  # recorded by a review

    response = admin_client.post(
        url,
        changeform_data(
            page,
            {
                "agreements-0-review_due_on": "2030-01-01",  # ignored: disabled
                "agreements-TOTAL_FORMS": "2",
                "agreements-1-title": "Renewed DPA",
                "agreements-1-kind": "dpa",
                "agreements-1-signed_on": "2026-03-01",
                "agreements-1-review_due_on": "2027-03-01",
                "agreements-1-subprocessor_authorisation": "general",
                "agreements-1-subprocessor_notice_days": "30",
            },
        ),
    )

    assert response.status_code == 302, form_errors(response)
    renewed = processor.agreements.get(title="Renewed DPA")
    assert renewed.review_due_on == date(2027, 3, 1)
    on_record.refresh_from_db()
    assert on_record.review_due_on != date(2030, 1, 1)


def test_staff_who_may_only_read_are_not_offered_the_step(client, auditor):
    activity = ProcessingActivityFactory()
    client.force_login(auditor)

    assert _review_url(activity) not in client.get(_change_url(activity)).content.decode()
    assert client.get(_review_url(activity)).status_code == 403
