"""Normalising the identifiers people are found by."""

import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext as _

_validate = EmailValidator()


def normalise_email(value: str) -> str:
    """Trim, NFC-normalise and lower-case an address; raise ValidationError if invalid.

    Lower case is how the register stores every address, so that uniqueness and exact search
    are case-insensitive without an expression index.
    """
    if not isinstance(value, str):
        raise ValidationError(_("Enter a valid email address."))
    email = unicodedata.normalize("NFC", value.strip()).lower()
    if len(email) > 254:
        raise ValidationError(_("An email address has at most 254 characters."))
    _validate(email)
    return email
