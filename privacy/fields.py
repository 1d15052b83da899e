from django.db import models

from privacy import crypto


class EncryptedTextField(models.TextField):
    """Text stored encrypted (privacy.crypto); only `isnull` and equality with "" can be
    queried, because the stored value differs every time it is written."""

    description = "Text encrypted at rest"

    def from_db_value(self, value, expression, connection):
        if value is None:
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None:
            return value
        return crypto.encrypt(str(value))

    def get_lookup(self, lookup_name):
        if lookup_name not in ("isnull", "exact"):
            return None
        return super().get_lookup(lookup_name)
