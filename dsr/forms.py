"""Staff forms for cases: registering a request, and one small form per transition.

The forms only parse input; the rules (which step is allowed, what an Art. 12(5) refusal
needs, whether open tasks block closing) live in dsr.rules and the services, whose refusals the
admin shows on these forms. Where a form checks a rule itself, to put the error by its field,
it asks dsr.rules, as the service does.
"""

from django import forms
from django.contrib.admin.widgets import AdminSplitDateTime
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.identifiers import normalise_email
from dsr import rules
from dsr.choices import (
    Channel,
    IdentityMethod,
    RefusalBasis,
    Right,
)
from dsr.models import DsrCase
from privacy.choices import Language

TEXTAREA = forms.Textarea(attrs={"rows": 4, "cols": 60})
SHORT_TEXTAREA = forms.Textarea(attrs={"rows": 2, "cols": 60})

# How staff may have received a request: the self-service form registers its own.
STAFF_CHANNELS = [choice for choice in Channel.choices if choice[0] != Channel.SELF_SERVICE]

# The emailed link is the portal's own method; staff record what they checked themselves.
STAFF_IDENTITY_METHODS = [c for c in IdentityMethod.choices if c[0] != IdentityMethod.EMAIL_LINK]

# "Never confirmed" is decided by the portal's sweep, not by staff.
STAFF_REFUSAL_BASES = [c for c in RefusalBasis.choices if c[0] != RefusalBasis.NOT_CONFIRMED]

PAUSE_HELP = _(
    "Fill this in only if the clock should stop while waiting (reasonable doubts, Art. 12(6), "
    "or a request that cannot be answered without the clarification). The reason is recorded "
    "on the timeline. Leave it empty and the deadline keeps running from receipt."
)


def staff_users():
    return get_user_model().objects.filter(is_staff=True, is_active=True).order_by("username")


# --- Registering a request ------------------------------------------------------------------


class RegisterRequestForm(forms.Form):
    """A letter, phone call or email entered by staff: one case per right ticked."""

    channel = forms.ChoiceField(label=_("received by"), choices=STAFF_CHANNELS)
    received_at = forms.SplitDateTimeField(
        label=_("received at"),
        widget=AdminSplitDateTime,
        help_text=_("When it reached us; the deadlines count from this day."),
    )
    requester_name = forms.CharField(label=_("requester's name"), required=False, max_length=300)
    requester_email = forms.CharField(
        label=_("requester's email"),
        required=False,
        max_length=254,
        help_text=_("Letters are emailed here; without it they are written for the post."),
    )
    requester_phone = forms.CharField(label=_("requester's phone"), required=False, max_length=50)
    requester_address = forms.CharField(
        label=_("requester's postal address"), required=False, widget=SHORT_TEXTAREA
    )
    language = forms.ChoiceField(label=_("language"), choices=Language.choices)
    message = forms.CharField(
        label=_("the request as received"),
        required=False,
        widget=TEXTAREA,
        help_text=_("The text of the letter or email, or notes of the call."),
    )
    rights = forms.MultipleChoiceField(
        label=_("rights exercised"),
        choices=Right.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Each right becomes its own case; the cases are linked and answered together."),
    )
    details = forms.CharField(
        label=_("details"),
        required=False,
        widget=TEXTAREA,
        help_text=_("What the requester asked for, in their words (kept on every case)."),
    )
    rectification_content = forms.CharField(
        label=_("what to correct"),
        required=False,
        widget=TEXTAREA,
        help_text=_("For rectification: the data to correct and the correct values."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["received_at"].initial = timezone.now

    def clean_received_at(self):
        received_at = self.cleaned_data["received_at"]
        blocker = rules.received_at_blocker(received_at, now=timezone.now())
        if blocker:
            raise ValidationError(blocker)
        return received_at

    def clean_requester_email(self):
        email = self.cleaned_data["requester_email"].strip()
        return normalise_email(email) if email else ""

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            blocker = rules.contact_blocker(
                channel=cleaned["channel"],
                email=cleaned["requester_email"],
                phone=cleaned["requester_phone"],
                address=cleaned["requester_address"],
            )
            if blocker:
                raise ValidationError(blocker)
        return cleaned


# --- One form per transition ----------------------------------------------------------------


class StartForm(forms.Form):
    note = forms.CharField(
        label=_("how we know it is them"),
        required=False,
        widget=SHORT_TEXTAREA,
        help_text=_(
            "Recorded as the identity evidence; by default “Sent from the address we hold”."
        ),
    )


class VerifyIdentityForm(forms.Form):
    method = forms.ChoiceField(label=_("identity verified by"), choices=STAFF_IDENTITY_METHODS)
    evidence = forms.CharField(
        label=_("evidence"),
        widget=TEXTAREA,
        help_text=_(
            "What was checked, and how (e.g. “passport seen on video call, number not kept”). "
            "Do not copy the document itself."
        ),
    )
    all_linked = forms.BooleanField(
        label=_("verify the linked requests of the same letter too"),
        required=False,
        initial=True,
    )


def pause_reason_field() -> forms.CharField:
    """Asking the requester something may stop the clock, for a reason (dsr.deadlines)."""
    return forms.CharField(
        label=_("stop the clock because"),
        required=False,
        widget=SHORT_TEXTAREA,
        help_text=PAUSE_HELP,
    )


class RequestIdentityForm(forms.Form):
    explanation = forms.CharField(
        label=_("what the requester must send, and why"),
        widget=TEXTAREA,
        help_text=_("Sent to the requester. Ask only for what is needed (Art. 12(6))."),
    )
    pause_reason = pause_reason_field()


class IdentityFailedForm(forms.Form):
    reasons = forms.CharField(
        label=_("why the requester could not be identified"),
        widget=TEXTAREA,
        help_text=_("Sent to the requester with the refusal (Art. 11(2), 12(2))."),
    )


class AskRequesterForm(forms.Form):
    question = forms.CharField(
        label=_("question to the requester"),
        widget=TEXTAREA,
        help_text=_("Sent to the requester."),
    )
    pause_reason = pause_reason_field()


class ResumeForm(forms.Form):
    note = forms.CharField(
        label=_("what the requester answered"),
        required=False,
        widget=TEXTAREA,
        help_text=_("Recorded on the timeline. A stopped clock starts again."),
    )


class ExtendForm(forms.Form):
    reason = forms.CharField(
        label=_("reason for the extension"),
        widget=TEXTAREA,
        help_text=_(
            "Sent to the requester now with the new date (Art. 12(3)): the complexity or number "
            "of requests that makes two further months necessary."
        ),
    )


class CompleteForm(forms.Form):
    outcome = forms.CharField(
        label=_("outcome"),
        widget=TEXTAREA,
        help_text=_("Sent to the requester: what was done."),
    )
    partially = forms.BooleanField(
        label=_("only partially completed"),
        required=False,
        help_text=_("Also set automatically when data was kept under a legal obligation."),
    )

    def __init__(self, *args, open_tasks: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        if open_tasks:
            self.fields["open_tasks_reason"] = forms.CharField(
                label=_("why it can be answered with open tasks"),
                required=False,
                widget=SHORT_TEXTAREA,
                help_text=_(
                    "%(count)d fulfilment task(s) are still open. Finish them first, or record "
                    "why the request can be answered without them."
                )
                % {"count": open_tasks},
            )


class RefuseForm(forms.Form):
    basis = forms.ChoiceField(label=_("refusal basis"), choices=STAFF_REFUSAL_BASES)
    reasons = forms.CharField(
        label=_("reasons for refusal"),
        widget=TEXTAREA,
        help_text=_(
            "Sent to the requester, with their right to complain to the supervisory authority "
            "and to a judicial remedy."
        ),
    )
    justification = forms.CharField(
        label=_("justification (internal)"),
        required=False,
        widget=TEXTAREA,
        help_text=_(
            "Required for “manifestly unfounded” or “excessive” (Art. 12(5)): we must be able "
            "to prove it. Not sent to the requester."
        ),
    )


class WithdrawForm(forms.Form):
    note = forms.CharField(
        label=_("how the requester withdrew"),
        required=False,
        widget=SHORT_TEXTAREA,
        help_text=_("E.g. “by phone on 3 March”. Recorded on the timeline."),
    )
    notify = forms.BooleanField(
        label=_("send the withdrawal confirmation"), required=False, initial=True
    )


class NoteForm(forms.Form):
    note = forms.CharField(label=_("note"), widget=TEXTAREA)


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=_("assignee"),
        queryset=staff_users(),
        required=False,
        empty_label=_("Nobody (unassign)"),
    )


# --- Fulfilment tasks -----------------------------------------------------------------------


class TaskCompleteForm(forms.Form):
    evidence = forms.CharField(
        label=_("what was done"),
        widget=TEXTAREA,
        help_text=_("The proof: what was done in the system or sent to the recipient, and how."),
    )
    done_at = forms.SplitDateTimeField(label=_("done at"), widget=AdminSplitDateTime)
    attachment = forms.FileField(
        label=_("attachment"),
        required=False,
        help_text=_("Optional: an export, a screenshot or a confirmation."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["done_at"].initial = timezone.now

    def clean_done_at(self):
        # Shown by the field, before anything is stored (the service asks the same rule).
        done_at = self.cleaned_data["done_at"]
        blocker = rules.done_at_blocker(done_at, now=timezone.now())
        if blocker:
            raise ValidationError(blocker)
        return done_at


class TaskSkipForm(forms.Form):
    reason = forms.CharField(
        label=_("why the task is not needed"),
        widget=SHORT_TEXTAREA,
        help_text=_(
            "E.g. “the system holds nothing about this person”. An access report quotes it "
            "to the requester."
        ),
    )


# --- The case page --------------------------------------------------------------------------


class CaseChangeForm(forms.ModelForm):
    """What staff may edit on a case's page; the assignee and the subject go through services."""

    class Meta:
        model = DsrCase
        fields = ("assignee", "subject", "language", "details", "rectification_content")
