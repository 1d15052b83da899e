from django.db import migrations

from core.db import append_only_table, frozen_when, trigram_index


class Migration(migrations.Migration):
    dependencies = [("privacy", "0002_register")]

    operations = [
        # The consent ledger is evidence: never edited, never deleted.
        append_only_table("privacy_consentrecord"),
        # A published policy is what people were told; it cannot change afterwards.
        frozen_when("privacy_policyversion", "published_at", name="privacy_policy_frozen"),
        # Admin search compares UPPER(column) LIKE '%term%' for names; emails are stored lower
        # case and searched as they are.
        trigram_index("privacy_subjectemail", "email", name="privacy_subjectemail_email_trgm"),
        trigram_index("privacy_datasubject", "UPPER(name)", name="privacy_datasubject_name_trgm"),
        trigram_index("privacy_organisation", "UPPER(name)", name="privacy_organisation_name_trgm"),
    ]
