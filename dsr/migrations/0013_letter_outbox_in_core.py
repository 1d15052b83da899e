"""A letter's email is a row of core's outbox (its table was renamed there; the foreign key
follows the table)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("dsr", "0012_submission_intake"), ("core", "0001_initial")]
    # privacy forgets OutboxEmail only after this link points at core's.
    run_before = [("privacy", "0013_platform_moved_to_core")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="letter",
                    name="outbox",
                    field=models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="letter",
                        to="core.outboxemail",
                        verbose_name="email",
                    ),
                )
            ]
        )
    ]
