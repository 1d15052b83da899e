"""The letters in the admin: staff's wording of each letter, and every letter written.

LetterTemplateAdmin edits the wording of one kind of letter in one language. The form checks
it with dsr.letters.validate_template (it parses, keeps what the law requires, names only
placeholders there are); the change page shows it rendered over sample values; "Reset to
default" drops the edit so the shipped file applies again. Saving goes through
dsr.services.letters.letter_template_save.

LetterAdmin lists the letters sent (read-only: they are the record of what was said) with
their delivery: emailed, or to be printed and posted when the request has no email address.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import NoReverseMatch, path, reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from core.admin_tools import AccessLogged, AccessLoggedAdminMixin, ReadOnlyAdmin, adopt
from core.choices import OutboxStatus
from dsr import letters, rules
from dsr.admin.display import letter_delivery
from dsr.choices import LetterKind
from dsr.models import Letter, LetterTemplate
from dsr.permissions import CaseVisibilityAdminMixin
from dsr.services.letters import letter_template_reset, letter_template_save
from privacy.choices import Language

# --- Templates ------------------------------------------------------------------------------


class LetterTemplateForm(forms.ModelForm):
    class Meta:
        model = LetterTemplate
        fields = ("kind", "language", "subject", "body")
        widgets = {
            "subject": forms.TextInput(attrs={"class": "vLargeTextField", "size": 90}),
            "body": forms.Textarea(attrs={"class": "vLargeTextField", "rows": 26, "cols": 90}),
        }

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind") or self.instance.kind
        language = cleaned.get("language") or self.instance.language
        subject, body = cleaned.get("subject"), cleaned.get("body")
        if kind and language and subject and body:
            for problem in letters.validate_template(kind, subject, body, language=language):
                self.add_error("body", problem)
        return cleaned


@admin.register(LetterTemplate)
class LetterTemplateAdmin(admin.ModelAdmin):
    form = LetterTemplateForm
    list_display = ("kind", "language", "subject", "updated_at", "updated_by")
    list_filter = ("kind", "language")
    list_select_related = ("updated_by",)
    search_fields = ("subject",)
    ordering = ("kind", "language")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        # A template is one kind in one language; another one is a new template.
        return ("kind", "language", "updated_at", "updated_by")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("kind", "language", "subject", "body")
        return ("kind", "language", "subject", "body", "updated_at", "updated_by")

    def get_urls(self):
        urls = [
            path(
                "<int:pk>/reset/",
                self.admin_site.admin_view(require_POST(self.reset_view)),
                name="dsr_lettertemplate_reset",
            )
        ]
        return urls + super().get_urls()

    def get_changeform_initial_data(self, request):
        """`?kind=refusal&language=sv` starts from the shipped wording of that letter."""
        initial = super().get_changeform_initial_data(request)
        kind, language = initial.get("kind"), initial.get("language")
        if kind in LetterKind.values and language in Language.values:
            subject, body = letters.default_template(kind, language)
            initial.setdefault("subject", subject)
            initial.setdefault("body", body)
        return initial

    def add_view(self, request, form_url="", extra_context=None):
        kind, language = request.GET.get("kind"), request.GET.get("language")
        existing = LetterTemplate.objects.filter(kind=kind, language=language).first()
        if request.method == "GET" and existing is not None:
            # Already edited: open that one instead of a form that cannot be saved.
            return redirect(reverse("admin:dsr_lettertemplate_change", args=[existing.pk]))
        extra_context = {**(extra_context or {}), **self._help_context()}
        if kind in LetterKind.values and language in Language.values:
            subject, body = letters.default_template(kind, language)
            extra_context["preview"] = _preview(kind, language, subject, body)
        return super().add_view(request, form_url, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), **self._help_context()}
        template = self.get_object(request, object_id)
        if template is not None:
            extra_context["preview"] = _preview(
                template.kind, template.language, template.subject, template.body
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "letter_overview": self._overview()}
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change):
        saved = letter_template_save(
            kind=obj.kind,
            language=obj.language,
            subject=obj.subject,
            body=obj.body,
            actor=request.user,
        )
        adopt(obj, saved)

    def reset_view(self, request, pk):
        template = get_object_or_404(LetterTemplate, pk=pk)
        if not self.has_delete_permission(request, template):
            raise PermissionDenied
        label = str(template)
        self.log_deletions(request, LetterTemplate.objects.filter(pk=template.pk))
        letter_template_reset(template=template)
        self.message_user(
            request,
            gettext("%(template)s: the default wording applies again.") % {"template": label},
            messages.SUCCESS,
        )
        return redirect(reverse("admin:dsr_lettertemplate_changelist"))

    def _help_context(self) -> dict:
        return {
            "placeholders": list(letters.PLACEHOLDERS.items()),
            "required_placeholders": {
                str(LetterKind(kind).label): names
                for kind, names in letters.REQUIRED_PLACEHOLDERS.items()
            },
        }

    def _overview(self) -> list[dict]:
        """Each kind of letter, and per language whether staff edited it (one query)."""
        edited = {
            (row.kind, row.language): row
            for row in LetterTemplate.objects.only("pk", "kind", "language", "updated_at")
        }
        return [
            {
                "kind": kind,
                "label": label,
                "languages": [
                    {"code": code, "name": name, "edited": edited.get((kind, code))}
                    for code, name in Language.choices
                ],
            }
            for kind, label in LetterKind.choices
        ]


def _preview(kind: str, language: str, subject: str, body: str) -> dict:
    """The template rendered over sample values, in its language, or why it cannot be."""
    with translation.override(language):
        try:
            rendered = letters.render_text(subject, body, letters.sample_context(kind))
        except Exception as error:  # a row saved past the validation still opens
            return {"error": str(error)}
    return {"subject": rendered.subject, "body": rendered.body}


# --- Letters written ------------------------------------------------------------------------


class DeliveryFilter(admin.SimpleListFilter):
    title = _("delivery")
    parameter_name = "delivery"

    def lookups(self, request, model_admin):
        return (
            ("post", _("By post: to print")),
            ("email", _("By email")),
            ("failed", _("Email failed: to print")),
        )

    def queryset(self, request, queryset):
        match self.value():
            case "post":
                return queryset.filter(outbox__isnull=True)
            case "email":
                return queryset.filter(outbox__isnull=False)
            case "failed":
                return queryset.filter(outbox__status=OutboxStatus.FAILED)
        return queryset


def letter_pdf_url(letter: Letter) -> str:
    return reverse("dsr_staff:letter_pdf", args=[letter.pk])


@admin.register(Letter)
class LetterAdmin(AccessLoggedAdminMixin, CaseVisibilityAdminMixin, ReadOnlyAdmin):
    """What was said to whom and when; nobody adds, changes or deletes a letter here."""

    access_logged = AccessLogged("letter", subject="case.subject_id", case="case.reference")
    case_path = "case"

    list_display = (
        "case_reference",
        "kind",
        "language",
        "created_at",
        "delivery",
        "pdf_link",
    )
    list_filter = (DeliveryFilter, "kind", "language")
    list_select_related = ("case", "outbox")
    search_fields = ("case__reference",)
    search_help_text = _("The reference of the request, or part of it.")
    ordering = ("-created_at", "-pk")
    fields = (
        "case",
        "kind",
        "language",
        "delivery",
        "recipient",
        "subject",
        "body",
        "body_sha256",
        "created_at",
        "created_by",
        "task",
        "pdf_link",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return (
            super().get_queryset(request).select_related("case__submission", "outbox", "created_by")
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["letter_pdf_url"] = letter_pdf_url(obj)
            context["to_print"] = rules.letter_to_print(obj)
            context["postal_address_known"] = bool(obj.case.submission.requester_address.strip())
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.display(description=_("request"), ordering="case__reference")
    def case_reference(self, obj):
        try:
            url = reverse("admin:dsr_dsrcase_change", args=[obj.case_id])
        except NoReverseMatch:
            return obj.case.reference
        return format_html('<a href="{}">{}</a>', url, obj.case.reference)

    @admin.display(description=_("delivery"))
    def delivery(self, obj):
        text = letter_delivery(obj)
        return format_html("<strong>{}</strong>", text) if rules.letter_to_print(obj) else text

    @admin.display(description=_("PDF"))
    def pdf_link(self, obj):
        label = gettext("Print (PDF)") if rules.letter_to_print(obj) else gettext("PDF")
        return format_html('<a href="{}">{}</a>', letter_pdf_url(obj), label)
