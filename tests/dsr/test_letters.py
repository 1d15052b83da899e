"""Letters: the shipped wording in English and Swedish, what staff may edit, the printed PDF and
its download, and the letters' admin."""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone, translation

from core.choices import OutboxStatus
from core.errors import ApplicationError
from core.models import OutboxEmail
from dsr import letters
from dsr.choices import LetterKind
from dsr.letter_pdf import body_blocks, render_letter_pdf
from dsr.models import CaseTask, ExportJob, Letter, LetterTemplate, RetainedData
from dsr.services import intake, transitions
from dsr.services.intake import ReceiptInput, RequestedRight
from dsr.services.letters import letter_send, letter_template_save
from privacy.choices import Language
from tests.factories import (
    AccountingRetentionRuleFactory,
    ControllerProfileFactory,
    DataCategoryFactory,
    DsrCaseFactory,
    SystemFactory,
    UserFactory,
)
from tests.helpers import admin_url, changeform_data, form_errors, messages_of, queries_of_get
from tests.pdf import pdf_text

pytestmark = pytest.mark.django_db

KINDS = list(LetterKind.values)
LANGUAGES = list(Language.values)
REASONS = "Invoices must be kept for seven years under the Swedish Accounting Act."
ADDRESS = "Storgatan 1\n114 51 Stockholm"
# Both rights notice sentences, as the English text says them.
COMPLAINT = "Integritetsskyddsmyndigheten (IMY)"
JUDICIAL_REMEDY = "effective judicial remedy before a court"

# What each kind of letter is sent with (dsr.services.intake, transitions and fulfilment pass
# these).
EXTRA = {
    LetterKind.VERIFICATION: {"verification_url": "https://portal.example/privacy/verify/t0k3n/"},
    LetterKind.IDENTITY_REQUEST: {"explanation": "A copy of the invoice we sent you in May."},
    LetterKind.CLARIFICATION_REQUEST: {"explanation": "Which of your two accounts is meant?"},
    LetterKind.DUPLICATE: {"original_reference": "DSR-2026-000007"},
    LetterKind.COMPLETION: {
        "retained": [{"category": "Invoices", "system": "Billing", "rows": 3, "reason": "BFL 7:2"}],
        "recipients": ["Stripe Payments Europe Ltd"],
    },
    LetterKind.RECIPIENT_NOTICE: {"explanation": "Erase every record of anna.berg@example.org."},
}


@pytest.fixture(autouse=True)
def _controller():
    ControllerProfileFactory(phone="+46 8 123 456 78", website="https://opper.ai")


def case_in(language: str, **fields):
    return DsrCaseFactory(
        submission__language=language,
        extension_reason="Data in eleven systems.",
        extended_due_date=date(2026, 6, 5),
        extension_notified_at="2026-03-06T10:00:00+01:00",
        outcome="A copy of your data is attached.",
        refusal_reasons=REASONS,
        **fields,
    )


def posted_refusal(language: str = "en", *, actor, reasons: str = REASONS) -> Letter:
    """A request made by post (no email): its refusal is printed and posted."""
    submission = intake.submission_receive(
        data=ReceiptInput(
            channel="post",
            rights=[RequestedRight("erasure")],
            requester_name="Anna Berg",
            requester_address=ADDRESS,
            language=language,
        ),
        actor=actor,
    )
    case = submission.cases.get()
    transitions.case_start(case=case, actor=actor)
    transitions.case_refuse(case=case, actor=actor, basis="erasure_exception", reasons=reasons)
    return Letter.objects.get(case=case, kind=LetterKind.REFUSAL)


# --- The shipped wording --------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_every_letter_has_a_valid_default_in_every_language(kind, language):
    path = letters.DEFAULTS_DIR / language / f"{kind}.txt"
    assert path.is_file(), f"missing {path}"

    subject, body = letters.default_template(kind, language)

    assert subject and "\n" not in subject
    with translation.override(language):
        assert letters.validate_template(kind, subject, body) == []
    for name in letters.REQUIRED_PLACEHOLDERS.get(kind, ()):
        assert "{{ " + name + " }}" in body


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_status_link_is_shown_only_when_there_is_one(language):
    for kind in KINDS:
        _subject, body = letters.default_template(kind, language)
        for line in body.splitlines():
            if "{{ status_url }}" in line:
                assert "{% if status_url %}" in body
                assert body.index("{% if status_url %}") < body.index("{{ status_url }}")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_defaults_render_with_an_empty_context(kind, language):
    subject, body = letters.default_template(kind, language)

    rendered = letters.render_text(subject, body, {})

    assert rendered.subject
    assert "{{" not in rendered.body and "{%" not in rendered.body
    assert "\n\n\n" not in rendered.body


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_defaults_render_extreme_values_as_they_are(kind, language):
    long_text = "Ω<script>&{{ reasons }}{% debug %} " * 400
    context = {name: long_text for name in letters.PLACEHOLDERS}
    context.update(
        references=[f"DSR-2026-{n:06d}" for n in range(1, 60)],
        rights=["Åtkomst"] * 60,
        requests=[{"reference": f"DSR-2026-{n:06d}", "right": "Radering"} for n in range(60)],
        retained=[{"category": "Fakturor", "reason": "BFL", "until": ""}] * 300,
        recipients=["Ä" * 300] * 50,
        right_code="access",
    )
    subject, body = letters.default_template(kind, language)

    rendered = letters.render_text(subject, body, context)

    # Values are printed, never rendered as template code (nor escaped: this is plain text).
    assert rendered.body.count("{% debug %}") >= 1
    assert "<script>" in rendered.body


def test_every_placeholder_is_documented_and_sampled(frozen):
    case = DsrCaseFactory()
    documented = set(letters.PLACEHOLDERS)

    assert set(letters.case_context(case)) == documented
    for kind in KINDS:
        assert set(letters.sample_context(kind)) == documented


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_each_letter_renders_for_a_case(frozen, kind, language):
    case = case_in(language)

    rendered = letters.render(kind, case, EXTRA.get(kind))

    text = rendered.subject + "\n" + rendered.body
    assert case.reference in text
    assert "{{" not in text and "{%" not in text
    signature = {"en": "Kind regards,", "sv": "Vänliga hälsningar"}[language]
    assert signature in rendered.body
    assert "Opper Technology AB\nsupport@opper.ai" in rendered.body
    if kind != LetterKind.RECIPIENT_NOTICE:
        greeting = {"en": "Hello Anna Berg,", "sv": "Hej Anna Berg!"}[language]
        assert greeting in rendered.body
    for value in (EXTRA.get(kind) or {}).values():
        if isinstance(value, str):
            assert value in rendered.body


def test_dates_follow_the_letter_language(frozen):
    english = letters.render(LetterKind.EXTENSION, case_in("en"))
    swedish = letters.render(LetterKind.EXTENSION, case_in("sv"))

    assert "June 5, 2026" in english.body
    assert "5 juni 2026" in swedish.body
    assert "March 5, 2026" in english.body and "5 mars 2026" in swedish.body


def test_a_swedish_completion_dates_what_was_kept_in_swedish(frozen, privacy_officer):
    # An English-speaking officer answers a Swedish request: the letter's dates are Swedish.
    case = DsrCaseFactory(
        submission__language="sv",
        submission__status_token="status-token",
        right="erasure",
        status="in_progress",
    )
    task = CaseTask.objects.create(
        case=case, kind="system", system=SystemFactory(name="Billing"), status="done"
    )
    RetainedData.objects.create(
        case=case,
        task=task,
        data_category=DataCategoryFactory(name="Fakturor"),
        retention_rule=AccountingRetentionRuleFactory(),
        rows=12,
        retained_until=date(2034, 12, 31),
    )
    ExportJob.objects.create(
        case=case,
        status="ready",
        finished_at=timezone.now(),
        expires_at=datetime(2026, 4, 19, 12, tzinfo=ZoneInfo("Europe/Stockholm")),
    )

    with translation.override("en"):
        transitions.case_complete(case=case, actor=privacy_officer, outcome="Raderat.")

    body = Letter.objects.get(case=case, kind=LetterKind.COMPLETION).body
    assert "- Fakturor: Bokföringslagen (1999:1078) 7 kap. 2 §, sparas till och med " in body
    assert "sparas till och med 31 december 2034" in body
    assert "till och med 19 april 2026." in body
    assert "Dec. 31, 2034" not in body and "April 19, 2026" not in body


def test_the_acknowledgement_lists_each_right_with_its_reference(frozen):
    submission = intake.submission_receive(
        data=ReceiptInput(
            channel="email",
            rights=[RequestedRight("access"), RequestedRight("erasure")],
            requester_email="anna.berg@example.org",
            requester_name="Anna Berg",
        )
    )
    first, second = submission.cases.order_by("pk")

    body = Letter.objects.get(kind=LetterKind.ACKNOWLEDGEMENT).body

    assert f"- Access (Art. 15): reference {first.reference}" in body
    assert f"- Erasure (Art. 17): reference {second.reference}" in body
    assert "Article 12(3) GDPR" in body
    assert "status_url" not in body  # no placeholder left unfilled
    assert f"You can follow your request here: {submission.status_url}" in body


def test_the_completion_cites_articles_15_17_3_and_19(frozen):
    access = letters.render(LetterKind.COMPLETION, case_in("en", right="access"))
    erasure = letters.render(
        LetterKind.COMPLETION, case_in("en", right="erasure"), EXTRA[LetterKind.COMPLETION]
    )

    assert "Article 15 GDPR" in access.body and "Article 17(3)" not in access.body
    assert "Article 15 GDPR" not in erasure.body
    assert "- Invoices: BFL 7:2" in erasure.body and "Article 17(3) GDPR" in erasure.body
    assert "(Article 19 GDPR): Stripe Payments Europe Ltd." in erasure.body
    assert JUDICIAL_REMEDY in access.body


def test_a_status_link_appears_when_given(frozen):
    case = case_in("sv")
    url = "https://portal.example/privacy/status/abc/"

    with_link = letters.render(LetterKind.ACKNOWLEDGEMENT, case, {"status_url": url})

    assert f"Här kan du följa ditt ärende: {url}" in with_link.body


# --- Refusals -------------------------------------------------------------------------------


def test_a_refusal_states_reasons_and_both_rights(frozen, privacy_officer):
    letter = posted_refusal(actor=privacy_officer)

    assert REASONS in letter.body
    assert COMPLAINT in letter.body and "https://www.imy.se" in letter.body
    assert JUDICIAL_REMEDY in letter.body


def test_a_swedish_refusal_is_in_swedish(frozen, privacy_officer):
    letter = posted_refusal("sv", actor=privacy_officer, reasons="Fakturor sparas i sju år.")

    assert letter.language == "sv"
    assert letter.subject.startswith("Vårt svar på din begäran DSR-2026-")
    assert "Hej Anna Berg!" in letter.body
    assert "Vi kan inte tillmötesgå den, av följande skäl:\n\nFakturor sparas i sju år." in (
        letter.body
    )
    assert "Integritetsskyddsmyndigheten" in letter.body
    assert "5 mars 2026" in letter.body
    with translation.override("sv"):
        assert letters.rights_notice() in letter.body


def test_the_swedish_rights_notice_names_the_judicial_remedy():
    with translation.override("sv"):
        notice = letters.rights_notice()
    assert "rätt att få ett effektivt rättsmedel vid domstol" in notice
    assert "Integritetsskyddsmyndigheten" in notice


def test_an_edited_refusal_keeps_the_reasons_and_rights(frozen, privacy_officer):
    letter_template_save(
        kind=LetterKind.REFUSAL,
        language="en",
        subject="Decision on {{ reference }}",
        body="Dear {{ requester_name }},\n\nNo, because:\n{{ reasons }}\n\n{{ rights_notice }}\n",
        actor=privacy_officer,
    )

    letter = posted_refusal(actor=privacy_officer)

    assert letter.subject.startswith("Decision on DSR-2026-")
    assert letter.body.startswith("Dear Anna Berg,\n\nNo, because:\n" + REASONS)
    assert COMPLAINT in letter.body and JUDICIAL_REMEDY in letter.body


@pytest.mark.parametrize(
    "body",
    [
        "Hello {{ requester_name }}.\n\n{{ rights_notice }}",
        "Hello.\n\n{{ reasons }}",
        "{% if right_code == 'access' %}{{ reasons }} {{ rights_notice }}{% endif %}No.",
        "No. {# {{ reasons }} {{ rights_notice }} #}",
        "{% if x %}",
        '{% include "missing.txt" %}{{ reasons }} {{ rights_notice }}',
    ],
    ids=[
        "no reasons",
        "no rights",
        "hidden by a condition",
        "in a comment",
        "does not parse",
        "fails to render",
    ],
)
def test_a_refusal_template_that_drops_what_the_law_requires_is_never_used(
    frozen, privacy_officer, body
):
    # Saved past the validation (an old row, a raw SQL edit): the default wording is used.
    LetterTemplate.objects.create(kind=LetterKind.REFUSAL, language="en", subject="X", body=body)

    letter = posted_refusal(actor=privacy_officer)

    assert letter.subject.startswith("Our answer to your request")
    assert REASONS in letter.body and COMPLAINT in letter.body and JUDICIAL_REMEDY in letter.body


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("No.\n\n{{ rights_notice }}", "must contain {{ reasons }}"),
        ("No: {{ reasons }}", "must contain {{ rights_notice }}"),
        ("{% comment %}{{ reasons }}{% endcomment %}{{ rights_notice }}", "must always show"),
        ("{{ reasons }} {{ rights_notice }} {{ reasosn }}", "no placeholder {{ reasosn }}"),
        ('{% include "x.txt" %}{{ reasons }} {{ rights_notice }}', "cannot use {% include %}"),
        ("{% debug %}{{ reasons }} {{ rights_notice }}", "cannot use {% debug %}"),
        ("{% if reasons %}{{ reasons }} {{ rights_notice }}", "does not parse"),
    ],
)
def test_validation_refuses_templates_that_lose_what_they_must_say(privacy_officer, body, message):
    assert any(message in problem for problem in letters.validate_template("refusal", "S", body))
    with pytest.raises(ApplicationError, match=re.escape(message)):
        letter_template_save(
            kind="refusal", language="en", subject="S", body=body, actor=privacy_officer
        )
    assert not LetterTemplate.objects.exists()


def test_saving_a_template_replaces_the_earlier_edit(privacy_officer, manager):
    first = letter_template_save(
        kind="withdrawal", language="sv", subject="A", body="Ett.\r\n", actor=privacy_officer
    )
    second = letter_template_save(
        kind="withdrawal", language="sv", subject=" B\n ", body="Två.\r\nTre.", actor=manager
    )

    assert second.pk == first.pk
    second.refresh_from_db()
    assert (second.subject, second.body, second.updated_by) == ("B", "Två.\nTre.\n", manager)


# --- The PDF --------------------------------------------------------------------------------


def test_body_blocks_make_paragraphs_and_lists():
    blocks = body_blocks("Hello,\n\nKept:\n- Invoices\n- Payments\n\nKind regards,\nOpper AB\n")

    assert [(b.kind, b.lines) for b in blocks] == [
        ("p", ["Hello,"]),
        ("p", ["Kept:"]),
        ("ul", ["Invoices", "Payments"]),
        ("p", ["Kind regards,", "Opper AB"]),
    ]


def test_a_posted_letter_prints_as_a_business_letter(frozen, privacy_officer):
    letter = posted_refusal(actor=privacy_officer)

    content = render_letter_pdf(letter)

    assert content.startswith(b"%PDF-")
    text = pdf_text(content)
    assert "Opper Technology AB" in text and "Västerängsvägen 51 A" in text
    assert "Our reference " + letter.case.reference in text
    assert "March 5, 2026" in text
    assert letter.subject in text
    assert REASONS in text
    assert "judicial remedy before a court" in text
    assert "".join(f"SHA-256 of the text: {letter.body_sha256}".split()) in "".join(text.split())
    assert "Page 1 of 1" in text
    # The address field sits in the window of a right-window envelope: 105 mm from the left,
    # 45 mm from the top, 85 x 38 mm.
    window = pdf_text(content, crop_mm=(105, 45, 85, 38))
    assert "Anna Berg Storgatan 1 114 51 Stockholm" in window
    assert REASONS not in window and "Our reference" not in window


def test_a_swedish_letter_prints_in_swedish(frozen, privacy_officer):
    letter = posted_refusal("sv", actor=privacy_officer)

    text = pdf_text(render_letter_pdf(letter))

    assert "5 mars 2026" in text
    assert "Vårt svar på din begäran" in text
    assert "Sida 1 av 1" in text


def test_an_emailed_letter_prints_with_its_address(frozen):
    case = case_in("en")
    letter = letter_send(case=case, kind=LetterKind.WITHDRAWAL)

    text = pdf_text(render_letter_pdf(letter))

    assert "Sent by email to anna.berg@example.org" in text
    assert "Anna Berg" in pdf_text(render_letter_pdf(letter), crop_mm=(105, 45, 85, 38))


# --- The download ---------------------------------------------------------------------------


def pdf_url(letter: Letter) -> str:
    return reverse("dsr_staff:letter_pdf", args=[letter.pk])


def test_staff_download_a_letter_as_pdf(frozen, privacy_officer, admin_client):
    letter = posted_refusal(actor=privacy_officer)

    response = admin_client.get(pdf_url(letter))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="{letter.case.reference}-refusal-2026-03-05.pdf"'
    )
    assert "no-store" in response["Cache-Control"]
    assert REASONS in pdf_text(response.content)


def test_anonymous_visitors_are_sent_to_the_login(frozen, privacy_officer, client):
    response = client.get(pdf_url(posted_refusal(actor=privacy_officer)))

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=")


def test_staff_need_the_view_permission_on_letters(frozen, privacy_officer, client):
    letter = posted_refusal(actor=privacy_officer)
    clerk = UserFactory(username="clerk")
    client.force_login(clerk)

    assert client.get(pdf_url(letter)).status_code == 403

    clerk.user_permissions.add(Permission.objects.get(codename="view_letter"))
    client.force_login(type(clerk).objects.get(pk=clerk.pk))
    assert client.get(pdf_url(letter)).status_code == 200
    assert client.post(pdf_url(letter)).status_code == 405


def test_an_unknown_letter_is_not_found(admin_client):
    assert admin_client.get("/admin/dsr-documents/letters/999999.pdf").status_code == 404


# --- The template admin ---------------------------------------------------------------------


def add_url(**params) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return admin_url(LetterTemplate, "add") + (f"?{query}" if query else "")


def test_the_add_form_starts_from_the_default_wording(admin_client):
    response = admin_client.get(add_url(kind="refusal", language="sv"))

    assert response.status_code == 200
    form = response.context["adminform"].form
    subject, body = letters.default_template("refusal", "sv")
    assert form.initial["subject"] == subject and form.initial["body"] == body
    assert "Hej Anna Berg!" in response.context["preview"]["body"]
    assert "{{ rights_notice }}" in response.content.decode()  # the placeholder list


def test_a_template_without_a_required_placeholder_is_a_form_error(admin_client):
    page = admin_client.get(add_url(kind="refusal", language="en"))
    data = changeform_data(page, {"body": "Sorry, no.\n\n{{ rights_notice }}"})

    response = admin_client.post(add_url(kind="refusal", language="en"), data)

    assert any("must contain {{ reasons }}" in error for error in form_errors(response))
    assert not LetterTemplate.objects.exists()


def test_a_template_that_does_not_parse_is_a_form_error(admin_client):
    page = admin_client.get(add_url(kind="completion", language="en"))
    data = changeform_data(page, {"subject": "Done {% if %}"})

    response = admin_client.post(add_url(kind="completion", language="en"), data)

    assert any("does not parse" in error for error in form_errors(response))


def test_staff_customise_a_letter_and_preview_it(admin_client, superuser):
    page = admin_client.get(add_url(kind="extension", language="en"))
    body = (
        page.context["adminform"]
        .form.initial["body"]
        .replace("We are working on it", "Thank you for your patience")
    )

    response = admin_client.post(
        add_url(kind="extension", language="en"), changeform_data(page, {"body": body})
    )

    assert response.status_code == 302, form_errors(response)
    template = LetterTemplate.objects.get()
    assert template.updated_by == superuser
    assert "Thank you for your patience" in template.body
    change_page = admin_client.get(admin_url(LetterTemplate, "change", template.pk))
    preview = change_page.context["preview"]
    assert "Thank you for your patience" in preview["body"]
    assert "DSR-2026-000123" in preview["subject"]
    assert "Thank you for your patience" in change_page.content.decode()
    # Asking for the same letter again opens the customised one.
    again = admin_client.get(add_url(kind="extension", language="en"))
    assert again.status_code == 302
    assert again["Location"] == admin_url(LetterTemplate, "change", template.pk)


def test_editing_checks_the_letter_kind_of_the_row(admin_client, superuser):
    template = letter_template_save(
        kind="refusal",
        language="sv",
        subject="Svar {{ reference }}",
        body="{{ reasons }}\n\n{{ rights_notice }}",
        actor=superuser,
    )
    url = admin_url(LetterTemplate, "change", template.pk)
    page = admin_client.get(url)

    response = admin_client.post(url, changeform_data(page, {"body": "Nej."}))

    assert any("must contain {{ reasons }}" in error for error in form_errors(response))
    template.refresh_from_db()
    assert template.body.startswith("{{ reasons }}")


def test_reset_brings_back_the_default(admin_client, superuser):
    template = letter_template_save(
        kind="withdrawal", language="en", subject="Gone", body="Gone.", actor=superuser
    )
    reset_url = reverse("admin:dsr_lettertemplate_reset", args=[template.pk])
    change_page = admin_client.get(admin_url(LetterTemplate, "change", template.pk))
    assert reset_url in change_page.content.decode()

    assert admin_client.get(reset_url).status_code == 405
    response = admin_client.post(reset_url, follow=True)

    assert not LetterTemplate.objects.exists()
    assert messages_of(response) == [
        "Withdrawal confirmation (en): the default wording applies again."
    ]
    case = DsrCaseFactory()
    assert letters.render("withdrawal", case).subject.startswith("Your request")


def test_a_broken_saved_template_still_opens_in_the_admin(admin_client):
    template = LetterTemplate.objects.create(
        kind="withdrawal", language="en", subject="S", body='{% include "missing.txt" %}'
    )

    page = admin_client.get(admin_url(LetterTemplate, "change", template.pk))

    assert page.status_code == 200
    assert "missing.txt" in page.context["preview"]["error"]


def test_reset_needs_the_delete_permission(client, superuser):
    template = letter_template_save(
        kind="withdrawal", language="en", subject="Gone", body="Gone.", actor=superuser
    )
    editor = UserFactory(username="editor")
    editor.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_lettertemplate", "change_lettertemplate"])
    )
    client.force_login(editor)

    response = client.post(reverse("admin:dsr_lettertemplate_reset", args=[template.pk]))

    assert response.status_code == 403
    assert LetterTemplate.objects.filter(pk=template.pk).exists()


def test_the_template_list_shows_every_letter_and_stays_flat(admin_client, superuser):
    url = admin_url(LetterTemplate)
    few = queries_of_get(admin_client, url)
    for kind in ("refusal", "completion", "extension"):
        for language in LANGUAGES:
            letter_template_save(
                kind=kind,
                language=language,
                subject="S {{ reference }}",
                body=" ".join("{{ " + n + " }}" for n in letters.PLACEHOLDERS),
                actor=superuser,
            )

    assert queries_of_get(admin_client, url) == few
    response = admin_client.get(url)
    overview = response.context["letter_overview"]
    assert [row["kind"] for row in overview] == KINDS
    refusal = next(row for row in overview if row["kind"] == "refusal")
    assert all(language["edited"] for language in refusal["languages"])
    assert "?kind=acknowledgement&amp;language=sv" in response.content.decode()


# --- The letters admin ----------------------------------------------------------------------


def test_letters_are_read_only(frozen, privacy_officer, admin_client):
    letter = posted_refusal(actor=privacy_officer)
    change_url = admin_url(Letter, "change", letter.pk)

    assert admin_client.get(admin_url(Letter, "add")).status_code == 403
    assert admin_client.post(change_url, {"subject": "Changed"}).status_code == 403
    assert admin_client.get(admin_url(Letter, "delete", letter.pk)).status_code == 403
    page = admin_client.get(change_url)
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    content = page.content.decode()
    assert pdf_url(letter) in content
    assert "print the PDF and send it by post" in content
    letter.refresh_from_db()
    assert letter.subject.startswith("Our answer")


def test_a_letter_to_print_without_a_postal_address_says_so(frozen, admin_client):
    case = case_in("en", submission__requester_email="", submission__channel="phone")
    letter = letter_send(case=case, kind=LetterKind.WITHDRAWAL)

    page = admin_client.get(admin_url(Letter, "change", letter.pk))

    assert "the request has no postal address" in page.content.decode()


def test_the_letter_list_shows_delivery_and_finds_by_reference(
    frozen, privacy_officer, admin_client
):
    posted = posted_refusal(actor=privacy_officer)
    emailed = letter_send(case=case_in("en"), kind=LetterKind.WITHDRAWAL)
    OutboxEmail.objects.filter(pk=emailed.outbox_id).update(status=OutboxStatus.SENT)

    response = admin_client.get(admin_url(Letter))

    content = response.content.decode()
    assert "By post: print and send" in content and "Email: Sent" in content
    assert pdf_url(posted) in content and pdf_url(emailed) in content
    found = admin_client.get(admin_url(Letter), {"q": posted.case.reference})
    assert list(found.context["cl"].result_list) == [posted]
    to_print = admin_client.get(admin_url(Letter), {"delivery": "post"})
    assert list(to_print.context["cl"].result_list) == [posted]


def test_the_letter_list_stays_flat(frozen, admin_client):
    url = admin_url(Letter)
    letter_send(case=case_in("en"), kind=LetterKind.WITHDRAWAL)
    few = queries_of_get(admin_client, url)
    for _ in range(5):
        letter_send(case=case_in("sv"), kind=LetterKind.ACKNOWLEDGEMENT)

    assert queries_of_get(admin_client, url) == few
