"""Helpers for the live-socket tests: sockets signed in as a persona, run against the real ASGI
application (origin check, session auth, routing), on whichever channel layer is configured
(in-memory, or Redis when REDIS_URL is set).

``Socket`` is channels' ``Socket`` in a few lines: ``channels.testing`` imports
daphne (for its live server), which this project doesn't use.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from channels.db import database_sync_to_async
from channels.layers import channel_layers, get_channel_layer
from django.conf import settings
from django.test import Client

from zabota.accounts.models import Agent
from zabota.web import live


class Socket(ApplicationCommunicator):
    def __init__(self, application: Any, path: str, headers: list[tuple[bytes, bytes]]):
        scope = {
            "type": "websocket",
            "path": path,
            "query_string": b"",
            "headers": headers,
            "subprotocols": [],
        }
        super().__init__(application, scope)

    async def connect(self, timeout: float = 3) -> tuple[bool, Any]:
        await self.send_input({"type": "websocket.connect"})
        response = await self.receive_output(timeout)
        if response["type"] == "websocket.close":
            return False, response.get("code", 1000)
        assert response["type"] == "websocket.accept"
        return True, response.get("subprotocol")

    async def send_to(self, text_data: str) -> None:
        await self.send_input({"type": "websocket.receive", "text": text_data})

    async def send_json_to(self, data: Any) -> None:
        await self.send_to(json.dumps(data))

    async def receive_json_from(self, timeout: float = 3) -> Any:
        response = await self.receive_output(timeout)
        assert response["type"] == "websocket.send", response
        return json.loads(response["text"])

    async def disconnect(self, code: int = 1000, timeout: float = 3) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": code})
        await self.wait(timeout)


def session_headers(agent: Agent | None) -> list[tuple[bytes, bytes]]:
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    if agent is not None:
        client = Client()
        client.force_login(agent)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
    return headers


def socket_for(agent: Agent | None, *, origin: bytes = b"http://testserver") -> Socket:
    from zabota.config.asgi import application

    headers = [(k, origin if k == b"origin" else v) for k, v in session_headers(agent)]
    return Socket(application, "/ws/workspace/", headers=headers)


async def open_socket(agent: Agent) -> Socket:
    socket = await database_sync_to_async(socket_for)(agent)
    connected, _ = await socket.connect()
    assert connected
    return socket


async def watch_ticket(socket: Socket, ticket_id: int) -> dict[str, Any]:
    """Watch a ticket; returns the first presence list the server sends back."""
    await socket.send_json_to({"type": "watch-ticket", "ticket": ticket_id})
    return await socket.receive_json_from(timeout=3)


async def watch_inbox(socket: Socket) -> None:
    await socket.send_json_to({"type": "watch-inbox"})
    assert await socket.receive_json_from(timeout=3) == {"type": "watching", "inbox": True}


async def receive_until(socket: Socket, match: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """The first message ``match`` accepts, skipping others (presence chatter, duplicates)."""
    for _ in range(20):
        message = await socket.receive_json_from(timeout=3)
        if match(message):
            return message
    raise AssertionError("no matching message")


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run an async scenario; sync calls inside it go through ``database_sync_to_async``."""
    async_to_sync(scenario)()


def flush_layer() -> None:
    """A clean channel layer for each test. Each test runs its sockets on its own event loop;
    the layer object (channels_redis's receive lock, the in-memory queues) would otherwise
    stay bound to the previous test's loop. A server has one loop for its whole life."""
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.flush)()
    channel_layers.backends.clear()
    live._loop = None
