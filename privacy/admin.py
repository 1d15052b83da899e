from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from core.admin_steps import ObjectStepsMixin, Step
from core.admin_tools import (
    AUDIT_FIELDS,
    AUDIT_FIELDSET,
    URL_FIELDS_HTTPS,
    AccessLogged,
    AccessLoggedAdminMixin,
    EstimatedCountPaginator,
    ExtensibleAdmin,
    ReadOnlyAdmin,
    ReadOnlyInlineMixin,
    adopt,
    call_service,
    review_due_filter,
)
from core.identifiers import normalise_email
from privacy import rules, selectors, services
from privacy.choices import SubjectCategory
from privacy.forms import ReviewForm
from privacy.models import (
    ConsentRecord,
    ControllerProfile,
    DataCategory,
    DataSubject,
    Organisation,
    PolicyNotice,
    PolicyVersion,
    ProcessingActivity,
    RetentionRule,
    SubjectEmail,
    System,
)

# --- The company and its customers ----------------------------------------------------------


@admin.register(ControllerProfile)
class ControllerProfileAdmin(admin.ModelAdmin):
    """The controller of Art. 30(1)(a): one row, never deleted."""

    list_display = ("name", "email", "dpo_name", "supervisory_authority", "updated_at")
    formfield_overrides = URL_FIELDS_HTTPS
    readonly_fields = AUDIT_FIELDS
    fieldsets = (
        (None, {"fields": ("name", "registration_number", "address", "website")}),
        (_("Contact"), {"fields": ("email", "phone", "privacy_policy_url")}),
        (
            _("Data protection officer and representative"),
            {"fields": ("dpo_name", "dpo_email", "representative")},
        ),
        (
            _("Supervisory authority"),
            {"fields": ("supervisory_authority", "supervisory_authority_url")},
        ),
        (_("Security (Art. 32)"), {"fields": ("security_overview",)}),
        AUDIT_FIELDSET,
    )

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not ControllerProfile.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "registration_number", "country_code", "is_customer", "created_at")
    list_filter = ("is_customer",)
    # Names are found through the trigram index on UPPER(name) (icontains).
    search_fields = ("name", "registration_number")
    readonly_fields = AUDIT_FIELDS
    fieldsets = (
        (None, {"fields": ("name", "registration_number", "country_code", "website")}),
        (None, {"fields": ("is_customer",)}),
        AUDIT_FIELDSET,
    )
    formfield_overrides = URL_FIELDS_HTTPS
    show_full_result_count = False


# --- The register of processing -------------------------------------------------------------


@admin.register(RetentionRule)
class RetentionRuleAdmin(ExtensibleAdmin):
    list_display = ("name", "period_text", "action", "legal_obligation", "legal_reference")
    list_filter = ("trigger", "action", "legal_obligation")
    search_fields = ("name", "legal_reference")
    readonly_fields = ("period_text", *AUDIT_FIELDS)
    fieldsets = (
        (None, {"fields": ("name", "description")}),
        (
            _("Period"),
            {"fields": (("period", "period_unit"), "trigger", "action", "period_text")},
        ),
        (_("Legal hold"), {"fields": ("legal_obligation", "legal_reference")}),
        AUDIT_FIELDSET,
    )

    @admin.display(description=_("kept"))
    def period_text(self, obj):
        return obj.period_text if obj.pk else "-"


@admin.register(DataCategory)
class DataCategoryAdmin(ExtensibleAdmin):
    list_display = ("name", "is_special_category", "provided_by_subject", "retention_rule")
    list_filter = ("is_special_category", "provided_by_subject")
    list_select_related = ("retention_rule",)
    search_fields = ("name", "description")
    autocomplete_fields = ("retention_rule",)
    readonly_fields = AUDIT_FIELDS
    fieldsets = (
        (None, {"fields": ("name", "description", "retention_rule")}),
        (None, {"fields": ("is_special_category", "provided_by_subject")}),
        AUDIT_FIELDSET,
    )


REVIEW_FIELDS = ("last_reviewed_on", "next_review_on")


def review_step(service, *, form_class=ReviewForm, **fields) -> Step:
    """The step that records a review of an entry of the register through `service`
    (`service(<the row>, data)`): the review dates change only through it."""
    return Step(
        name="review",
        label=_("Record a review"),
        form_class=form_class,
        run=lambda obj, data, user: service(obj, data),
        blocker=lambda obj: None,
        success=lambda obj: _("%(entry)s: review recorded.") % {"entry": obj},
        description=_(
            "Record that this entry was checked against what is actually done, and when it is "
            "checked next. The dates are the proof of the review."
        ),
        **fields,
    )


@admin.register(ProcessingActivity)
class ProcessingActivityAdmin(ObjectStepsMixin, ExtensibleAdmin):
    """One row of the record of processing (Art. 30), laid out item by item of Art. 30(1).

    The apps above extend it (ExtensibleAdmin.extend): processors with the recipients and
    transfers it holds. Its review dates change only by recording a review.
    """

    object_steps = (
        review_step(
            lambda activity, data: services.activity_mark_reviewed(
                activity=activity,
                reviewed_on=data["reviewed_on"],
                next_review_on=data["next_review_on"],
            )
        ),
    )

    list_display = ("name", "role", "legal_bases", "retention_rule", "owner", "next_review_on")
    list_filter = (review_due_filter("next_review_on"), "role", "is_active")
    list_select_related = ("retention_rule", "owner")
    search_fields = ("name", "purpose")
    autocomplete_fields = ("retention_rule", "owner")
    filter_horizontal = ("data_categories",)
    readonly_fields = ("controller", *AUDIT_FIELDS)
    fieldsets = (
        (None, {"fields": ("name", "role", "owner", "is_active")}),
        (
            _("(a) Controller"),
            {
                "fields": ("controller",),
                "description": _(
                    "Name and contact details of the controller, its representative and data "
                    "protection officer come from the controller profile."
                ),
            },
        ),
        (_("(b) Purposes of the processing"), {"fields": ("purpose", "description")}),
        (
            _("Legal basis (Art. 6(1))"),
            {
                "fields": (
                    ("basis_consent", "basis_contract"),
                    ("basis_legal_obligation", "legal_obligation_reference"),
                    ("basis_vital_interests", "basis_public_task"),
                    "basis_legitimate_interests",
                    "legitimate_interest_assessment",
                    "legitimate_interest_assessed_on",
                ),
                "description": _(
                    "Tick every basis that applies. A legal obligation names its law; "
                    "legitimate interests need the assessment."
                ),
            },
        ),
        (
            _("(c) Categories of data subjects and of personal data"),
            {"fields": ("subject_categories", "data_categories", "data_source")},
        ),
        (_("(d) Categories of recipients"), {"fields": ("recipient_categories",)}),
        (_("(f) Time limits for erasure"), {"fields": ("retention_rule", "retention_notes")}),
        (
            _("(g) Technical and organisational security measures"),
            {"fields": ("security_measures",)},
        ),
        (
            _("Automated decisions and impact assessment"),
            {"fields": ("automated_decision_making", "dpia_reference")},
        ),
        (_("Review"), {"fields": ("last_reviewed_on", "next_review_on")}),
        AUDIT_FIELDSET,
    )

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "subject_categories":
            # A JSON list in the database; people tick categories.
            return forms.MultipleChoiceField(
                label=db_field.verbose_name,
                choices=SubjectCategory.choices,
                widget=forms.CheckboxSelectMultiple,
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return fields if obj is None else (*fields, *REVIEW_FIELDS)

    @admin.display(description=_("legal basis"))
    def legal_bases(self, obj):
        return ", ".join(str(basis.label) for basis in obj.legal_bases) or "-"

    @admin.display(description=_("controller"))
    def controller(self, obj):
        profile = ControllerProfile.objects.first()
        if profile is None:
            return format_html(
                '<a href="{}">{}</a>',
                reverse("admin:privacy_controllerprofile_add"),
                _("Set up the controller profile"),
            )
        return format_html(
            '<a href="{}">{}</a> ({})',
            reverse("admin:privacy_controllerprofile_change", args=[profile.pk]),
            profile.name,
            profile.email,
        )


@admin.register(System)
class SystemAdmin(ExtensibleAdmin):
    list_display = ("name", "location", "owner", "owner_team", "is_active")
    list_filter = ("is_active",)
    list_select_related = ("owner",)
    search_fields = ("name", "location", "owner_team")
    autocomplete_fields = ("owner",)
    filter_horizontal = ("data_categories",)
    readonly_fields = AUDIT_FIELDS
    fieldsets = (
        (None, {"fields": ("name", "description", "location", "is_active")}),
        (_("Ownership"), {"fields": ("owner", "owner_team")}),
        (_("Data held"), {"fields": ("data_categories",)}),
        AUDIT_FIELDSET,
    )


# --- Data subjects --------------------------------------------------------------------------


class SubjectEmailForm(forms.ModelForm):
    class Meta:
        model = SubjectEmail
        fields = ("email", "is_primary")

    def clean_email(self):
        # Stored lower case and NFC, so uniqueness (a model constraint) ignores case.
        return normalise_email(self.cleaned_data["email"])


class SubjectEmailFormSet(forms.BaseInlineFormSet):
    """The subject's addresses, judged whole by the register's rule and saved by the services
    (DataSubjectAdmin.save_related), never row by row."""

    def addresses(self) -> list[tuple[str, bool]]:
        return [
            (form.cleaned_data["email"], bool(form.cleaned_data.get("is_primary")))
            for form in self.forms
            if form.cleaned_data
            and form.cleaned_data.get("email")
            and not self._should_delete_form(form)
        ]

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        blocker = rules.subject_addresses_blocker(self.addresses(), new=self.instance.pk is None)
        if blocker:
            raise ValidationError(blocker)


class SubjectEmailInline(admin.TabularInline):
    model = SubjectEmail
    form = SubjectEmailForm
    formset = SubjectEmailFormSet
    fields = ("email", "is_primary", "added_at")
    readonly_fields = ("added_at",)
    extra = 1


class ConsentRecordInline(ReadOnlyInlineMixin, admin.TabularInline):
    """The subject's consent ledger, newest first; entries are added on their own page."""

    model = ConsentRecord
    fields = ("recorded_at", "topic", "action", "method", "policy_version", "recorded_by")
    readonly_fields = fields
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("policy_version", "recorded_by")


@admin.register(DataSubject)
class DataSubjectAdmin(AccessLoggedAdminMixin, admin.ModelAdmin):
    """Built for a million rows: no full COUNT, indexed search, filters on cheap columns only."""

    access_logged = AccessLogged(
        "data subject", subject="pk", purpose=gettext_noop("Looking up a data subject")
    )

    list_display = (
        "id",
        "name",
        "primary_email",
        "category",
        "organisation",
        "language",
        "is_under_16",
    )
    # Each filter is a plain column with fixed choices: no query to build it.
    list_filter = ("category", "language", "is_under_16", "source")
    list_select_related = ("organisation",)
    # Searching is privacy.selectors.subjects_matching(); search_fields shows the box.
    search_fields = ("name",)
    search_help_text = _("An exact email address, or part of a name or email address.")
    ordering = ("-pk",)
    # Sorting by an unindexed column would sort the whole table for each page.
    sortable_by = ("id",)
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    autocomplete_fields = ("organisation",)
    readonly_fields = AUDIT_FIELDS
    fieldsets = (
        (None, {"fields": ("name", "category", "organisation", "language", "source")}),
        (None, {"fields": ("is_under_16",)}),
        AUDIT_FIELDSET,
    )
    inlines = (SubjectEmailInline, ConsentRecordInline)

    def save_model(self, request, obj, form, change):
        # A new subject is created with its addresses (save_related); a change goes through
        # the service as well.
        if change:
            services.subject_update(
                subject=obj,
                **{name: form.cleaned_data[name] for name in self._subject_fields(form)},
            )

    def save_related(self, request, form, formsets, change):
        [emails] = [formset for formset in formsets if isinstance(formset, SubjectEmailFormSet)]
        addresses = emails.addresses()
        before = {e.email: e for e in form.instance.emails.all()} if change else {}
        if change:
            services.subject_emails_set(subject=form.instance, addresses=addresses)
        else:
            # The primary first: subject_create makes the first address primary.
            ordered = sorted(addresses, key=lambda address: not address[1])
            subject = services.subject_create(
                emails=[address for address, _primary in ordered],
                **{name: form.cleaned_data[name] for name in self._subject_fields(form)},
            )
            adopt(form.instance, subject)
        # What the history's change message reads, as if the formsets had saved themselves.
        after = {e.email: e for e in form.instance.emails.all()}
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        emails.new_objects = [after[email] for email in after.keys() - before.keys()]
        emails.deleted_objects = [before[email] for email in before.keys() - after.keys()]
        emails.changed_objects = [
            (after[email], ["is_primary"])
            for email in after.keys() & before.keys()
            if after[email].is_primary != before[email].is_primary
        ]

    @staticmethod
    def _subject_fields(form) -> list[str]:
        return [name for name in services.SUBJECT_FIELDS if name in form.cleaned_data]

    def get_deleted_objects(self, objs, request):
        # A subject's addresses go with it, though no one deletes an address on its own
        # (SubjectEmailAdmin): that is not a permission the deletion lacks.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        perms_needed.discard(SubjectEmail._meta.verbose_name)
        return deleted, counts, perms_needed, protected

    def get_queryset(self, request):
        # One query per page for the primary addresses, not one per row.
        primary = SubjectEmail.objects.filter(is_primary=True)
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("emails", queryset=primary, to_attr="primary_emails"))
        )

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        return queryset & selectors.subjects_matching(search_term), False

    @admin.display(description=_("primary email"))
    def primary_email(self, obj):
        emails = getattr(obj, "primary_emails", None)
        return emails[0].email if emails else "-"


@admin.register(SubjectEmail)
class SubjectEmailAdmin(AccessLoggedAdminMixin, admin.ModelAdmin):
    """Every address in the register; addresses are edited on their subject's page."""

    access_logged = AccessLogged(
        "email address", subject="subject_id", purpose=gettext_noop("Looking up an email address")
    )

    list_display = ("email", "subject", "is_primary", "added_at")
    list_select_related = ("subject",)
    search_fields = ("email",)
    search_help_text = _("An exact email address, or part of one.")
    ordering = ("-pk",)
    sortable_by = ("email",)
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    raw_id_fields = ("subject",)

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip().lower()
        if not term:
            return queryset, False
        # Addresses are stored lower case: the unique index answers an exact address, the
        # trigram index a fragment.
        if "@" in term and " " not in term and queryset.filter(email=term).exists():
            return queryset.filter(email=term), False
        return queryset.filter(email__contains=term), False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # On the subject's page, where its form keeps one primary address.
        return False


# --- Policy and consent ---------------------------------------------------------------------


class PublishedFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return (("draft", _("Draft")), ("published", _("Published")))

    def queryset(self, request, queryset):
        if self.value() == "draft":
            return queryset.filter(published_at__isnull=True)
        if self.value() == "published":
            return queryset.filter(published_at__isnull=False)
        return queryset


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    """Drafts are edited here; a published version is what people were told and never changes
    (the database refuses it too), so it is shown read-only and cannot be deleted."""

    list_display = (
        "version",
        "language",
        "title",
        "effective_date",
        "is_material_change",
        "published_at",
        "published_by",
    )
    list_filter = (PublishedFilter, "language", "is_material_change")
    list_select_related = ("published_by",)
    search_fields = ("version", "title")
    readonly_fields = ("published_at", "published_by", *AUDIT_FIELDS)
    fieldsets = (
        (None, {"fields": ("version", "language", "title", "effective_date")}),
        (None, {"fields": ("body",)}),
        (_("Changes"), {"fields": ("is_material_change", "changes_summary")}),
        (_("Publication"), {"fields": ("published_at", "published_by")}),
        AUDIT_FIELDSET,
    )
    actions = ("publish",)

    def has_change_permission(self, request, obj=None):
        if obj is not None and rules.policy_version_frozen(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and rules.policy_version_frozen(obj):
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in form.changed_data}
        if change:
            services.policy_version_update(version=obj, **fields)
        else:
            draft = services.policy_version_draft(
                **{name: getattr(obj, name) for name in form.cleaned_data}
            )
            adopt(obj, draft)

    def delete_model(self, request, obj):
        services.policy_version_delete(version=obj)

    def delete_queryset(self, request, queryset):
        for version in queryset:
            services.policy_version_delete(version=version)

    def response_change(self, request, obj):
        # "Save and publish": the draft was saved by the form; publishing is the service's.
        if "_publish" in request.POST:
            self._publish(request, obj)
            return redirect(reverse("admin:privacy_policyversion_change", args=[obj.pk]))
        return super().response_change(request, obj)

    def _publish(self, request, version) -> bool:
        published = call_service(
            self,
            request,
            services.policy_version_publish,
            version=version,
            published_by=request.user,
        )
        if published is not None:
            self.message_user(
                request,
                _("Version %(version)s is published; it can no longer be changed.")
                % {"version": published},
                messages.SUCCESS,
            )
        return published is not None

    @admin.action(description=_("Publish the selected drafts"), permissions=["change"])
    def publish(self, request, queryset):
        for version in queryset:
            self._publish(request, version)


@admin.register(ConsentRecord)
class ConsentRecordAdmin(AccessLoggedAdminMixin, admin.ModelAdmin):
    """The consent ledger: entries are added, never changed or deleted (Art. 7(1) proof)."""

    access_logged = AccessLogged(
        "consent record", subject="subject_id", purpose=gettext_noop("Looking up a consent record")
    )

    list_display = (
        "recorded_at",
        "subject",
        "topic",
        "action",
        "method",
        "policy_version",
        "recorded_by",
    )
    list_filter = ("topic", "action", "method")
    list_select_related = ("subject", "policy_version", "recorded_by")
    search_fields = ("subject__name",)
    search_help_text = _("The subject's exact email address, or part of their name or address.")
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    sortable_by = ("recorded_at",)
    autocomplete_fields = ("subject", "policy_version")
    fields = (
        "subject",
        "topic",
        "action",
        "method",
        "recorded_at",
        "policy_version",
        "evidence",
        "recorded_by",
    )
    readonly_fields = ("recorded_by",)

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        subjects = selectors.subjects_matching(search_term).values("pk")
        return queryset.filter(subject__in=subjects), False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        record = services.consent_record(
            subject=obj.subject,
            action=obj.action,
            method=obj.method,
            topic=obj.topic,
            evidence=obj.evidence,
            policy_version=obj.policy_version,
            recorded_by=request.user,
            recorded_at=obj.recorded_at,
        )
        adopt(obj, record)


# --- Policy change notices ------------------------------------------------------------------


@admin.register(PolicyNotice)
class PolicyNoticeAdmin(ReadOnlyAdmin):
    list_display = ("policy_version", "created_at", "sent", "finished_at")
    list_select_related = ("policy_version",)
