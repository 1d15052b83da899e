"""Small helpers shared by tests."""

from collections.abc import Callable

from django.db import connection
from django.test.utils import CaptureQueriesContext


def count_queries(action: Callable[[], object]) -> int:
    """How many SQL queries `action` runs on the default database."""
    with CaptureQueriesContext(connection) as ctx:
        action()
    return len(ctx.captured_queries)


def queries_of_get(client, url: str) -> int:
    """Query count of a GET that must succeed; for "flat as rows grow" assertions."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)
