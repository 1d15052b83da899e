"""The four role groups with their permissions (accounts.roles).

Django creates model permissions at the end of `migrate`, after this runs; on a fresh database
none exist yet, so they are created here first. The post_migrate handler in accounts.apps runs
the same sync after every later `migrate`.
"""

from django.db import migrations


def create_roles(apps, schema_editor):
    from accounts.roles import create_model_permissions, sync_role_permissions

    using = schema_editor.connection.alias
    create_model_permissions(using=using)
    sync_role_permissions(using=using)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_digestsubscription"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_roles, migrations.RunPython.noop, elidable=True),
    ]
