from django.apps import AppConfig
from django.apps import apps as global_apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def sync_roles_after_migrate(sender, using, apps=global_apps, **kwargs):
    """After every `migrate` (and a flush, which passes no `apps`): the role groups hold
    their permissions, those of models added since included."""
    try:
        apps.get_model("auth", "Group")
        apps.get_model("contenttypes", "ContentType")
    except LookupError:  # migrated back to before the auth tables
        return
    from accounts.roles import create_model_permissions, sync_role_permissions

    create_model_permissions(using=using)
    sync_role_permissions(using=using)


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Staff accounts")

    def ready(self):
        post_migrate.connect(
            sync_roles_after_migrate, sender=self, dispatch_uid="accounts.sync_role_permissions"
        )
