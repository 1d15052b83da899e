"""Admin for recipients, their contracts and third-country transfers.

The relations between the register and processors live here (Processor.processing_activities,
Transfer.processing_activities, Processor.hosted_systems), so the privacy admin's pages for
activities, systems and data categories are re-registered with inlines for them.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.admin_steps import ObjectStepsMixin
from core.admin_tools import (
    AUDIT_FIELDS,
    AUDIT_FIELDSET,
    URL_FIELDS_HTTPS,
    adopt,
    call_service,
    review_due_filter,
)
from core.errors import ApplicationError
from privacy import admin as privacy_admin
from processors import rules, selectors, services
from processors.choices import SubprocessorDecision
from processors.forms import TransferReviewForm
from processors.models import (
    Country,
    Processor,
    ProcessorAgreement,
    SubprocessorChange,
    Transfer,
)

AGREEMENT_KINDS = [str(kind) for kind in rules.AGREEMENT_KINDS_FOR_PROCESSORS]

# Art. 28(3)(a)-(h): each term with the clause that contains it, side by side.
ART_28_FIELDS = tuple((item, f"{item}_clause") for item in ProcessorAgreement.ART_28_ITEMS)

AGREEMENT_REVIEW_FIELDS = ("last_reviewed_on", "review_due_on")
AGREEMENT_FIELDSETS = (
    (None, {"fields": ("title", "kind", ("signed_on", "ends_on"), "document")}),
    (
        _("Art. 28(3) checklist"),
        {
            "fields": ART_28_FIELDS,
            "description": _("Tick each term the contract has and note the clause."),
        },
    ),
    (
        _("Sub-processors (Art. 28(2))"),
        {"fields": ("subprocessor_authorisation", "subprocessor_notice_days")},
    ),
    (_("Review"), {"fields": (("last_reviewed_on", "review_due_on"), "notes")}),
)


# --- Countries ------------------------------------------------------------------------------


@admin.register(Country)
class CountryAdmin(admin.ModelAdmin):
    """Seeded with every ISO country; adequacy decisions change, so rows are edited, never
    deleted (transfers point at them)."""

    list_display = ("name", "code", "is_eea", "adequacy", "adequacy_decision", "adequacy_date")
    list_filter = ("is_eea", "adequacy")
    search_fields = ("name", "code")
    fields = ("code", "name", "is_eea", "adequacy", "adequacy_decision", "adequacy_date", "notes")

    def get_readonly_fields(self, request, obj=None):
        # The code is the primary key: changing it would make a second country.
        return ("code",) if obj is not None else ()

    def has_delete_permission(self, request, obj=None):
        return False


# --- Processors and their agreements --------------------------------------------------------


class ProcessorAgreementFormSet(forms.BaseInlineFormSet):
    """Art. 28(3): a processor or sub-processor has a signed DPA (or the 2021/915 clauses)."""

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        if form.instance.pk is not None:
            # Reviews of an agreement on record are recorded on its own page ("Record a
            # review"); a new agreement, added here, is given its first review date here.
            for name in AGREEMENT_REVIEW_FIELDS:
                if name in form.fields:
                    form.fields[name].disabled = True
                    form.fields[name].help_text = _(
                        "Recorded on the agreement's page, with “Record a review”."
                    )
        return form

    def clean(self):
        super().clean()
        if any(self.errors) or not rules.role_needs_agreement(self.instance.role):
            return
        for form in self.forms:
            if not form.cleaned_data or self._should_delete_form(form):
                continue
            data = form.cleaned_data
            if rules.agreement_qualifies(data.get("kind"), data.get("signed_on")):
                return
        raise ValidationError(
            _(
                "A processor or sub-processor needs a signed data processing agreement "
                "(Art. 28(3)) or the standard contractual clauses 2021/915: add it below with the "
                "date it was signed. Independent and joint controllers need none."
            )
        )


class ProcessorAgreementInline(admin.StackedInline):
    model = ProcessorAgreement
    formset = ProcessorAgreementFormSet
    fieldsets = AGREEMENT_FIELDSETS
    show_change_link = True

    def get_extra(self, request, obj=None, **kwargs):
        # A new processor comes with its agreement; existing ones add with "Add another".
        return 1 if obj is None else 0


class MissingAgreementFilter(admin.SimpleListFilter):
    title = _("missing agreement")
    parameter_name = "missing_agreement"

    def lookups(self, request, model_admin):
        return (("yes", _("Missing a signed agreement")), ("no", _("In order")))

    def queryset(self, request, queryset):
        missing = selectors.processors_missing_agreement().values("pk")
        if self.value() == "yes":
            return queryset.filter(pk__in=missing)
        if self.value() == "no":
            return queryset.exclude(pk__in=missing)
        return queryset


@admin.register(Processor)
class ProcessorAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "role",
        "country",
        "dpf",
        "agreement_status",
        "engaged_by",
        "is_active",
    )
    list_filter = (
        "role",
        # Only the countries in use, not all 249.
        ("country", admin.RelatedOnlyFieldListFilter),
        "dpf_certified",
        "is_active",
        MissingAgreementFilter,
    )
    list_select_related = ("country", "parent")
    search_fields = ("name", "legal_entity", "registration_number")
    autocomplete_fields = ("country", "parent")
    filter_horizontal = ("data_categories", "processing_activities", "hosted_systems")
    formfield_overrides = URL_FIELDS_HTTPS
    readonly_fields = AUDIT_FIELDS
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "name",
                    "legal_entity",
                    "registration_number",
                    "country",
                    ("role", "parent"),
                    "is_active",
                )
            },
        ),
        (
            _("Services and public list"),
            {"fields": ("services", "public_purpose", "public_purpose_sv", "listed_publicly")},
        ),
        (
            _("What it receives"),
            {"fields": ("data_categories", "processing_activities", "hosted_systems")},
        ),
        (_("EU-US Data Privacy Framework"), {"fields": (("dpf_certified", "dpf_checked_on"),)}),
        (_("Contact"), {"fields": ("privacy_contact", "privacy_policy_url", "website", "notes")}),
        AUDIT_FIELDSET,
    )
    inlines = (ProcessorAgreementInline,)

    def get_queryset(self, request):
        signed = ProcessorAgreement.objects.filter(
            processor=OuterRef("pk"), kind__in=AGREEMENT_KINDS, signed_on__isnull=False
        )
        return super().get_queryset(request).annotate(has_signed_agreement=Exists(signed))

    @admin.display(description=_("DPF"), boolean=True, ordering="dpf_certified")
    def dpf(self, obj):
        return obj.dpf_certified

    @admin.display(description=_("engaged by"), ordering="parent__name")
    def engaged_by(self, obj):
        return obj.parent.name if obj.parent_id else "-"

    @admin.display(description=_("agreement"), ordering="has_signed_agreement")
    def agreement_status(self, obj):
        if not rules.role_needs_agreement(obj.role):
            return _("Not required")
        return _("Signed") if obj.has_signed_agreement else _("Missing")


class ProcessorAgreementForm(forms.ModelForm):
    class Meta:
        model = ProcessorAgreement
        fields = ("processor", "title", "kind", "signed_on", "ends_on", "document")

    def clean(self):
        cleaned = super().clean()
        # self.instance still holds the saved values here (the form fills it in afterwards).
        try:
            services.agreement_check_change(
                agreement=self.instance,
                processor=cleaned.get("processor"),
                kind=cleaned.get("kind"),
                signed_on=cleaned.get("signed_on"),
            )
        except ApplicationError as error:
            raise ValidationError(error.message) from error
        return cleaned


@admin.register(ProcessorAgreement)
class ProcessorAgreementAdmin(ObjectStepsMixin, admin.ModelAdmin):
    """An agreement's review dates are set when it is added, then only by recording a review."""

    object_steps = (
        privacy_admin.review_step(
            lambda agreement, data: services.agreement_review_complete(
                agreement=agreement,
                reviewed_on=data["reviewed_on"],
                next_review_on=data["next_review_on"],
            )
        ),
    )
    form = ProcessorAgreementForm
    list_display = (
        "title",
        "processor",
        "kind",
        "signed_on",
        "ends_on",
        "review_due_on",
        "missing_terms",
    )
    list_filter = (review_due_filter("review_due_on"), "kind", "subprocessor_authorisation")
    list_select_related = ("processor",)
    search_fields = ("title", "processor__name")
    autocomplete_fields = ("processor",)
    readonly_fields = AUDIT_FIELDS
    fieldsets = (
        (None, {"fields": ("processor",)}),
        *AGREEMENT_FIELDSETS,
        AUDIT_FIELDSET,
    )

    def get_actions(self, request):
        # Deleting goes one agreement at a time through the service, which refuses to leave a
        # processor without its agreement.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ApplicationError as error:
            self.message_user(request, error.message, messages.ERROR)
            return redirect(reverse("admin:processors_processoragreement_change", args=[object_id]))

    def delete_model(self, request, obj):
        services.agreement_remove(agreement=obj)

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return fields if obj is None else (*fields, *AGREEMENT_REVIEW_FIELDS)

    @admin.display(description=_("missing Art. 28(3) terms"))
    def missing_terms(self, obj):
        return ", ".join(obj.art28_missing) or _("None")


# --- Sub-processor changes ------------------------------------------------------------------


class DecisionFilter(admin.SimpleListFilter):
    """Opens on the work queue: changes still waiting for our decision."""

    title = _("decision")
    parameter_name = "decision"

    def lookups(self, request, model_admin):
        return (*SubprocessorDecision.choices, ("all", _("All")))

    def value(self):
        return super().value() or SubprocessorDecision.PENDING

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        if self.value() == "all":
            return queryset
        return queryset.filter(decision=self.value())


class SubprocessorChangeForm(forms.ModelForm):
    class Meta:
        model = SubprocessorChange
        fields = (
            "processor",
            "subprocessor",
            "subprocessor_name",
            "change_type",
            "description",
            "announced_on",
            "decision_notes",
        )

    def clean(self):
        cleaned = super().clean()
        processor, announced_on = cleaned.get("processor"), cleaned.get("announced_on")
        if self.instance.pk is None and processor and announced_on:
            # The deadline comes from the processor's agreement; without one there is none.
            try:
                self.instance.objection_deadline = services.objection_deadline(
                    processor=processor, announced_on=announced_on
                )
            except ApplicationError as error:
                self.add_error("processor", error.message)
        return cleaned


@admin.register(SubprocessorChange)
class SubprocessorChangeAdmin(admin.ModelAdmin):
    """Announced sub-processor changes and our answer within the objection period (28(2))."""

    form = SubprocessorChangeForm
    list_display = (
        "processor",
        "change_type",
        "subprocessor_label",
        "announced_on",
        "objection_deadline",
        "decision",
        "decided_on",
    )
    list_filter = (DecisionFilter, "change_type")
    list_select_related = ("processor", "subprocessor")
    search_fields = ("processor__name", "subprocessor__name", "subprocessor_name")
    autocomplete_fields = ("processor", "subprocessor")
    ordering = ("objection_deadline", "pk")
    actions = ("accept", "object_to")
    add_fieldsets = (
        (None, {"fields": ("processor", "change_type", "announced_on")}),
        (_("Sub-processor"), {"fields": ("subprocessor", "subprocessor_name", "description")}),
    )
    fieldsets = (
        (
            None,
            {"fields": ("processor", "change_type", "announced_on", "objection_deadline")},
        ),
        (_("Sub-processor"), {"fields": ("subprocessor", "subprocessor_name", "description")}),
        (
            _("Decision"),
            {
                "fields": ("decision", ("decided_on", "decided_by"), "decision_notes"),
                "description": _(
                    "Write the reasons, then accept or object; an objection states its reasons."
                ),
            },
        ),
        AUDIT_FIELDSET,
    )

    def get_fieldsets(self, request, obj=None):
        return self.add_fieldsets if obj is None else self.fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        # The deadline was counted from these; the decision is made with the buttons.
        return (
            "processor",
            "announced_on",
            "objection_deadline",
            "decision",
            "decided_on",
            "decided_by",
            *AUDIT_FIELDS,
        )

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.decision != SubprocessorDecision.PENDING:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        # A decision is the record of our answer (Art. 28(2)); a mistaken entry may go before.
        if obj is not None and obj.decision != SubprocessorDecision.PENDING:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        created = services.subprocessor_change_record(
            processor=obj.processor,
            announced_on=obj.announced_on,
            change_type=obj.change_type,
            subprocessor=obj.subprocessor,
            subprocessor_name=obj.subprocessor_name,
            description=obj.description,
        )
        adopt(obj, created)

    def response_change(self, request, obj):
        for button, decision in (
            ("_accept", SubprocessorDecision.ACCEPTED),
            ("_object", SubprocessorDecision.OBJECTED),
        ):
            if button in request.POST:
                self._decide(request, obj, decision)
                return redirect(
                    reverse("admin:processors_subprocessorchange_change", args=[obj.pk])
                )
        return super().response_change(request, obj)

    def _decide(self, request, change, decision) -> None:
        decided = call_service(
            self,
            request,
            services.subprocessor_change_decide,
            change=change,
            decision=decision,
            decided_by=request.user,
            notes=change.decision_notes,
        )
        if decided is not None:
            self.message_user(
                request,
                _("%(change)s: %(decision)s.")
                % {"change": decided, "decision": decided.get_decision_display().lower()},
                messages.SUCCESS,
            )

    @admin.display(description=_("sub-processor"), ordering="subprocessor_name")
    def subprocessor_label(self, obj):
        return obj.subprocessor.name if obj.subprocessor_id else obj.subprocessor_name

    @admin.action(description=_("Accept the selected changes"), permissions=["change"])
    def accept(self, request, queryset):
        for change in queryset:
            self._decide(request, change, SubprocessorDecision.ACCEPTED)

    @admin.action(
        description=_("Object to the selected changes (uses each one's reasons)"),
        permissions=["change"],
    )
    def object_to(self, request, queryset):
        for change in queryset:
            self._decide(request, change, SubprocessorDecision.OBJECTED)


# --- Transfers ------------------------------------------------------------------------------


TRANSFER_REVIEW_FIELDS = ("tia_completed_on", "tia_outcome", "next_review_on")


@admin.register(Transfer)
class TransferAdmin(ObjectStepsMixin, admin.ModelAdmin):
    """Chapter V transfers; Transfer.clean() checks that the mechanism fits the destination.
    The transfer impact assessment is recorded when the transfer is added, then only by
    recording its re-evaluation."""

    object_steps = (
        privacy_admin.review_step(
            lambda transfer, data: services.transfer_review_complete(
                transfer=transfer,
                tia_completed_on=data["reviewed_on"],
                tia_outcome=data["tia_outcome"],
                supplementary_measures=data["supplementary_measures"].strip() or None,
                next_review_on=data["next_review_on"],
            ),
            form_class=TransferReviewForm,
            form_kwargs=lambda transfer, request: {
                "initial": {"tia_outcome": transfer.tia_outcome}
            },
        ),
    )

    list_display = (
        "importer",
        "destination",
        "mechanism",
        "scc_module",
        "exporter",
        "tia_outcome",
        "next_review_on",
        "is_active",
    )
    list_filter = (
        review_due_filter("next_review_on"),
        "mechanism",
        ("destination", admin.RelatedOnlyFieldListFilter),
        "tia_outcome",
        "is_active",
    )
    list_select_related = ("importer", "destination", "exporter")
    search_fields = ("importer__name", "exporter__name", "destination__name")
    autocomplete_fields = ("exporter", "importer", "destination")
    filter_horizontal = ("data_categories", "processing_activities")
    readonly_fields = AUDIT_FIELDS
    fieldsets = (
        (None, {"fields": ("exporter", "importer", "destination", "is_active")}),
        (
            _("Transfer mechanism (Art. 45-49)"),
            {
                "fields": (
                    "mechanism",
                    "scc_module",
                    "signed_on",
                    "derogation",
                    "derogation_justification",
                )
            },
        ),
        (_("What is transferred"), {"fields": ("data_categories", "processing_activities")}),
        (
            _("Transfer impact assessment"),
            {
                "fields": (
                    ("tia_completed_on", "tia_outcome"),
                    "supplementary_measures",
                    "next_review_on",
                )
            },
        ),
        (None, {"fields": ("notes",)}),
        AUDIT_FIELDSET,
    )

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return fields if obj is None else (*fields, *TRANSFER_REVIEW_FIELDS)

    def get_queryset(self, request):
        # __str__ names the importer and the country (autocomplete lists, inlines). The changelist
        # skips list_select_related once a select_related is set, so this names all three.
        return super().get_queryset(request).select_related("importer", "destination", "exporter")


# --- The register's pages, with the relations that live here ---------------------------------


class RelationInline(admin.TabularInline):
    """A row of an auto-created many-to-many table, picked with autocomplete."""

    extra = 0
    # The rows' own names ("Processor_hosted_systems object (3)") are hidden by this class.
    classes = ("relation-inline",)


class RecipientInline(RelationInline):
    model = Processor.processing_activities.through
    autocomplete_fields = ("processor",)
    verbose_name = _("named recipient")
    verbose_name_plural = _("(d) Named recipients (processors and other controllers)")


class ActivityTransferInline(RelationInline):
    model = Transfer.processing_activities.through
    autocomplete_fields = ("transfer",)
    verbose_name = _("transfer")
    verbose_name_plural = _("(e) Transfers to third countries")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "transfer":
            kwargs["queryset"] = Transfer.objects.select_related("importer", "destination")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class HostingInline(RelationInline):
    model = Processor.hosted_systems.through
    autocomplete_fields = ("processor",)
    verbose_name = _("hosting or operating processor")
    verbose_name_plural = _("Hosted or operated by")


class CategoryRecipientInline(RelationInline):
    model = Processor.data_categories.through
    autocomplete_fields = ("processor",)
    verbose_name = _("recipient")
    verbose_name_plural = _("Recipients of this category")


# What the register's own pages show of the recipients and transfers held here.


@admin.display(description=_("hosted by"))
def _hosted_by(system):
    return ", ".join(p.name for p in system.hosting_processors.all()) or "-"


privacy_admin.ProcessingActivityAdmin.extend(inlines=(RecipientInline, ActivityTransferInline))
privacy_admin.SystemAdmin.extend(
    inlines=(HostingInline,), list_display=(_hosted_by,), prefetch_related=("hosting_processors",)
)
privacy_admin.DataCategoryAdmin.extend(inlines=(CategoryRecipientInline,))
