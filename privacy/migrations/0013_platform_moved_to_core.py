"""The access log, the outbox, notices sent once and worker checks now belong to `core`
(core/migrations/0001_initial.py renamed their tables); the register forgets them."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("privacy", "0012_count_estimate"), ("core", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="AccessLogEntry"),
                migrations.DeleteModel(name="OutboxEmail"),
                migrations.DeleteModel(name="SentNotice"),
                migrations.DeleteModel(name="WorkerCheck"),
            ]
        )
    ]
