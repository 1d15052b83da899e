"""Loading of an optional `.env` file by the process entry points.

Only entry points (manage.py, wsgi, asgi, the Celery app) call this; settings themselves read
nothing but the process environment, and variables already set always win over the file.
The test suite never reads `.env`, so a developer's local file cannot change test behaviour.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent


def load_dotenv() -> None:
    path = BASE_DIR / ".env"
    if path.is_file():
        environ.Env.read_env(path, overwrite=False)
