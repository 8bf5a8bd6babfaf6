"""The embedded path end to end: an HTTP request served on a WSGI pool thread (as `zabota run`
serves it) changes a ticket, and the listener's push reaches a socket on the server's loop."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
from asgiref.testing import ApplicationCommunicator
from channels.auth import AuthMiddlewareStack
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.core.handlers.wsgi import WSGIHandler
from django.db import connections

from tests.support import Api
from tests.web.live_support import Socket, flush_layer, run, session_headers, watch_ticket
from zabota.accounts.models import Agent
from zabota.config.asgi import PooledWsgiToAsgi, closing
from zabota.tickets.models import Ticket
from zabota.web.routing import websocket_urlpatterns

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _clean_layer() -> Iterator[None]:
    flush_layer()
    yield
    flush_layer()


@pytest.fixture
def server() -> Iterator[ProtocolTypeRouter]:
    """The application `zabota run` serves, with a one-thread HTTP pool we can clean up."""
    http = PooledWsgiToAsgi(closing(WSGIHandler()), threads=1)
    yield ProtocolTypeRouter(
        {
            "http": http,
            "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
        }
    )
    http.executor.submit(connections.close_all).result()
    http.executor.shutdown()


async def post(app: ProtocolTypeRouter, path: str, token: str, body: dict[str, object]) -> int:
    payload = json.dumps(body).encode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(payload)).encode()),
            (b"authorization", f"Bearer {token}".encode()),
        ],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }
    comm = ApplicationCommunicator(app, scope)
    await comm.send_input({"type": "http.request", "body": payload, "more_body": False})
    start = await comm.receive_output(10)
    while (await comm.receive_output(10)).get("more_body"):
        pass
    return int(start["status"])


def test_a_note_posted_over_http_reaches_the_other_agents_socket(
    server: ProtocolTypeRouter,
    api_for: Callable[..., Api],
    admin: Agent,
    alice_agent: Agent,
    support_ticket: Ticket,
) -> None:
    token = api_for(admin).token
    headers = session_headers(alice_agent)

    async def scenario() -> None:
        alice = Socket(server, "/ws/workspace/", headers)
        connected, _ = await alice.connect()
        assert connected
        await watch_ticket(alice, support_ticket.pk)
        status = await post(
            server, f"/api/v1/tickets/{support_ticket.pk}/notes", token, {"body": "@alice look"}
        )
        assert status == 201
        got = {}
        while len(got) < 2:
            message = await alice.receive_json_from(timeout=3)
            if message["type"] in ("ticket", "notification"):
                got[message["type"]] = message
        assert got["ticket"] == {
            "type": "ticket",
            "ticket": support_ticket.pk,
            "number": support_ticket.number,
            "what": "message",
        }
        assert got["notification"] == {"type": "notification", "unread": 1}
        await alice.disconnect()

    run(scenario)
