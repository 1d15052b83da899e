from django.db import migrations

from core.db import append_only_table


class Migration(migrations.Migration):
    dependencies = [("privacy", "0006_access_log")]

    # The access log is evidence of who saw what: never edited, never deleted.
    operations = [append_only_table("privacy_accesslogentry")]
