"""Staff forms of the processors' register that are not a model's own admin form."""

from django import forms
from django.utils.translation import gettext_lazy as _

from privacy.forms import ReviewForm
from processors.choices import TiaOutcome


class TransferReviewForm(ReviewForm):
    """A transfer impact assessment evaluated again (EDPB Rec. 01/2020, step 6)."""

    tia_outcome = forms.ChoiceField(label=_("outcome"), choices=TiaOutcome.choices)
    supplementary_measures = forms.CharField(
        label=_("supplementary measures"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text=_("Leave empty to keep the measures on record."),
    )

    field_order = ("reviewed_on", "tia_outcome", "supplementary_measures", "next_review_on")
