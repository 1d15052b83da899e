"""Developer machine and `make run`: zero setup by default.

The database is the embedded PostgreSQL server in VAR_DIR/pg (config/localdb.py; `make run`
starts and stops it) and the broker kombu's filesystem transport, which needs no server. Set
DATABASE_URL and CELERY_BROKER_URL to use a PostgreSQL and a Redis of your own.
"""

from config import localdb

from .base import *  # noqa: F403
from .base import (
    CELERY_BROKER_URL,
    FIELD_ENCRYPTION_KEYS,
    IDENTIFIER_HASH_KEY,
    INSTALLED_APPS,
    MEDIA_ROOT,
    STATIC_ROOT,
    VAR_DIR,
    database_from_env,
    env,
)

# The demo (`seed_demo`) and data at scale (`seed_scale`, `make bench`): never in production.
INSTALLED_APPS = [*INSTALLED_APPS, "demo", "bench"]

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-local-development-key")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

for folder in (VAR_DIR, STATIC_ROOT, MEDIA_ROOT):
    folder.mkdir(parents=True, exist_ok=True)
DATABASES = {"default": database_from_env(default=localdb.url(VAR_DIR))}

# No broker server needed: kombu's filesystem transport in folders under VAR_DIR (the host is
# only a name), with messages written whole before a worker can see them (core/broker.py).
CELERY_BROKER_URL = CELERY_BROKER_URL or "filesystem://localhost/"
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT = "core.broker:Transport"
    _broker = VAR_DIR / "broker"
    for _folder in ("queue", "processed", "control"):
        (_broker / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker / "queue"),
        "data_folder_out": str(_broker / "queue"),
        "processed_folder": str(_broker / "processed"),
        "control_folder": str(_broker / "control"),
        "store_processed": False,
    }

# Well-known keys, fine for local-development data only; production requires its own.
FIELD_ENCRYPTION_KEYS = FIELD_ENCRYPTION_KEYS or ["ksdxUkyc9O202d2HgxmdQpVwfcyJr33CNU3AMpWgq0U="]
IDENTIFIER_HASH_KEY = IDENTIFIER_HASH_KEY or "local-development-identifier-hash-key"
