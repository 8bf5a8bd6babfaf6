"""The ASGI application `zabota run` serves: HTTP through the pooled WSGI adapter."""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.testing import ApplicationCommunicator
from django.core.handlers.wsgi import WSGIHandler
from django.db import connections

from zabota.config.asgi import PooledWsgiToAsgi, closing


async def _get(
    app: PooledWsgiToAsgi, path: str, headers: list[tuple[bytes, bytes]] | None = None
) -> tuple[int, dict[bytes, bytes], bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1")] + (headers or []),
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }
    comm = ApplicationCommunicator(app, scope)
    await comm.send_input({"type": "http.request", "body": b"", "more_body": False})
    start = await comm.receive_output(10)
    body = b""
    while True:
        msg = await comm.receive_output(10)
        body += msg.get("body", b"")
        if not msg.get("more_body"):
            break
    return start["status"], dict(start["headers"]), body


@pytest.mark.django_db(transaction=True)
def test_requests_are_answered_through_the_asgi_application() -> None:
    app = PooledWsgiToAsgi(closing(WSGIHandler()), threads=1)  # the adapter `zabota run` serves HTTP with
    try:
        _exercise(app)
    finally:
        # The pool thread keeps its database connection open (that is the point); close it so
        # the test database can be dropped.
        app.executor.submit(connections.close_all).result()
        app.executor.shutdown()


def _exercise(app: PooledWsgiToAsgi) -> None:
    for _ in range(3):
        status, headers, body = asyncio.run(_get(app, "/healthz"))
        assert status == 200
        assert json.loads(body)["checks"] == {"database": "ok", "queue": "ok"}
    status, headers, body = asyncio.run(_get(app, "/api/v1/tickets"))
    assert status == 401
    assert headers[b"content-type"].startswith(b"application/json")
    assert json.loads(body)["error"]["code"] == "unauthorized"


@pytest.mark.django_db(transaction=True)
def test_every_request_through_the_adapter_is_finished(monkeypatch) -> None:
    """Django's request_finished (which recycles database connections) fires for each one."""
    from django.core.signals import request_finished

    finished = []

    def count(**kwargs: object) -> None:
        finished.append(1)

    request_finished.connect(count)
    app = PooledWsgiToAsgi(closing(WSGIHandler()), threads=1)
    try:
        for _ in range(3):
            asyncio.run(_get(app, "/healthz"))
    finally:
        request_finished.disconnect(count)
        app.executor.submit(connections.close_all).result()
        app.executor.shutdown()

    assert len(finished) == 3
