"""Seed every ISO country with the EEA members and today's adequacy decisions."""

from django.db import migrations

from processors.countries import seed_countries


def seed(apps, schema_editor):
    seed_countries(apps.get_model("processors", "Country"))


class Migration(migrations.Migration):
    dependencies = [("processors", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
