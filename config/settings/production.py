"""Production: every secret from the environment, and refusal to boot on an unsafe one."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import (
    CELERY_BROKER_URL,
    FIELD_ENCRYPTION_KEYS,
    IDENTIFIER_HASH_KEY,
    LOGGING,
    SITE_URL,
    database_from_env,
    env,
)

SECRET_KEY = env.str("SECRET_KEY")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])

if DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production (it shows settings and data).")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must name the host(s) the portal is served on.")
# The same test Django's deploy check applies (security.W009), made fatal here.
if SECRET_KEY.startswith("django-insecure") or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfigured(
        "SECRET_KEY must be a random value of at least 50 characters, not a development key."
    )
if not SITE_URL.startswith("https://"):
    raise ImproperlyConfigured("SITE_URL must be the portal's https:// address in production.")

if not CELERY_BROKER_URL:
    raise ImproperlyConfigured("CELERY_BROKER_URL must name the Redis the workers consume.")
if not FIELD_ENCRYPTION_KEYS or not IDENTIFIER_HASH_KEY:
    raise ImproperlyConfigured(
        "FIELD_ENCRYPTION_KEYS and IDENTIFIER_HASH_KEY must be set: personal data is stored "
        'encrypted. Generate a key with: python -c "from cryptography.fernet import Fernet; '
        'print(Fernet.generate_key().decode())"'
    )
if len(IDENTIFIER_HASH_KEY) < 32:
    raise ImproperlyConfigured("IDENTIFIER_HASH_KEY must be at least 32 random characters.")

DATABASES = {"default": database_from_env(default=None)}

# Files (exports, evidence, contracts: personal data ones are encrypted before they are
# stored) go to MEDIA_ROOT, or to an S3-compatible bucket when one is named (pip install
# ".[s3]"): the bucket must be private; files are only ever served through the portal.
_BUCKET = env.str("S3_BUCKET", default="")
_DEFAULT_STORAGE = (
    {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": _BUCKET,
            "endpoint_url": env.str("S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("S3_REGION", default="") or None,
            "access_key": env.str("S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("S3_SECRET_ACCESS_KEY", default="") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
    if _BUCKET
    else {"BACKEND": "django.core.files.storage.FileSystemStorage"}
)
STORAGES = {
    "default": _DEFAULT_STORAGE,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# HTTPS everywhere. Behind a TLS-terminating proxy set USE_X_FORWARDED_PROTO=true.
if env.bool("USE_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# /healthz is probed over plain HTTP by load balancers inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"

# SQL parameters carry personal data: never log them, whatever LOG_LEVEL says.
LOGGING["loggers"]["django.db.backends"] = {"level": "WARNING"}
