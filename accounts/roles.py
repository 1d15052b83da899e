"""The staff roles, as Django groups, and what each may see or do: the one place for it.

ROLE_GRANTS below is the whole table. sync_role_permissions() makes the four groups hold
exactly those permissions; it runs in a data migration and after every `migrate`, so a model
added later is covered by the app-wide rules ("privacy.*") as soon as its table exists.

The admins refuse more on top (a published policy version, a decided sub-processor change and
every record that is proof are never edited, whoever asks); a role never gets a permission to
change or delete proof in the first place. Group names are stored in the database, so they are
plain (untranslated) strings.
"""

from dataclasses import dataclass

from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS, models


class Role(models.TextChoices):
    PRIVACY_OFFICER = "privacy_officer", "Privacy officer"
    SUPPORT_AGENT = "support_agent", "Support agent"
    MANAGER = "manager", "Manager"
    AUDITOR = "auditor", "Auditor"

    @property
    def group_name(self) -> str:
        return self.label


VIEW, ADD, CHANGE, DELETE = "view", "add", "change", "delete"
# Not one of Django's four: sees every row, where others see only their own (see PERMISSIONS).
VIEW_ALL = "view_all"

READ = frozenset({VIEW})
EDIT = frozenset({VIEW, ADD, CHANGE})

# Permissions beyond Django's default four, by (app label, model, action): their names.
EXTRA_PERMISSIONS = {
    ("dsr", "dsrcase", VIEW_ALL): "Can view every request, not only own and unassigned ones",
    ("accounts", "digestsubscription", VIEW_ALL): "Can view every manager's digests",
}

# --- Kinds of rows ---------------------------------------------------------------------------
# Models are named "app_label.model_name"; "app_label.*" is every model of the app.

# Tables nobody works with through the admin: Django's bookkeeping, counters, hashed links and
# codes, backup codes in clear, passkey ceremonies.
INTERNAL = (
    "admin.logentry",
    "auth.permission",
    "contenttypes.contenttype",
    "sessions.session",
    "otp_static.statictoken",
    "django_otp_webauthn.webauthnattestation",
    "django_otp_webauthn.webauthnuserhandle",
    "axes.accessattemptexpiration",
    "dsr.referencecounter",
    "dsr.verificationtoken",
    "dsr.downloadcode",
)
ACCESS_LOG = "core.accesslogentry"
# Proof of what was done and said: written by the portal's services, never changed or deleted.
RECORDS = (
    ACCESS_LOG,
    "privacy.consentrecord",
    "core.sentnotice",
    "privacy.policynotice",
    "core.outboxemail",
    "core.workercheck",
    "dsr.caseevent",
    "dsr.letter",
    "dsr.exportfile",
    "dsr.retentionrun",
)
# The register as support agents need it to handle requests: who we are, what we process,
# where and for how long, the data subjects and their consents, the recipients.
REGISTER = (
    "privacy.controllerprofile",
    "privacy.organisation",
    "privacy.retentionrule",
    "privacy.datacategory",
    "privacy.processingactivity",
    "privacy.system",
    "privacy.datasubject",
    "privacy.subjectemail",
    "privacy.policyversion",
    "privacy.consentrecord",
    "processors.*",
)
# Requests and the work on them: registering, acting on cases, tasks, exports.
REQUESTS = (
    "dsr.submission",
    "dsr.dsrcase",
    "dsr.casepause",
    "dsr.casetask",
    "dsr.retaineddata",
    "dsr.exportjob",
)
# What handling a request shows besides the request itself.
REQUEST_RECORDS = ("dsr.caseevent", "dsr.letter", "dsr.exportfile", "dsr.lettertemplate")
# The only rows anyone deletes: register rows, settings and a subject's address. Never a
# request, an event, a consent record, a letter, an export or a log row.
DELETABLE = (
    "privacy.organisation",
    "privacy.retentionrule",
    "privacy.datacategory",
    "privacy.processingactivity",
    "privacy.system",
    "privacy.subjectemail",
    "privacy.policyversion",  # drafts only (PolicyVersionAdmin)
    "processors.processor",
    "processors.processoragreement",  # not a processor's last one (agreement_remove)
    "processors.subprocessorchange",  # pending ones only (SubprocessorChangeAdmin)
    "processors.transfer",
    "dsr.lettertemplate",  # "Reset to default"
    "dsr.systemconnector",
    "dsr.connectorquery",
    "accounts.digestsubscription",
)
# Staff's second factors: the privacy officer removes a lost phone's, nobody else sees them.
SECOND_FACTORS = (
    "otp_totp.totpdevice",
    "otp_static.staticdevice",
    "django_otp_webauthn.webauthncredential",
)
# Failed sign-ins and lock-outs (django-axes); deleting an attempt unlocks the account.
SIGN_IN_LOGS = ("axes.accessattempt", "axes.accesslog", "axes.accessfailurelog")
EVERYTHING = ("accounts.*", "auth.group", "core.*", "privacy.*", "processors.*", "dsr.*")


@dataclass(frozen=True)
class Grant:
    actions: frozenset[str]
    models: tuple[str, ...]
    exclude: tuple[str, ...] = ()


def grant(actions, *models: str, exclude: tuple[str, ...] = ()) -> Grant:
    return Grant(frozenset(actions), models, exclude)


ROLE_GRANTS: dict[Role, tuple[Grant, ...]] = {
    Role.PRIVACY_OFFICER: (
        grant(READ, *EVERYTHING, *SECOND_FACTORS, *SIGN_IN_LOGS, exclude=INTERNAL),
        # Groups are this table: they are read in the admin, not edited there.
        grant(EDIT, "accounts.*", "privacy.*", "processors.*", "dsr.*", exclude=INTERNAL + RECORDS),
        grant({ADD}, "privacy.consentrecord", "core.workercheck"),
        grant({CHANGE}, "core.outboxemail"),  # "Send again": its state, not its content
        grant({DELETE}, *DELETABLE, *SECOND_FACTORS, "axes.accessattempt"),
        grant({VIEW_ALL}, "dsr.dsrcase", "accounts.digestsubscription"),
    ),
    Role.SUPPORT_AGENT: (
        grant(READ, *REGISTER, *REQUEST_RECORDS),
        grant({ADD}, "privacy.consentrecord"),  # a withdrawal given by phone or letter
        grant(EDIT, *REQUESTS),
        # No VIEW_ALL: only their own requests and unassigned ones (dsr.permissions).
    ),
    Role.MANAGER: (
        # Read-only, the access log aside: who looked at whom is for auditors.
        grant(READ, *EVERYTHING, exclude=(*INTERNAL, ACCESS_LOG)),
        grant({ADD, CHANGE}, "accounts.digestsubscription"),  # their own (accounts.permissions)
        grant({VIEW_ALL}, "dsr.dsrcase"),
    ),
    Role.AUDITOR: (
        grant(READ, *EVERYTHING, *SIGN_IN_LOGS, exclude=INTERNAL),
        grant({VIEW_ALL}, "dsr.dsrcase", "accounts.digestsubscription"),
    ),
}


# --- Resolving the table ---------------------------------------------------------------------


def _model_names(patterns) -> set[str]:
    """The models ("app.model") the patterns name. Apps that are not installed are skipped;
    an unknown model of an installed app is an error (a typo)."""
    names = set()
    for pattern in patterns:
        app_label, _, model_name = pattern.partition(".")
        try:
            config = global_apps.get_app_config(app_label)
        except LookupError:
            continue
        if model_name == "*":
            names.update(f"{app_label}.{model._meta.model_name}" for model in config.get_models())
        else:
            names.add(f"{app_label}.{config.get_model(model_name)._meta.model_name}")
    return names


def permissions_of(role: Role) -> set[str]:
    """The role's permissions as "app_label.codename", the form User.has_perm takes."""
    codenames = set()
    for rule in ROLE_GRANTS[role]:
        for name in _model_names(rule.models) - _model_names(rule.exclude):
            app_label, model_name = name.split(".")
            codenames.update(f"{app_label}.{action}_{model_name}" for action in rule.actions)
    return codenames


def create_model_permissions(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """Django's permissions for every model, as `migrate` makes them at its end; a data
    migration runs before that end, on a fresh database before any exist."""
    from django.contrib.auth.management import create_permissions

    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using, apps=global_apps)


def sync_role_permissions(*, using: str = DEFAULT_DB_ALIAS) -> dict[Role, int]:
    """Create the four groups and give each exactly its permissions; idempotent.

    Permissions that do not exist (yet) are skipped; returns how many each group holds.
    """
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType

    for (app_label, model_name, action), name in EXTRA_PERMISSIONS.items():
        model = global_apps.get_model(app_label, model_name)
        content_type = ContentType.objects.db_manager(using).get_for_model(model)
        Permission.objects.using(using).update_or_create(
            content_type=content_type,
            codename=f"{action}_{model_name}",
            defaults={"name": name},
        )
    existing = {
        f"{app_label}.{codename}": pk
        for pk, app_label, codename in Permission.objects.using(using).values_list(
            "pk", "content_type__app_label", "codename"
        )
    }
    held = {}
    for role in Role:
        group, _created = Group.objects.using(using).get_or_create(name=role.group_name)
        wanted = [existing[name] for name in permissions_of(role) if name in existing]
        group.permissions.set(wanted)
        held[role] = len(wanted)
    return held
