from django.db import models
from django.db.models.fields.files import FieldFile
from django.urls import reverse

from core import crypto


class EncryptedTextField(models.TextField):
    """Text stored encrypted (core.crypto); only `isnull` and equality with "" can be
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


class StaffFieldFile(FieldFile):
    @property
    def url(self) -> str:
        self._require_file()
        return reverse(self.field.download_url_name, args=[self.instance.pk])


class StaffDownloadFileField(models.FileField):
    """An uploaded file that staff download through one of the portal's views (permission
    checked, access logged, served as an attachment: core.downloads), never at the
    storage's own address. Every link the admin draws to the file (its widget, its read-only
    display) goes through `url`, so this is the one place that decides where it points."""

    attr_class = StaffFieldFile

    def __init__(self, *args, download_url_name: str = "", **kwargs):
        self.download_url_name = download_url_name
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["download_url_name"] = self.download_url_name
        return name, path, args, kwargs
