"""Staff forms of the register that are not a model's own admin form."""

from django import forms
from django.conf import settings
from django.contrib.admin.widgets import AdminDateWidget
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from privacy.retention import add_months


class ReviewForm(forms.Form):
    """A review recorded: when it took place, and when the next one is due."""

    reviewed_on = forms.DateField(label=_("reviewed on"), widget=AdminDateWidget)
    next_review_on = forms.DateField(
        label=_("next review on"),
        widget=AdminDateWidget,
        help_text=_("Review reminders and the “Review due” filters follow this date."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["reviewed_on"].initial = today
        self.fields["next_review_on"].initial = add_months(today, settings.REVIEW_INTERVAL_MONTHS)
