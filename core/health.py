"""Reachability of the services the portal depends on, for /healthz and the status page.

Results are plain "ok" / "unavailable": the reason goes to the log, never into the response,
because a health endpoint is public and error texts carry hosts, ports and user names.
"""

import logging
from dataclasses import dataclass

from celery import current_app
from django.db import connections

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 3


@dataclass(frozen=True)
class ServiceStatus:
    database: bool
    broker: bool

    @property
    def healthy(self) -> bool:
        return self.database and self.broker


def database_reachable(alias: str = "default") -> bool:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.warning("health: database %r unreachable", alias, exc_info=True)
        return False
    return True


def broker_reachable() -> bool:
    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT_SECONDS)
            channel = conn.default_channel
            client = getattr(channel, "client", None)
            # Redis connects lazily: a PING proves the server answers, not just the socket.
            if client is not None and hasattr(client, "ping"):
                client.ping()
    except Exception:
        logger.warning("health: broker unreachable", exc_info=True)
        return False
    return True


def service_status() -> ServiceStatus:
    return ServiceStatus(database=database_reachable(), broker=broker_reachable())
