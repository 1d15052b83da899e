from django.db import DatabaseError
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from core import health, selectors


@never_cache
@require_safe
def healthz(request):
    """200 when the database and the broker answer, 503 otherwise; no configuration leaks."""
    status = health.service_status()
    database = status.database
    last_seen = None
    if database:
        try:
            last_seen = selectors.worker_last_seen()
        except DatabaseError:  # reachable, but not migrated (a deployment half done)
            database = False
    healthy = database and status.broker
    body = {
        "status": "ok" if healthy else "unavailable",
        "database": "ok" if database else "unavailable",
        "broker": "ok" if status.broker else "unavailable",
    }
    if database:
        body["worker_last_seen_seconds"] = (
            None if last_seen is None else int((timezone.now() - last_seen).total_seconds())
        )
    return JsonResponse(body, status=200 if healthy else 503)
