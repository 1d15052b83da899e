"""Requests per second of the public self-service pages, against a constant view.

    python -m bench --only selfservice        (or: python -m bench.selfservice [--seconds 10])

Server: gunicorn `config.wsgi` with two sync workers on 127.0.0.1, started with bench/settings.py
(production's settings: DEBUG off, WhiteNoise over collected static files with its manifest,
persistent database connections, HSTS and secure cookies behind a TLS proxy, which the load
generator plays by sending X-Forwarded-Proto: https). Data: a scratch PostgreSQL database
(`bench_selfservice_<random>` next to DATABASE_URL's, migrated, seeded with `seed_demo`,
dropped at the end). Redis database 14 is the Celery broker and the cache; it is flushed
before and after.

Load: wrk (Debian package `wrk`, installed with apt-get when missing, as .ci/run installs
Chromium), one thread and CONNECTIONS connections on loopback, WARMUP_SECONDS of warm-up that
is thrown away, then SECONDS measured per endpoint:
- the constant view (bench/urls.py: the same middleware, no work; it exists only in the bench's
  URL configuration), run before the first endpoint and again after each one: an endpoint's
  baseline is the mean of the two constant runs around it, so load from others on the shared
  cores that comes and goes weighs on both sides of its ratio;
- GET /privacy/ (home), GET /privacy/request/ (the form), GET /privacy/status/<token>/ (the
  demo request with the most letters), and GET /privacy/request/sent/ (no target: the shared
  layout and a few sentences, the floor under every public page);
- POST /privacy/request/: a valid form with the CSRF cookie and token fetched once from the
  form page beforehand (a token stays valid for every post with its cookie), a different email
  address on every request, and the empty honeypot field. Each answer must be the redirect to
  the "request sent" page; any other status stops the bench.

Rate limits are off for the bench (bench/settings.py sets DSR_REQUEST_LIMIT_PER_IP and
DSR_REQUEST_LIMIT_PER_EMAIL to 10**9): one loopback address would otherwise be refused after 20.
Each submission writes its submission row (the rights asked for wait in it, encrypted) and
queues its registration task in Redis on commit, as in production; no worker runs, so the
figure covers the web request only, not registering the cases and writing and sending the
confirmation email, which the worker does (EMAIL_URL is the console backend regardless).

Figures per endpoint: requests per second against the constant view's (targets: at least 0.3x
for the GET pages and 0.1x for the submission: `target_is_minimum` is true on these rows) and
the p99 latency against the median (target: at most 3x). wrk measures latency from the client,
closed-loop: with more connections than workers, it includes the wait in gunicorn's backlog.
Two cores are shared by wrk, gunicorn, PostgreSQL and whatever else runs: the load average is
printed before and after.
"""

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
import uuid
from http.cookies import SimpleCookie
from pathlib import Path

from bench.common import (
    child,
    database_create,
    database_drop,
    print_table,
    row,
    scratch_database,
)

BASE_DIR = Path(__file__).resolve().parent.parent
REDIS_URL = "redis://127.0.0.1:6379/14"
WORKERS = 2
CONNECTIONS = 4
SECONDS = 10
WARMUP_SECONDS = 3
GET_TARGET = 0.3
POST_TARGET = 0.1
TAIL_TARGET = 3.0
CONSTANT_PATH = "/bench/constant/"
HOME_PATH = "/privacy/"
FORM_PATH = "/privacy/request/"
SENT_PATH = "/privacy/request/sent/"
STATUS_PATH = "/privacy/status/{token}/"
CONSTANT_LABEL = f"GET {CONSTANT_PATH} (constant view)"
POST_LABEL = f"POST {FORM_PATH} (submit a request)"


# --- wrk ------------------------------------------------------------------------------------


def ensure_wrk() -> str:
    """wrk's path; installs Debian's package when it is missing and apt-get can."""
    found = shutil.which("wrk")
    if found:
        return found
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        raise RuntimeError(
            "The selfservice bench needs wrk (https://github.com/wg/wrk) and cannot install it "
            "here (no apt-get, or not root). Install it, e.g. `sudo apt-get install wrk`, "
            "or skip the section: python -m bench --only exports"
        )
    print("   wrk is missing: apt-get install wrk", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [apt, "install", "-y", "--no-install-recommends", "wrk"]
    if subprocess.run(install, env=env, check=False).returncode != 0:  # noqa: S603
        subprocess.run([apt, "update"], env=env, check=True)  # noqa: S603
        subprocess.run(install, env=env, check=True)  # noqa: S603
    found = shutil.which("wrk")
    if found is None:
        raise RuntimeError("apt-get installed wrk, but it is not on PATH")
    return found


# Written per run: GET runs leave `request` undefined (wrk sends one prepared request), the
# POST run builds each body with a new email address. Every status is counted for the check.
LUA = string.Template(
    r"""-- Written by bench/selfservice.py for one wrk run.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_id", #threads)
end

wrk.method = "$method"
$headers
statuses = {}
sent = 0
local body_before = $body_before
local body_after = $body_after

if body_before ~= nil then
  request = function()
    sent = sent + 1
    return wrk.format(nil, nil, nil, body_before .. thread_id .. "-" .. sent .. body_after)
  end
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      counts[status] = (counts[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(counts) do
    table.insert(parts, string.format('"%d": %d', status, n))
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH-JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, ' ..
    '"p99_us": %d, "max_us": %d, "errors": {"connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d}, "statuses": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout,
    table.concat(parts, ", ")))
end
"""
)


def _lua_string(value: str | None) -> str:
    if value is None:
        return "nil"
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def lua_script(
    method: str, headers: dict[str, str], body_before: str | None = None, body_after: str = ""
) -> str:
    """The wrk script of one run; a POST body is body_before + "<thread>-<n>" + body_after."""
    lines = [f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items()]
    return LUA.substitute(
        method=method,
        headers="\n".join(lines),
        body_before=_lua_string(body_before),
        body_after=_lua_string(body_after if body_before is not None else None),
    )


def parse_wrk(output: str) -> dict:
    """The figures the script's done() printed, with rps and milliseconds worked out."""
    for line in output.splitlines():
        if line.startswith("BENCH-JSON "):
            figures = json.loads(line.removeprefix("BENCH-JSON "))
            break
    else:
        raise RuntimeError(f"wrk printed no figures:\n{output[-2000:]}")
    figures["statuses"] = {int(k): v for k, v in figures["statuses"].items()}
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
    for key in ("p50", "p90", "p99", "max"):
        figures[f"{key}_ms"] = figures[f"{key}_us"] / 1000
    return figures


def run_wrk(
    wrk: str, url: str, script: str, *, seconds: int, connections: int, folder: Path
) -> dict:
    path = folder / f"run-{uuid.uuid4().hex[:8]}.lua"
    path.write_text(script)
    command = [
        wrk,
        "--threads",
        "1",
        "--connections",
        str(connections),
        "--duration",
        f"{seconds}s",
        "--timeout",
        "10s",
        "--script",
        str(path),
        url,
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise RuntimeError(f"wrk failed ({result.returncode}):\n{result.stderr[-2000:]}")
    return parse_wrk(result.stdout)


# --- Data (in a child process with the bench's settings) -----------------------------------


def seed() -> dict:
    """Migrate, collect static files, load the demo; the status token of the demo request with
    the most letters (the heaviest status page the demo has)."""
    from io import StringIO

    import django

    django.setup()
    from django.core.management import call_command
    from django.db.models import Count

    from dsr.models import Submission

    out = StringIO()
    call_command("migrate", verbosity=0, stdout=out)
    call_command("collectstatic", interactive=False, verbosity=0, stdout=out)
    call_command("seed_demo", allow_production=True, stdout=out)
    submission = (
        Submission.objects.exclude(status_token_hash="")
        .annotate(letters=Count("cases__letters", distinct=True), n=Count("cases", distinct=True))
        .order_by("-letters", "-n", "pk")
        .first()
    )
    if submission is None:
        raise RuntimeError("seed_demo made no request with a status page")
    return {
        "status_token": submission.status_token,
        "cases": submission.n,
        "letters": submission.letters,
    }


# --- The server -----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _environment(database: str, folder: Path, port: int) -> dict:
    from cryptography.fernet import Fernet

    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "PYTHONPATH": str(BASE_DIR),
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": f"https://127.0.0.1:{port}",
        "USE_X_FORWARDED_PROTO": "true",
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "IDENTIFIER_HASH_KEY": secrets.token_urlsafe(32),
        "DATABASE_URL": database,
        "CELERY_BROKER_URL": REDIS_URL,
        "CACHE_URL": REDIS_URL,
        "EMAIL_URL": "consolemail://",
        "VAR_DIR": str(folder / "var"),
        "MEDIA_ROOT": str(folder / "media"),
        "STATIC_ROOT": str(folder / "static"),
    }


def _flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def _request(port: int, method: str, path: str, *, headers=None, body=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(
            method, path, body=body, headers={"X-Forwarded-Proto": "https", **(headers or {})}
        )
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def _wait_until_up(port: int, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{log.read_text()[-4000:]}")
        try:
            if _request(port, "GET", CONSTANT_PATH)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer within 60 s:\n{log.read_text()[-4000:]}")


def _csrf(port: int) -> tuple[str, str, str]:
    """(cookie name, cookie value, form token) from one visit of the request form."""
    status, headers, body = _request(port, "GET", FORM_PATH)
    if status != 200:
        raise RuntimeError(f"GET {FORM_PATH} answered {status}")
    cookies = SimpleCookie()
    for header in headers.get_all("Set-Cookie") or []:
        cookies.load(header)
    name = next((key for key in cookies if key.endswith("csrftoken")), None)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if name is None or token is None:
        raise RuntimeError("the request form set no CSRF cookie or token")
    return name, cookies[name].value, token.group(1).decode()


def _post_parts(port: int, csrf: tuple[str, str, str], tag: str) -> tuple[dict, str, str]:
    """Headers and the body around the per-request part of the email address."""
    cookie_name, cookie_value, token = csrf
    headers = {
        "X-Forwarded-Proto": "https",
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": f"{cookie_name}={cookie_value}",
        # Behind TLS, Django's CSRF check wants the Origin (or Referer) of the site itself.
        "Origin": f"https://127.0.0.1:{port}",
    }
    before = f"csrfmiddlewaretoken={token}&rights=access&email=bench.{tag}-"
    after = (
        "%40example.com&name=Bench+Requester&rectification=&objection=&details="
        "&age_confirmed=on&website="
    )
    return headers, before, after


def _check_once(port: int, paths: dict[str, str], csrf, tag: str) -> None:
    """One request to each endpoint before any load: a broken page fails here, clearly."""
    for label, path in paths.items():
        status = _request(port, "GET", path)[0]
        if status != 200:
            raise RuntimeError(f"{label} answered {status}, not 200")
    headers, before, after = _post_parts(port, csrf, tag)
    status, answer, _body = _request(
        port, "POST", FORM_PATH, headers=headers, body=f"{before}check{after}".encode()
    )
    if status != 302 or not answer.get("Location", "").endswith(SENT_PATH):
        raise RuntimeError(f"POST {FORM_PATH} answered {status}, not the redirect to {SENT_PATH}")


# --- Measurements ---------------------------------------------------------------------------


def _measure(wrk, port, label, path, script, *, seconds, connections, folder, expected):
    url = f"http://127.0.0.1:{port}{path}"
    run_wrk(wrk, url, script, seconds=WARMUP_SECONDS, connections=connections, folder=folder)
    figures = run_wrk(wrk, url, script, seconds=seconds, connections=connections, folder=folder)
    unexpected = {s: n for s, n in figures["statuses"].items() if s != expected}
    print(
        f"   {label:<40} {figures['rps']:8.1f} req/s  p50 {figures['p50_ms']:6.1f} ms  "
        f"p99 {figures['p99_ms']:6.1f} ms  ({figures['requests']} requests, "
        f"statuses {figures['statuses']}, socket errors {figures['errors']})",
        flush=True,
    )
    if unexpected:
        raise RuntimeError(f"{label}: answers other than {expected}: {unexpected}")
    return figures


def run(*, seconds: int = SECONDS, connections: int = CONNECTIONS, keep: bool = False) -> list:
    """Measure and return one dict per figure (see the module's docstring)."""

    wrk = ensure_wrk()
    print(f"   load average before: {_load()}", flush=True)
    scratch, name = scratch_database("selfservice")
    folder = Path(tempfile.mkdtemp(prefix="bench-selfservice-"))
    port = _free_port()
    env = _environment(scratch, folder, port)
    for sub in ("var", "media", "static"):
        (folder / sub).mkdir()
    server = None
    log = folder / "gunicorn.log"
    measured = {}
    try:
        database_create(name)
        _flush_redis()
        data = child("bench.selfservice", ["seed"], env)
        print(
            f"   seeded: status page of {data['cases']} case(s) with {data['letters']} letters",
            flush=True,
        )
        with log.open("w") as log_file:
            server = subprocess.Popen(  # noqa: S603 - gunicorn with arguments made here
                [
                    *(sys.executable, "-m", "gunicorn", "config.wsgi:application"),
                    *("--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS)),
                    *("--worker-class", "sync", "--timeout", "60", "--log-level", "warning"),
                ],
                cwd=BASE_DIR,
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        _wait_until_up(port, server, log)
        print(
            f"   gunicorn: {WORKERS} sync workers on 127.0.0.1:{port}; wrk: {connections} "
            f"connections, {WARMUP_SECONDS} s warm-up, {seconds} s measured per endpoint; "
            "rate limits off (bench/settings.py)",
            flush=True,
        )
        pages = {
            f"GET {HOME_PATH}": (HOME_PATH, GET_TARGET),
            f"GET {FORM_PATH}": (FORM_PATH, GET_TARGET),
            f"GET {STATUS_PATH.replace('{token}', '<token>')}": (
                STATUS_PATH.format(token=data["status_token"]),
                GET_TARGET,
            ),
            # No target: the shared layout with a few sentences, the floor under every page.
            f"GET {SENT_PATH}": (SENT_PATH, None),
        }
        csrf = _csrf(port)
        _check_once(port, {label: path for label, (path, _t) in pages.items()}, csrf, "check")
        get_script = lua_script("GET", {"X-Forwarded-Proto": "https"})
        options = {"seconds": seconds, "connections": connections, "folder": folder}

        def measure(label, path, script=get_script, expected=200):
            return _measure(wrk, port, label, path, script, expected=expected, **options)

        headers, before, after = _post_parts(port, csrf, uuid.uuid4().hex[:8])
        runs = [(label, path, get_script, 200, target) for label, (path, target) in pages.items()]
        runs.append(
            (POST_LABEL, FORM_PATH, lua_script("POST", headers, before, after), 302, POST_TARGET)
        )
        # The constant view before and after every endpoint: each endpoint is compared with
        # the mean of the two runs around it, so a neighbour's load that comes and goes on the
        # shared cores weighs on both sides of the ratio.
        constants = [measure(CONSTANT_LABEL, CONSTANT_PATH)]
        for label, path, script, expected, target in runs:
            measured[label] = (measure(label, path, script, expected), target)
            constants.append(measure(CONSTANT_LABEL, CONSTANT_PATH))
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        _flush_redis()
        if not keep:
            database_drop(name)
            shutil.rmtree(folder, ignore_errors=True)
        else:
            print(f"kept: {scratch} and {folder}", file=sys.stderr)
    print(f"   load average after: {_load()}", flush=True)

    return figures_to_rows(measured, constants)


def figures_to_rows(measured: dict, constants: list[dict]) -> list[dict]:
    """The harness's rows from wrk's figures: `measured` maps each endpoint's label to (its
    figures, its throughput target, or None for a page measured only for comparison, which then
    has no latency target either) in the order run; `constants` holds the constant
    view's runs, one before the first endpoint and one after each."""
    every = [c["rps"] for c in constants]
    results = [
        {
            **row(
                f"selfservice: {CONSTANT_LABEL} rps (mean of {len(every)} runs)",
                sum(every) / len(every),
                "req/s",
            ),
            "runs": [round(rps, 1) for rps in every],
        },
        row(
            f"selfservice: {CONSTANT_LABEL} p99 latency (baseline: p50)",
            max(c["p99_ms"] for c in constants),
            "ms",
            sum(c["p50_ms"] for c in constants) / len(constants),
        ),
    ]
    for n, (label, (figures, target)) in enumerate(measured.items()):
        around = (constants[n]["rps"] + constants[n + 1]["rps"]) / 2
        results.append(
            row(
                f"selfservice: {label} rps (baseline: constant view around it)",
                figures["rps"],
                "req/s",
                around,
                target,
                ratio_target=True,
                minimum=True,
            )
        )
        results.append(
            row(
                f"selfservice: {label} p99 latency (baseline: p50)",
                figures["p99_ms"],
                "ms",
                figures["p50_ms"],
                # The floor page measured for comparison carries no target of either kind.
                TAIL_TARGET if target is not None else None,
                ratio_target=True,
            )
        )
    return results


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        if argv[1:] != ["seed"]:
            raise SystemExit(f"unknown child command {argv[1:]!r}")
        print(json.dumps(seed()))
        return 0
    parser = argparse.ArgumentParser(prog="python -m bench.selfservice", description=__doc__)
    parser.add_argument("--seconds", type=int, default=SECONDS, help="measured per endpoint")
    parser.add_argument("--connections", type=int, default=CONNECTIONS)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    options = parser.parse_args(argv)

    results = run(seconds=options.seconds, connections=options.connections, keep=options.keep)
    print_table(results)
    return 1 if any(r["ok"] is False for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
