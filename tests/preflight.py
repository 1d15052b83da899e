"""What `make test` needs besides Python, checked before anything runs (tests.preflight).

The suite uses real services and real programs, never stand-ins; a newcomer without one of
them gets one message naming each missing piece and the command that installs or starts it,
instead of dozens of failures. PostgreSQL is not on the list: without one on 127.0.0.1:5432
the suite runs on the embedded server (config/localdb.py).
"""

import os
import shutil
import socket
import sys
from dataclasses import dataclass
from urllib.parse import urlsplit

CHROMIUM = "/usr/bin/chromium"
REDIS_DEFAULT = "redis://127.0.0.1:6379/15"  # config/settings/test.py's broker


@dataclass(frozen=True)
class Missing:
    what: str
    fix: str


def _redis(url: str) -> Missing | None:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 6379
    try:
        with socket.create_connection((host, port), timeout=2) as connection:
            connection.sendall(b"PING\r\n")
            if connection.recv(64).startswith(b"+PONG"):
                return None
    except OSError:
        pass
    return Missing(
        f"Redis on {host}:{port} (the Celery broker of the tests that start a real worker)",
        "apt-get install redis-server, then: "
        f'redis-server --daemonize yes --bind {host} --port {port} --save "" --appendonly no',
    )


def _program(path_or_name: str, what: str, package: str) -> Missing | None:
    if os.path.isabs(path_or_name):
        if os.access(path_or_name, os.X_OK):
            return None
    elif shutil.which(path_or_name):
        return None
    return Missing(f"{what} ({path_or_name})", f"apt-get install {package}")


def missing() -> list[Missing]:
    checks = [
        _redis(os.environ.get("CELERY_BROKER_URL") or REDIS_DEFAULT),
        _program(CHROMIUM, "Debian's Chromium, for the page tests (Playwright)", "chromium"),
        _program("/usr/bin/pdftotext", "poppler-utils, to read PDFs back", "poppler-utils"),
        _program("msgfmt", "gettext, to check the translations compile", "gettext"),
    ]
    return [check for check in checks if check is not None]


def main() -> int:
    found = missing()
    if not found:
        return 0
    lines = ["make test cannot run: this machine is missing"]
    for item in found:
        lines += [f"  - {item.what}", f"      fix: {item.fix}"]
    lines.append("(.ci/run installs and starts all of these on a CI machine.)")
    print("\n".join(lines), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
