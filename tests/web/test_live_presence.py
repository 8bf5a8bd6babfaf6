"""Presence and collision detection: agents on the same ticket see who is viewing and typing.

No server state: hello / here / heartbeat / bye between sockets, so the same tests pass on the
in-memory layer and on Redis."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.contrib.sessions.backends.db import SessionStore

from tests.web.live_support import flush_layer, open_socket, receive_until, run, socket_for, watch_ticket
from zabota.accounts.models import Agent
from zabota.tickets.models import Ticket
from zabota.web.consumers import WorkspaceConsumer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _clean_layer() -> Iterator[None]:
    flush_layer()
    yield
    flush_layer()


def agents(message: dict[str, Any]) -> list[tuple[str, bool]]:
    return [(a["name"], a["typing"]) for a in message["agents"]]


def presence_is(expected: list[tuple[str, bool]]) -> Any:
    return lambda m: m["type"] == "presence" and agents(m) == expected


def test_two_agents_on_a_ticket_see_each_other_and_who_is_typing(
    alice_agent: Agent, admin: Agent, support_ticket: Ticket
) -> None:
    async def scenario() -> None:
        alice = await open_socket(alice_agent)
        assert agents(await watch_ticket(alice, support_ticket.pk)) == []
        ada = await open_socket(admin)
        await watch_ticket(ada, support_ticket.pk)

        # Each sees the other, never themselves.
        seen_by_alice = await receive_until(alice, presence_is([("Ada Admin", False)]))
        assert seen_by_alice["agents"][0]["id"] == admin.pk
        await receive_until(ada, presence_is([("Alice Agent", False)]))

        # Ada starts writing a reply: Alice's page shows the collision.
        await ada.send_json_to({"type": "typing", "ticket": support_ticket.pk, "on": True})
        await receive_until(alice, presence_is([("Ada Admin", True)]))
        await ada.send_json_to({"type": "typing", "ticket": support_ticket.pk, "on": False})
        await receive_until(alice, presence_is([("Ada Admin", False)]))

        # Ada leaves the ticket ("bye"): Alice is alone again.
        await ada.disconnect()
        await receive_until(alice, presence_is([]))
        await alice.disconnect()

    run(scenario)


def test_unwatching_says_bye(alice_agent: Agent, admin: Agent, support_ticket: Ticket) -> None:
    async def scenario() -> None:
        alice = await open_socket(alice_agent)
        await watch_ticket(alice, support_ticket.pk)
        ada = await open_socket(admin)
        await watch_ticket(ada, support_ticket.pk)
        await receive_until(alice, presence_is([("Ada Admin", False)]))
        await ada.send_json_to({"type": "unwatch-ticket", "ticket": support_ticket.pk})
        await receive_until(alice, presence_is([]))
        await ada.disconnect()
        await alice.disconnect()

    run(scenario)


def test_an_agents_other_tab_is_not_shown_to_them(
    alice_agent: Agent, admin: Agent, support_ticket: Ticket
) -> None:
    async def scenario() -> None:
        first = await open_socket(alice_agent)
        await watch_ticket(first, support_ticket.pk)
        second = await open_socket(alice_agent)
        await watch_ticket(second, support_ticket.pk)
        # The two tabs know of each other but show nobody.
        assert await first.receive_nothing(timeout=0.5)
        ada = await open_socket(admin)
        await watch_ticket(ada, support_ticket.pk)
        # Two sockets of Alice show as one Alice.
        await receive_until(ada, presence_is([("Alice Agent", False)]))
        assert await ada.receive_nothing(timeout=0.3)
        for socket in (first, second, ada):
            await socket.disconnect()

    run(scenario)


def test_agents_on_other_tickets_are_not_shown(
    alice_agent: Agent, admin: Agent, support_ticket: Ticket, billing_ticket: Ticket
) -> None:
    async def scenario() -> None:
        alice = await open_socket(alice_agent)
        await watch_ticket(alice, support_ticket.pk)
        ada = await open_socket(admin)
        await watch_ticket(ada, billing_ticket.pk)
        await ada.send_json_to({"type": "typing", "ticket": billing_ticket.pk, "on": True})
        assert await alice.receive_nothing(timeout=0.5)
        await alice.disconnect()
        await ada.disconnect()

    run(scenario)


def test_a_silent_peer_is_dropped_and_heartbeats_keep_live_ones(
    monkeypatch: pytest.MonkeyPatch, alice_agent: Agent, admin: Agent, support_ticket: Ticket
) -> None:
    """A browser whose process died says no bye: it is dropped after PRESENCE_TTL of silence,
    while sockets that heartbeat stay listed."""
    monkeypatch.setattr(WorkspaceConsumer, "TICK", 0.1)
    monkeypatch.setattr(WorkspaceConsumer, "HEARTBEAT", 0.2)
    monkeypatch.setattr(WorkspaceConsumer, "PRESENCE_TTL", 1.5)

    async def scenario() -> None:
        alice = await open_socket(alice_agent)
        await watch_ticket(alice, support_ticket.pk)
        ada = await open_socket(admin)
        await watch_ticket(ada, support_ticket.pk)
        await receive_until(alice, presence_is([("Ada Admin", False)]))

        layer = get_channel_layer()
        ghost = await layer.new_channel()
        await layer.group_send(
            f"ticket.{support_ticket.pk}",
            {
                "type": "presence.hello",
                "ticket": support_ticket.pk,
                "sender": ghost,
                "agent": 999,
                "name": "Ghost Agent",
                "typing": False,
            },
        )
        await receive_until(alice, presence_is([("Ada Admin", False), ("Ghost Agent", False)]))
        # The ghost never heartbeats: gone after the TTL; Ada heartbeats and stays.
        await receive_until(alice, presence_is([("Ada Admin", False)]))
        assert await alice.receive_nothing(timeout=2.0)
        await alice.disconnect()
        await ada.disconnect()

    run(scenario)


def test_typing_stops_by_itself_when_not_refreshed(
    monkeypatch: pytest.MonkeyPatch, alice_agent: Agent, admin: Agent, support_ticket: Ticket
) -> None:
    """A tab closed mid-sentence does not leave "is typing…" behind."""
    monkeypatch.setattr(WorkspaceConsumer, "TICK", 0.1)
    monkeypatch.setattr(WorkspaceConsumer, "TYPING_TTL", 0.4)

    async def scenario() -> None:
        alice = await open_socket(alice_agent)
        await watch_ticket(alice, support_ticket.pk)
        ada = await open_socket(admin)
        await watch_ticket(ada, support_ticket.pk)
        await ada.send_json_to({"type": "typing", "ticket": support_ticket.pk, "on": True})
        await receive_until(alice, presence_is([("Ada Admin", True)]))
        await receive_until(alice, presence_is([("Ada Admin", False)]))
        await alice.disconnect()
        await ada.disconnect()

    run(scenario)


def test_logging_out_everywhere_closes_open_sockets(
    monkeypatch: pytest.MonkeyPatch, alice_agent: Agent
) -> None:
    monkeypatch.setattr(WorkspaceConsumer, "TICK", 0.1)
    monkeypatch.setattr(WorkspaceConsumer, "AGENT_REFRESH", 0.2)

    async def scenario() -> None:
        alice = await open_socket(alice_agent)
        await database_sync_to_async(
            lambda: Agent.objects.filter(pk=alice_agent.pk).update(
                session_version=alice_agent.session_version + 1
            )
        )()
        closed = await alice.receive_output(timeout=3)
        assert closed["type"] == "websocket.close"

    run(scenario)


def test_a_deactivated_agents_socket_is_closed(monkeypatch: pytest.MonkeyPatch, alice_agent: Agent) -> None:
    monkeypatch.setattr(WorkspaceConsumer, "TICK", 0.1)
    monkeypatch.setattr(WorkspaceConsumer, "AGENT_REFRESH", 0.2)

    async def scenario() -> None:
        alice = await open_socket(alice_agent)
        await database_sync_to_async(
            lambda: Agent.objects.filter(pk=alice_agent.pk).update(is_active=False)
        )()
        closed = await alice.receive_output(timeout=3)
        assert closed["type"] == "websocket.close"

    run(scenario)


def test_logging_out_closes_the_socket(monkeypatch: pytest.MonkeyPatch, alice_agent: Agent) -> None:
    monkeypatch.setattr(WorkspaceConsumer, "TICK", 0.1)
    monkeypatch.setattr(WorkspaceConsumer, "AGENT_REFRESH", 0.2)
    socket = socket_for(alice_agent)
    cookie = dict(socket.scope["headers"])[b"cookie"].decode()
    session_key = cookie.split("=", 1)[1]

    async def scenario() -> None:
        connected, _ = await socket.connect()
        assert connected
        # The same thing /logout/ does to the session.
        await database_sync_to_async(lambda: SessionStore(session_key).delete())()
        closed = await socket.receive_output(timeout=3)
        assert closed["type"] == "websocket.close"

    run(scenario)


def test_a_tab_open_longer_than_the_group_expiry_keeps_its_pushes(
    monkeypatch: pytest.MonkeyPatch, alice_agent: Agent
) -> None:
    monkeypatch.setattr(WorkspaceConsumer, "TICK", 0.1)
    monkeypatch.setattr(WorkspaceConsumer, "GROUP_REFRESH", 0.3)
    layer = get_channel_layer()
    monkeypatch.setattr(layer, "group_expiry", 1)

    async def scenario() -> None:
        alice = await open_socket(alice_agent)
        await asyncio.sleep(1.6)
        await layer.group_send(
            f"agent.{alice_agent.pk}", {"type": "live.push", "payload": {"type": "notification", "unread": 5}}
        )
        assert await alice.receive_json_from(timeout=3) == {"type": "notification", "unread": 5}
        await alice.disconnect()

    run(scenario)
