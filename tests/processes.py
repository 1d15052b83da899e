"""Running the project's own commands as separate processes, as deployments do."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
BIN_DIR = Path(sys.executable).parent


def project_env(**overrides: str) -> dict[str, str]:
    """The current environment plus overrides, with the virtualenv's scripts on PATH."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env["PATH"] = f"{BIN_DIR}{os.pathsep}{env.get('PATH', '')}"
    env.update(overrides)
    return env


def database_url(name: str) -> str:
    """The URL of database `name` on the test database's server (a TCP host, or the embedded
    server's socket), for a process of its own."""
    from django.db import connections

    from core.db import database_url as url_on_server

    return url_on_server(connections["default"].settings_dict, name)


def manage(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def python(code: str, *, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start_celery_worker(*extra: str, env: dict[str, str], log_path: Path) -> subprocess.Popen:
    """Start `celery -A config worker` in its own process group, logging to `log_path`."""
    log = open(log_path, "ab")  # noqa: SIM115 - the process owns it for its lifetime
    return subprocess.Popen(
        [str(BIN_DIR / "celery"), "-A", "config", "worker", "--loglevel=INFO", *extra],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(process: subprocess.Popen, timeout: float = 15) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
