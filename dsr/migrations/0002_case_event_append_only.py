from django.db import migrations

from core.db import append_only_table


class Migration(migrations.Migration):
    dependencies = [("dsr", "0001_initial")]

    # The timeline is the proof of what was done: never edited, never deleted.
    operations = [append_only_table("dsr_caseevent")]
