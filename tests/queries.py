"""Counting the queries of one page view."""

from django.db import connection
from django.test.utils import CaptureQueriesContext


def page_queries(client, url) -> int:
    """Queries of one page view, leaving out session storage (the engine is configurable)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return sum("django_session" not in query["sql"] for query in queries.captured_queries)
