"""Settings shared by every environment.

Everything that differs between machines comes from the environment through the single `env`
below; each variable is documented in README.md and .env.example. Environment files
(local, test, production) only choose defaults and add what is specific to them.
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

# Runtime state kept out of the source tree's tracked files: the embedded PostgreSQL's data
# (make run), the embedded broker's folders, uploaded and generated files, the beat schedule.
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])

# The public address of the portal, used in emailed links (verification, status, digests).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[SITE_URL])

INSTALLED_APPS = [
    "accounts.admin_config.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "axes",
    # Apps depend one way: accounts <- core <- privacy <- processors <- dsr.
    "accounts",
    "core",
    "privacy",
    "processors",
    "dsr",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.PortalCSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into its "try later" page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "privacy.context_processors.controller",
                "privacy.context_processors.policy_banner",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# Each environment file sets DATABASES from DATABASE_URL (with its own default, or none).
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def database_from_env(default: str | None) -> dict:
    """DATABASES["default"] from DATABASE_URL (PostgreSQL; the only engine)."""
    config = env.db("DATABASE_URL", default=default) if default else env.db("DATABASE_URL")
    if config["ENGINE"] != "django.db.backends.postgresql":
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("DATABASE_URL must be a PostgreSQL URL (postgres://...).")
    config["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    config["CONN_HEALTH_CHECKS"] = True
    return config


CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
# Django's Redis backend, keeping one client per connection pool (core/cache.py).
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "core.cache.PooledRedisCache"
# How many reverse proxies of ours sit in front of the web server (for client addresses in
# rate limits and the access log); 0 means clients connect directly.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# --- Encryption at rest (core/crypto.py) ----------------------------------------------------
# Fernet keys, newest first; older keys keep decrypting until `reencrypt_fields` has run.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
# Key of the HMAC that makes identifiers (emails) findable without storing them in clear.
IDENTIFIER_HASH_KEY = env.str("IDENTIFIER_HASH_KEY", default="")

# --- Accounts and authentication ------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "/admin/login/"
TWO_FACTOR_URL = "/admin/two-factor/"
TWO_FACTOR_SETUP_URL = "/admin/two-factor/setup/"
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses sign-ins while an account is locked out.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Lock-out after repeated failed sign-ins (passwords and second-factor codes alike).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
# Locked by account (against guessing one staff member's password from many addresses) and by
# address (against trying many accounts from one).
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_IPWARE_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Privacy portal")
# Passkeys (django-otp-webauthn), a second factor after the password like the app's code. A
# passkey belongs to one domain, SITE_URL's; browsers allow passkeys on https:// and on
# http://localhost only, never on an IP address: a development SITE_URL on the loopback address
# offers them at http://localhost:<port>.
_PASSKEY_SITE = urlsplit(SITE_URL)
OTP_WEBAUTHN_RP_ID = (
    "localhost" if _PASSKEY_SITE.hostname in {"127.0.0.1", "::1"} else _PASSKEY_SITE.hostname
)
OTP_WEBAUTHN_RP_NAME = OTP_TOTP_ISSUER
_PASSKEY_PORT = f":{_PASSKEY_SITE.port}" if _PASSKEY_SITE.port not in (None, 80, 443) else ""
OTP_WEBAUTHN_ALLOWED_ORIGINS = [f"{_PASSKEY_SITE.scheme}://{OTP_WEBAUTHN_RP_ID}{_PASSKEY_PORT}"]
# Never a passkey alone: its sign-in views need the password step's pending user.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
# The privacy officer sees staff's devices to remove a lost one; never their keys or codes.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Sessions end after this long without a request (every request renews the cookie).
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("sv", _("Swedish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Legal dates are computed in this zone (domain.md section 2); timestamps are stored in UTC.
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Stockholm")
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files --------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Uploaded documents (agreements, evidence) larger than this are refused with a message.
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=20 * 2**20)

# Fonts are read by WeasyPrint from disk, never downloaded: no point compressing them.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (
    *("jpg", "jpeg", "png", "gif", "webp", "zip", "gz", "tgz", "bz2", "tbz", "xz", "br"),
    *("woff", "woff2", "ttf"),
)

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Email ----------------------------------------------------------------------------------
# EMAIL_URL selects the backend: smtp://user:pass@host:25, smtp+tls://...:587, consolemail://
# The parsed URL sets EMAIL_BACKEND, EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD,
# EMAIL_USE_TLS and EMAIL_USE_SSL.
globals().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Privacy team <privacy@localhost>")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)

# --- Celery ---------------------------------------------------------------------------------
# Redis in production; each environment file chooses its default (local: no server at all).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
# JSON only: task arguments are ids and plain values, never pickled objects or personal data.
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
# Results that matter land in the database; the broker is not a result store.
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
# Acknowledge on receipt by default; tasks that are idempotent opt in to acks_late themselves,
# and only those are redelivered when a worker dies.
CELERY_TASK_ACKS_LATE = False
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A web request that enqueues must not hang on a dead broker: fail fast, the sweepers catch up.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}
# Longer than any task's time limit, and nothing is scheduled in the broker further ahead than
# this: an unacknowledged message is redelivered only after it, so an ETA beyond it would repeat.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    "socket_connect_timeout": 3,
    "socket_timeout": 10,
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# The outbox (core.OutboxEmail): retries with exponential backoff, then gives up visibly.
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=8)
OUTBOX_RETRY_BASE_SECONDS = 60
OUTBOX_RETRY_MAX_SECONDS = 6 * 60 * 60
# A send claimed longer ago than this belongs to a worker that died; another may take it.
OUTBOX_CLAIM_TIMEOUT = timedelta(minutes=10)
OUTBOX_SWEEP_SECONDS = env.int("OUTBOX_SWEEP_SECONDS", default=60)

# Seconds between the worker's heartbeats, shown on /healthz and the system status page.
WORKER_HEARTBEAT_SECONDS = env.int("WORKER_HEARTBEAT_SECONDS", default=300)
# How long worker checks are kept before the heartbeat task prunes them.
WORKER_CHECK_RETENTION = timedelta(days=7)

CELERY_BEAT_SCHEDULE = {
    # Requests from the public form are registered on commit; this catches the rest.
    "dsr-register-submissions": {
        "task": "dsr.tasks.sweep_unregistered_submissions",
        "schedule": timedelta(minutes=1),
        "options": {"expires": 60},
    },
    "outbox-sweep": {
        "task": "core.tasks.outbox_sweep",
        "schedule": timedelta(seconds=OUTBOX_SWEEP_SECONDS),
        "options": {"expires": OUTBOX_SWEEP_SECONDS},
    },
    "dsr-prune-closed-cases": {
        "task": "dsr.tasks.prune_closed_cases",
        "schedule": timedelta(hours=24),
        "options": {"expires": 3600},
    },
    "dsr-retention-sweep": {
        "task": "dsr.tasks.sweep_retention",
        "schedule": timedelta(hours=24),
        "options": {"expires": 3600},
    },
    "processors-review-reminders": {
        "task": "processors.tasks.send_review_reminders",
        "schedule": timedelta(hours=6),
        "options": {"expires": 3600},
    },
    "dsr-case-reminders": {
        "task": "dsr.tasks.sweep_case_reminders",
        "schedule": timedelta(minutes=15),
        "options": {"expires": 900},
    },
    # Digests are due on the hour in each manager's time zone: sent within 15 minutes of it.
    "dsr-digests": {
        "task": "dsr.tasks.sweep_digests",
        "schedule": timedelta(minutes=15),
        "options": {"expires": 900},
    },
    "dsr-sweep-exports": {
        "task": "dsr.tasks.sweep_exports",
        "schedule": timedelta(minutes=5),
        "options": {"expires": 300},
    },
    "dsr-close-unconfirmed": {
        "task": "dsr.tasks.close_unconfirmed_cases",
        "schedule": timedelta(hours=1),
        "options": {"expires": 3600},
    },
    "privacy-policy-notices": {
        "task": "privacy.tasks.send_policy_notices",
        "schedule": timedelta(minutes=1),
        "options": {"expires": 60},
    },
    "worker-heartbeat": {
        "task": "core.tasks.worker_heartbeat",
        "schedule": timedelta(seconds=WORKER_HEARTBEAT_SECONDS),
        "options": {"expires": WORKER_HEARTBEAT_SECONDS},
    },
    "dsr-sweep-pending-tasks": {
        "task": "dsr.tasks.sweep_pending_case_tasks",
        "schedule": timedelta(minutes=2),
        "options": {"expires": 120},
    },
}


# --- Data subject requests -----------------------------------------------------------------
# Legal periods are data, not constants in code (dsr/deadlines.py applies them).
DSR_DEADLINE_TIME_ZONE = env.str("DSR_DEADLINE_TIME_ZONE", default="Europe/Stockholm")
DSR_HOLIDAY_COUNTRY = env.str("DSR_HOLIDAY_COUNTRY", default="SE")
DSR_DEADLINE_MONTHS = 1  # Art. 12(3): one month from receipt
DSR_EXTENSION_MONTHS = 2  # Art. 12(3): by two further months where necessary
# The company's promise in its policy ("within 30 days"); alerts use the earlier date.
DSR_RESPONSE_DAYS = env.int("DSR_RESPONSE_DAYS", default=30)
# Public forms: attempts allowed per hour, per client address and per email address.
DSR_REQUEST_LIMIT_PER_IP = env.int("DSR_REQUEST_LIMIT_PER_IP", default=20)
DSR_REQUEST_LIMIT_PER_EMAIL = env.int("DSR_REQUEST_LIMIT_PER_EMAIL", default=5)
# Closed cases are reduced to what proof needs (reference, dates, outcome, hashes) after this
# many days, so the portal does not keep what the company promised to erase.
DSR_PRUNE_AFTER = timedelta(days=env.int("DSR_PRUNE_AFTER_DAYS", default=3 * 365))
# The emailed confirmation link of a self-service request is valid this long, once.
DSR_VERIFICATION_LINK_TTL = timedelta(hours=24)
# Self-service requests never confirmed are closed (with a notice) after this many days.
DSR_UNCONFIRMED_CLOSE_AFTER = timedelta(days=env.int("DSR_UNCONFIRMED_CLOSE_DAYS", default=14))

# How far in the future a moment typed by staff (received at, done at) may lie: clocks differ.
DSR_CLOCK_SLACK = timedelta(minutes=5)
# The queue's "due soon" (filters and digests: within this many days of the legal due date or
# the target date) and the days left at or below which it shows amber.
DSR_DUE_SOON_DAYS = 7
DSR_QUEUE_AMBER_DAYS = 3

# Deadline reminders: days before the target date (plus the day itself), and how many days
# before the first due date staff are reminded that an extension is still possible.
DSR_REMINDER_LEAD_DAYS = [
    int(d) for d in env.list("DSR_REMINDER_LEAD_DAYS", default=["7", "3", "1"])
]
DSR_EXTENSION_REMINDER_DAYS = env.int("DSR_EXTENSION_REMINDER_DAYS", default=5)
# Where reminders of unassigned requests go; empty means every privacy officer.
PRIVACY_TEAM_EMAIL = env.str("PRIVACY_TEAM_EMAIL", default="")

# Reviews: how many days ahead an agreement, transfer or processing activity counts as due for
# review (reminders, the "Review due" filters, digests); and the days before the objection
# deadline of an announced sub-processor change when the team is reminded.
REVIEW_REMINDER_DAYS = env.int("REVIEW_REMINDER_DAYS", default=30)
OBJECTION_REMINDER_DAYS = env.int("OBJECTION_REMINDER_DAYS", default=7)
# The next review of an activity, agreement or transfer is proposed this many months after one.
REVIEW_INTERVAL_MONTHS = env.int("REVIEW_INTERVAL_MONTHS", default=12)

# Retention sweep: rows per statement, statements per run and rule, and how long a dry run
# stays good enough to switch a rule on.
RETENTION_BATCH_SIZE = env.int("RETENTION_BATCH_SIZE", default=1000)
RETENTION_MAX_BATCHES = 10_000
RETENTION_DRY_RUN_VALID_DAYS = 30

# Policy change notices: emails written per sweep (a sweep a minute), and how long the public
# pages show the banner after a material change takes effect.
POLICY_NOTICE_BATCH_SIZE = env.int("POLICY_NOTICE_BATCH_SIZE", default=200)
POLICY_BANNER_DAYS = env.int("POLICY_BANNER_DAYS", default=30)

# Exports (access reports and data packages): how long files stay downloadable, when a build
# that has not finished is taken over, and the requester's one-time download code.
DSR_EXPORT_TTL = timedelta(days=env.int("DSR_EXPORT_TTL_DAYS", default=7))
DSR_EXPORT_BUILD_TIMEOUT = timedelta(minutes=30)
DSR_DOWNLOAD_CODE_TTL = timedelta(minutes=10)
DSR_DOWNLOAD_CODE_MAX_ATTEMPTS = 5

# --- Logging --------------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # WeasyPrint narrates every render at INFO.
        "weasyprint.progress": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

# --- Content-Security-Policy (django-csp) --------------------------------------------------
# Nothing from other origins, no inline scripts, no plugins, no framing; the admin alone may
# use inline style attributes (core.middleware.PortalCSPMiddleware).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
CSP_ADMIN_PREFIX = "/admin/"

# --- Security defaults shared by all environments -------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
