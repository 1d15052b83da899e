"""The test suite: real PostgreSQL and Redis on this machine (see README, `make test`).

pytest-django creates a test database of each run's own from DATABASE_URL's (tests/conftest.py).
Redis database 15 keeps test broker traffic away from a developer's running worker, and each run
has a queue of its own there.
"""

import os

from .base import *  # noqa: F403
from .base import (
    FIELD_ENCRYPTION_KEYS,
    IDENTIFIER_HASH_KEY,
    INSTALLED_APPS,
    LOGGING,
    database_from_env,
    env,
)

# The demo (`seed_demo`) and data at scale (`seed_scale`, `make bench`): never in production.
INSTALLED_APPS = [*INSTALLED_APPS, "demo", "bench"]

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-test-key-used-only-by-the-test-suite")
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]

DATABASES = {
    "default": database_from_env(default="postgres://postgres@127.0.0.1:5432/privacy_portal"),
}
# Live-server tests run the app in a thread; persistent connections would outlive the test DB.
DATABASES["default"]["CONN_MAX_AGE"] = 0

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/15")
# Each run its own queue on the shared test Redis, as it has its own database: another run's
# worker never takes this run's tasks, and its purge never empties them. Set in the environment,
# so that the workers a test starts as processes consume the same queue.
CELERY_TASK_DEFAULT_QUEUE = os.environ.setdefault("PORTAL_TEST_QUEUE", f"tests-{os.getpid()}")

# Fast hashing: tests create many users; production keeps Django's default hashers.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Tests point email at the SMTP server they start (tests/conftest.py).
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env.str("EMAIL_HOST", default="127.0.0.1")
EMAIL_PORT = env.int("EMAIL_PORT", default=2525)
EMAIL_TIMEOUT = 5

# Tests serve static files from the apps' folders (live server), never from a collected root.
STATIC_ROOT = None

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Well-known keys, fine for test-suite data only; production requires its own.
FIELD_ENCRYPTION_KEYS = FIELD_ENCRYPTION_KEYS or ["ka_XqIyKg-WeMENbV8koMkhGpsC55Oo9xiHD0BOamW4="]
IDENTIFIER_HASH_KEY = IDENTIFIER_HASH_KEY or "test-suite-identifier-hash-key"

# The test SMTP server (aiosmtpd) narrates every connection at INFO.
LOGGING["loggers"]["mail.log"] = {"level": "WARNING"}
