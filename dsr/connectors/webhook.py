"""The webhook connector: a signed JSON POST to the system, which answers later by a signed
callback (dsr.views.webhook_callback -> dsr.services.callbacks.webhook_callback).

Request body (JSON):
  {"task": "<task public id>", "reference": "DSR-2026-000123", "operation": "erase",
   "identifiers": {"emails": ["anna@example.org"]}, "callback_url": "https://.../dsr/callback/<task>/",
   "sent_at": "2026-03-05T09:00:00+00:00"}
Header `X-Portal-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, keyed with
the connector's webhook secret. Callbacks are signed the same way, over their raw body.

A 2xx answer means the system accepted the work: the task waits for the callback. A network
error, a timeout, 408, 429 or 5xx is transient (retried); any other answer is permanent.
"""

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request

from django.utils import timezone

from dsr.connectors.base import (
    ConnectorRequest,
    ConnectorResult,
    PermanentConnectorError,
    TransientConnectorError,
)

SIGNATURE_HEADER = "X-Portal-Signature"
# Seconds to wait for the system to accept the request.
REQUEST_TIMEOUT = 20
# A callback signed longer ago (or further ahead) than this is refused as a possible replay.
SIGNATURE_TOLERANCE = 300
TRANSIENT_STATUSES = frozenset({408, 425, 429})


def sign(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    """The signature header value for `body`."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(
        secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={digest}"


class SignatureError(Exception):
    """The signature is missing, malformed, wrong or outside the time tolerance."""


def verify(secret: str, body: bytes, header: str, *, now: float | None = None) -> None:
    """Raise SignatureError unless `header` signs `body` with `secret`, recently enough.

    Several v1 values are accepted (a sender rotating its secret signs with both)."""
    timestamp, candidates = None, []
    for part in (header or "").split(","):
        key, _sep, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        raise SignatureError("missing or malformed signature")
    now = time.time() if now is None else now
    if abs(now - timestamp) > SIGNATURE_TOLERANCE:
        raise SignatureError("signature timestamp outside the allowed window")
    expected = sign(secret, body, timestamp=timestamp).split("v1=", 1)[1]
    # Constant-time comparison for every candidate, so timing says nothing about the secret.
    matches = [hmac.compare_digest(expected, candidate) for candidate in candidates]
    if not any(matches):
        raise SignatureError("signature does not match")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirected POST would arrive as a GET without its body: refuse it instead."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def payload(request: ConnectorRequest) -> bytes:
    return json.dumps(
        {
            "task": request.task_public_id,
            "reference": request.case_reference,
            "operation": request.operation,
            "identifiers": {"emails": list(request.emails)},
            "callback_url": request.callback_url,
            "sent_at": timezone.now().isoformat(),
        },
        separators=(",", ":"),
    ).encode()


def run(request: ConnectorRequest) -> ConnectorResult:
    connector = request.connector
    if not connector.webhook_url or not connector.webhook_secret:
        raise PermanentConnectorError("the connector has no webhook URL or secret")
    if not connector.webhook_url.startswith(("https://", "http://")):
        raise PermanentConnectorError("the webhook URL must be http(s)")
    if not request.emails:
        raise PermanentConnectorError("no email address to identify the person by")
    body = payload(request)
    http_request = urllib.request.Request(  # noqa: S310 - scheme checked above
        connector.webhook_url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "privacy-portal",
            SIGNATURE_HEADER: sign(connector.webhook_secret, body),
        },
    )
    try:
        with _opener.open(http_request, timeout=REQUEST_TIMEOUT) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
        error.close()
        if status >= 500 or status in TRANSIENT_STATUSES:
            raise TransientConnectorError(f"the system answered HTTP {status}") from error
        raise PermanentConnectorError(f"the system refused the request: HTTP {status}") from error
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise TransientConnectorError(f"could not reach the system: {reason}") from error
    if not 200 <= status < 300:
        raise PermanentConnectorError(f"unexpected answer: HTTP {status}")
    return ConnectorResult(
        waiting=True, summary={"operation": request.operation, "accepted": status}
    )
