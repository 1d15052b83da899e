from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _export_files():
    from dsr.models import ExportFile

    files = ExportFile.objects.exclude(storage_name="").filter(deleted_at__isnull=True)
    return files.values_list("storage_name", flat=True).iterator()


def _task_files(field: str):
    def names():
        from dsr.models import CaseTask

        return CaseTask.objects.exclude(**{field: ""}).values_list(field, flat=True).iterator()

    return names


class DsrConfig(AppConfig):
    name = "dsr"
    verbose_name = _("Requests")

    def ready(self):
        from core import public_cache
        from core.rotation import EncryptedFiles, register_encrypted_files
        from privacy.models import DataCategory, ProcessingActivity, RetentionRule
        from processors.models import Country, Processor, Transfer

        # What the public home page summarises (dsr/public_views.py, cached whole).
        public_cache.watch(
            ProcessingActivity, DataCategory, RetentionRule, Transfer, Processor, Country
        )
        # Personal files this app stores encrypted, for `reencrypt_fields`.
        register_encrypted_files(EncryptedFiles("export files", _export_files))
        register_encrypted_files(
            EncryptedFiles("task results", _task_files("result_file"), sealed_as="text")
        )
        register_encrypted_files(EncryptedFiles("task evidence", _task_files("evidence_file")))
