"""Developer machine and `make run`: zero setup by default.

SQLite and kombu's filesystem broker need no server; set DATABASE_URL and CELERY_BROKER_URL to
run the same thing on PostgreSQL and Redis.
"""

from .base import *  # noqa: F403
from .base import (
    FIELD_ENCRYPTION_KEYS,
    IDENTIFIER_HASH_KEY,
    MEDIA_ROOT,
    STATIC_ROOT,
    VAR_DIR,
    database_from_env,
    env,
)

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-local-development-key")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

for folder in (VAR_DIR, STATIC_ROOT, MEDIA_ROOT):
    folder.mkdir(parents=True, exist_ok=True)
DATABASES = {"default": database_from_env(default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}

# Well-known keys, fine for local-development data only; production requires its own.
FIELD_ENCRYPTION_KEYS = FIELD_ENCRYPTION_KEYS or ["ksdxUkyc9O202d2HgxmdQpVwfcyJr33CNU3AMpWgq0U="]
IDENTIFIER_HASH_KEY = IDENTIFIER_HASH_KEY or "local-development-identifier-hash-key"
