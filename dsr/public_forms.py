"""Forms of the public self-service pages: every field treated as hostile input."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.identifiers import normalise_email
from dsr.choices import Right

TEXT_LIMIT = 5000
NAME_LIMIT = 200

# Plain-language labels for the people who use the form (the admin uses the article numbers).
PUBLIC_RIGHTS = [
    (Right.ACCESS, _("Get a copy of the personal data you hold about me")),
    (Right.PORTABILITY, _("Get the data I gave you in a machine-readable file")),
    (Right.RECTIFICATION, _("Correct inaccurate data about me")),
    (Right.ERASURE, _("Erase my personal data")),
    (Right.RESTRICTION, _("Restrict how you use my data")),
    (Right.OBJECTION, _("Object to how you use my data")),
    (Right.OBJECTION_MARKETING, _("Stop sending me marketing")),
]


def _no_control_characters(value: str) -> None:
    if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in value) or "\x7f" in value:
        raise ValidationError(_("Remove the control characters from this text."))


class RequestForm(forms.Form):
    rights = forms.MultipleChoiceField(
        label=_("What would you like us to do?"),
        choices=PUBLIC_RIGHTS,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one.")},
    )
    email = forms.CharField(
        label=_("Your email address"),
        max_length=254,
        help_text=_("We send the confirmation link and our answer here."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    name = forms.CharField(
        label=_("Your name"),
        max_length=NAME_LIMIT,
        required=False,
        help_text=_("Optional, but it helps us find your data."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        validators=[_no_control_characters],
    )
    rectification = forms.CharField(
        label=_("What should we correct, and how?"),
        max_length=TEXT_LIMIT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        validators=[_no_control_characters],
    )
    objection = forms.CharField(
        label=_("What do you object to, and why?"),
        max_length=TEXT_LIMIT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        validators=[_no_control_characters],
    )
    details = forms.CharField(
        label=_("Anything else we should know?"),
        max_length=TEXT_LIMIT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        validators=[_no_control_characters],
    )
    age_confirmed = forms.BooleanField(
        label=_("I am 16 or older"),
        error_messages={
            "required": _(
                "We can only take requests from people aged 16 or over through this form. "
                "If you are younger, ask a parent or guardian to contact us."
            )
        },
    )
    # A field people never see; bots fill it in. No third-party captcha needed.
    website = forms.CharField(required=False, label=_("Leave this field empty"))

    def clean_rights(self):
        # Each box once, as a browser sends them; a hand-made POST may repeat one.
        return list(dict.fromkeys(self.cleaned_data["rights"]))

    def clean_email(self):
        try:
            return normalise_email(self.cleaned_data["email"])
        except ValidationError as error:
            raise ValidationError(
                _("Enter a valid email address, like name@example.com.")
            ) from error

    def clean(self):
        cleaned = super().clean()
        rights = cleaned.get("rights") or []
        if Right.RECTIFICATION in rights and not (cleaned.get("rectification") or "").strip():
            self.add_error("rectification", _("Tell us what to correct and what it should say."))
        return cleaned

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get("website"))


class MessageForm(forms.Form):
    message = forms.CharField(
        label=_("Add information to your request"),
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 4}),
        validators=[_no_control_characters],
    )


class DownloadCodeForm(forms.Form):
    """The six digits emailed before a download; spaces (as people copy them) are ignored."""

    code = forms.CharField(
        label=_("The code from the email"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "size": 8}
        ),
    )

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split())
        if len(code) != 6 or not code.isascii() or not code.isdigit():
            raise ValidationError(_("Enter the six digits from the email."))
        return code
