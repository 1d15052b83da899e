"""The platform's tables move out of the register's app: the access log, the outbox, notices
sent once and worker checks were privacy's; their rows stay where they are.

The tables are renamed (privacy_* -> core_*) with their named indexes, the access log's
append-only trigger and the paginator's count-estimate function; content types follow, so
permissions and the admin's history keep pointing at the same rows. privacy's migration 0013
then forgets the models, and dsr's 0013 points the letters' outbox link here.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import core.fields

MOVED = ("accesslogentry", "outboxemail", "sentnotice", "workercheck")

RENAMES = [
    *(f"ALTER TABLE privacy_{model} RENAME TO core_{model}" for model in MOVED),
    "ALTER INDEX privacy_access_actor_idx RENAME TO core_access_actor_idx",
    "ALTER INDEX privacy_access_action_idx RENAME TO core_access_action_idx",
    "ALTER INDEX privacy_access_type_idx RENAME TO core_access_type_idx",
    "ALTER INDEX privacy_outbox_due_idx RENAME TO core_outbox_due_idx",
    "ALTER INDEX privacy_wc_completed_idx RENAME TO core_wc_completed_idx",
    "ALTER TRIGGER privacy_accesslogentry_append_only ON core_accesslogentry"
    " RENAME TO core_accesslogentry_append_only",
    "ALTER FUNCTION privacy_accesslogentry_append_only() RENAME TO core_accesslogentry_append_only",
    "ALTER FUNCTION privacy_count_estimate(text) RENAME TO core_count_estimate",
]
RENAMES_BACK = [
    "ALTER FUNCTION core_count_estimate(text) RENAME TO privacy_count_estimate",
    "ALTER FUNCTION core_accesslogentry_append_only() RENAME TO privacy_accesslogentry_append_only",
    "ALTER TRIGGER core_accesslogentry_append_only ON core_accesslogentry"
    " RENAME TO privacy_accesslogentry_append_only",
    "ALTER INDEX core_wc_completed_idx RENAME TO privacy_wc_completed_idx",
    "ALTER INDEX core_outbox_due_idx RENAME TO privacy_outbox_due_idx",
    "ALTER INDEX core_access_type_idx RENAME TO privacy_access_type_idx",
    "ALTER INDEX core_access_action_idx RENAME TO privacy_access_action_idx",
    "ALTER INDEX core_access_actor_idx RENAME TO privacy_access_actor_idx",
    *(f"ALTER TABLE core_{model} RENAME TO privacy_{model}" for model in MOVED),
]


def move_content_types(apps, schema_editor, *, source="privacy", target="core"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if ContentType.objects.filter(app_label=target, model=model).exists():
            continue
        ContentType.objects.filter(app_label=source, model=model).update(app_label=target)


def move_content_types_back(apps, schema_editor):
    move_content_types(apps, schema_editor, source="core", target="privacy")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("privacy", "0012_count_estimate"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(RENAMES, reverse_sql=RENAMES_BACK)],
            state_operations=[
                migrations.CreateModel(
                    name="AccessLogEntry",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("at", models.DateTimeField(db_index=True, verbose_name="when")),
                        ("action", models.CharField(choices=[("view", "Viewed"), ("search", "Searched"), ("download", "Downloaded"), ("export", "Exported"), ("change", "Changed")], max_length=16, verbose_name="action")),
                        ("object_type", models.CharField(max_length=50, verbose_name="what")),
                        ("object_id", models.CharField(blank=True, max_length=64, verbose_name="which")),
                        ("subject_id", models.BigIntegerField(blank=True, db_index=True, null=True, verbose_name="data subject")),
                        ("case_reference", models.CharField(blank=True, db_index=True, max_length=32, verbose_name="case")),
                        ("purpose", models.CharField(blank=True, max_length=300, verbose_name="purpose")),
                        ("query", core.fields.EncryptedTextField(blank=True, verbose_name="search terms")),
                        ("ip_address", models.CharField(blank=True, max_length=64, verbose_name="from")),
                        ("previous_hash", models.CharField(editable=False, max_length=64)),
                        ("row_hash", models.CharField(editable=False, max_length=64, unique=True)),
                        ("actor", models.ForeignKey(blank=True, help_text="Empty for the data subject themselves (a download from the self-service).", null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="who")),
                    ],
                    options={
                        "verbose_name": "access log entry",
                        "verbose_name_plural": "access log",
                        "ordering": ["-pk"],
                        "indexes": [
                            models.Index(fields=["actor", "-at"], name="core_access_actor_idx"),
                            models.Index(fields=["action", "-id"], name="core_access_action_idx"),
                            models.Index(fields=["object_type", "-id"], name="core_access_type_idx"),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="OutboxEmail",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("to", core.fields.EncryptedTextField(verbose_name="to")),
                        ("subject", core.fields.EncryptedTextField(verbose_name="subject")),
                        ("body_text", core.fields.EncryptedTextField(verbose_name="text")),
                        ("body_html", core.fields.EncryptedTextField(blank=True, verbose_name="HTML")),
                        ("headers", models.JSONField(blank=True, default=dict, verbose_name="extra headers")),
                        ("attachments", models.JSONField(blank=True, default=list, help_text="Files in storage: name, path and content type of each.", verbose_name="attachments")),
                        ("reference", models.CharField(blank=True, db_index=True, help_text="What the email is about, e.g. a case reference.", max_length=100, verbose_name="about")),
                        ("status", models.CharField(choices=[("pending", "Waiting to be sent"), ("sending", "Being sent"), ("sent", "Sent"), ("failed", "Failed permanently")], default="pending", max_length=16, verbose_name="status")),
                        ("attempts", models.PositiveIntegerField(default=0, verbose_name="attempts")),
                        ("next_attempt_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="next attempt")),
                        ("claimed_at", models.DateTimeField(blank=True, null=True, verbose_name="claimed at")),
                        ("last_error", models.TextField(blank=True, verbose_name="last error")),
                        ("created_at", models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="written")),
                        ("sent_at", models.DateTimeField(blank=True, null=True, verbose_name="sent")),
                    ],
                    options={
                        "verbose_name": "outgoing email",
                        "verbose_name_plural": "outgoing email",
                        "ordering": ["-created_at", "-pk"],
                        "indexes": [models.Index(condition=models.Q(("status__in", ["pending", "sending"])), fields=["next_attempt_at"], name="core_outbox_due_idx")],
                    },
                ),
                migrations.CreateModel(
                    name="SentNotice",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("key", models.CharField(max_length=200, unique=True, verbose_name="key")),
                        ("category", models.CharField(db_index=True, max_length=32, verbose_name="category")),
                        ("created_at", models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="sent")),
                        ("superseded", models.BooleanField(default=False, verbose_name="superseded")),
                        ("recipients", models.PositiveIntegerField(default=0, verbose_name="recipients")),
                    ],
                    options={
                        "verbose_name": "sent notice",
                        "verbose_name_plural": "sent notices",
                        "ordering": ["-created_at"],
                    },
                ),
                migrations.CreateModel(
                    name="WorkerCheck",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("origin", models.CharField(choices=[("web", "Staff, from the admin"), ("beat", "Scheduled heartbeat"), ("command", "Command line")], max_length=16, verbose_name="origin")),
                        ("requested_at", models.DateTimeField(auto_now_add=True, verbose_name="requested at")),
                        ("completed_at", models.DateTimeField(blank=True, null=True, verbose_name="completed at")),
                        ("worker", models.CharField(blank=True, max_length=255, verbose_name="worker")),
                        ("requested_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="requested by")),
                    ],
                    options={
                        "verbose_name": "worker check",
                        "verbose_name_plural": "worker checks",
                        "ordering": ["-requested_at"],
                        "indexes": [models.Index(fields=["-completed_at"], name="core_wc_completed_idx")],
                    },
                ),
            ],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
