"""The workspace WebSocket: who may connect, what each agent's socket receives.

Runs on the configured channel layer: in-memory by default, Redis with REDIS_URL set (CI runs
the suite both ways)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from channels.db import database_sync_to_async

from tests.web.live_support import (
    flush_layer,
    open_socket,
    receive_until,
    run,
    socket_for,
    watch_inbox,
    watch_ticket,
)
from zabota.accounts.models import Agent
from zabota.customers.models import Contact
from zabota.tickets.actions import add_follower, add_note, merge_tickets, reply, update_ticket
from zabota.tickets.choices import Priority
from zabota.tickets.models import Ticket
from zabota.web import live

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _clean_layer() -> Iterator[None]:
    flush_layer()
    yield
    flush_layer()


def test_anonymous_socket_is_refused(db: None) -> None:
    async def scenario() -> None:
        socket = socket_for(None)
        connected, _ = await socket.connect()
        assert not connected
        await socket.disconnect()  # as a browser does (see the deactivated agent's story)

    run(scenario)


def test_socket_from_another_origin_is_refused(alice_agent: Agent) -> None:
    socket = socket_for(alice_agent, origin=b"http://evil.example")

    async def scenario() -> None:
        connected, _ = await socket.connect()
        assert not connected
        await socket.disconnect()  # as a browser does (see the deactivated agent's story)

    run(scenario)


def test_deactivated_agent_cannot_connect(alice_agent: Agent) -> None:
    socket = socket_for(alice_agent)
    Agent.objects.filter(pk=alice_agent.pk).update(is_active=False)

    async def scenario() -> None:
        connected, _ = await socket.connect()
        assert not connected
        # End the refused connection the way a browser does, so the consumer stops through its
        # own disconnect rather than being cancelled when the test's loop closes (on Redis, a
        # cancelled pending receive could leave that close waiting forever).
        await socket.disconnect()

    run(scenario)


def test_customer_reply_reaches_the_watching_agent(
    alice_agent: Agent, carol_customer: Contact, support_ticket: Ticket
) -> None:
    async def scenario() -> None:
        socket = await open_socket(alice_agent)
        first = await watch_ticket(socket, support_ticket.pk)
        assert first == {"type": "presence", "ticket": support_ticket.pk, "agents": []}

        await database_sync_to_async(reply)(
            actor=carol_customer, ticket_id=support_ticket.pk, body_text="Still broken, secret token 1234"
        )
        pushed = await receive_until(socket, lambda m: m["type"] == "ticket")
        assert pushed == {
            "type": "ticket",
            "ticket": support_ticket.pk,
            "number": support_ticket.number,
            "what": "message",
        }
        assert "secret" not in str(pushed)  # ids and facts only, never bodies
        await socket.disconnect()

    run(scenario)


def test_a_change_and_a_merge_reach_the_ticket_page(
    alice_agent: Agent, carol_customer: Contact, support_ticket: Ticket
) -> None:
    from tests.support import open_ticket

    other = open_ticket(carol_customer, "Also cannot log in", team=support_ticket.team)

    async def scenario() -> None:
        socket = await open_socket(alice_agent)
        await watch_ticket(socket, other.pk)
        await database_sync_to_async(update_ticket)(
            actor=alice_agent, ticket_id=other.pk, priority=Priority.HIGH
        )
        changed = await receive_until(socket, lambda m: m["type"] == "ticket")
        assert changed["what"] == "changed"
        await database_sync_to_async(merge_tickets)(
            actor=alice_agent, source_id=other.pk, target_id=support_ticket.pk
        )
        merged = await receive_until(socket, lambda m: m["type"] == "ticket")
        assert merged == {"type": "ticket", "ticket": other.pk, "number": other.number, "what": "merged"}
        await socket.disconnect()

    run(scenario)


def test_inbox_socket_gets_changes_of_visible_tickets_only(
    bob_other_team: Agent, sam_security: Agent, security_ticket: Ticket, billing_ticket: Ticket
) -> None:
    async def scenario() -> None:
        bob = await open_socket(bob_other_team)
        sam = await open_socket(sam_security)
        for socket in (bob, sam):
            await watch_inbox(socket)
        await database_sync_to_async(add_note)(
            actor=sam_security, ticket_id=security_ticket.pk, body_text="Looks like a stolen password."
        )
        got = await sam.receive_json_from(timeout=3)
        assert got == {"type": "inbox", "ticket": security_ticket.pk}
        # Bob is not on the restricted Security team: not even the id reaches him.
        assert await bob.receive_nothing(timeout=0.5)

        await database_sync_to_async(update_ticket)(
            actor=bob_other_team, ticket_id=billing_ticket.pk, priority=Priority.URGENT
        )
        assert await bob.receive_json_from(timeout=3) == {"type": "inbox", "ticket": billing_ticket.pk}
        await bob.disconnect()
        await sam.disconnect()

    run(scenario)


def test_a_batch_push_reaches_each_inbox_with_only_its_visible_tickets(
    bob_other_team: Agent, security_ticket: Ticket, billing_ticket: Ticket
) -> None:
    """An import pushes one inbox change for a whole batch of tickets: each agent's socket
    forwards the ids that agent may see, as one message, and nothing when none is visible."""

    async def scenario() -> None:
        bob = await open_socket(bob_other_team)
        await watch_inbox(bob)
        batch = {
            "type": "inbox",
            "ticket": security_ticket.pk,
            "tickets": [security_ticket.pk, billing_ticket.pk],
        }
        await database_sync_to_async(live.push)(live.INBOX_GROUP, batch)
        got = await bob.receive_json_from(timeout=3)
        assert got == {"type": "inbox", "ticket": billing_ticket.pk, "tickets": [billing_ticket.pk]}
        assert await bob.receive_nothing(timeout=0.3)
        only_secret = {"type": "inbox", "ticket": security_ticket.pk, "tickets": [security_ticket.pk]}
        await database_sync_to_async(live.push)(live.INBOX_GROUP, only_secret)
        assert await bob.receive_nothing(timeout=0.5)
        await bob.disconnect()

    run(scenario)


def test_watching_an_invisible_ticket_is_refused_like_a_missing_one(
    bob_other_team: Agent, sam_security: Agent, security_ticket: Ticket
) -> None:
    async def scenario() -> None:
        bob = await open_socket(bob_other_team)
        refused = await watch_ticket(bob, security_ticket.pk)
        assert refused == {"type": "error", "error": "not-found", "ticket": security_ticket.pk}
        missing = await watch_ticket(bob, 987654)
        assert missing == {"type": "error", "error": "not-found", "ticket": 987654}
        # And nothing about the ticket reaches him afterwards.
        await database_sync_to_async(add_note)(
            actor=sam_security, ticket_id=security_ticket.pk, body_text="internal"
        )
        assert await bob.receive_nothing(timeout=0.5)
        await bob.disconnect()

    run(scenario)


def test_watcher_who_loses_sight_of_a_ticket_stops_getting_it(
    alice_agent: Agent, admin: Agent, support_ticket: Ticket, security_team: object
) -> None:
    async def scenario() -> None:
        socket = await open_socket(alice_agent)
        await watch_ticket(socket, support_ticket.pk)
        # Moved to the restricted Security team, which Alice isn't on.
        await database_sync_to_async(update_ticket)(
            actor=admin, ticket_id=support_ticket.pk, team=security_team
        )
        assert await socket.receive_nothing(timeout=0.5)
        await socket.disconnect()

    run(scenario)


def test_following_makes_a_ticket_live_for_its_page(
    alice_agent: Agent, dave_collaborator: Agent, support_ticket: Ticket
) -> None:
    async def scenario() -> None:
        socket = await open_socket(alice_agent)
        await watch_ticket(socket, support_ticket.pk)
        await database_sync_to_async(add_follower)(
            actor=alice_agent, ticket_id=support_ticket.pk, agent=dave_collaborator
        )
        pushed = await receive_until(socket, lambda m: m["type"] == "ticket")
        assert pushed["what"] == "changed"
        await socket.disconnect()

    run(scenario)


def test_push_from_a_plain_thread_reaches_the_async_consumer(alice_agent: Agent) -> None:
    """The embedded case: a Huey or WSGI thread pushes while the sockets live on the server's
    event loop in another thread."""

    async def scenario() -> None:
        socket = await open_socket(alice_agent)
        done = threading.Event()

        def from_thread() -> None:
            live.push(live.agent_group(alice_agent.pk), {"type": "notification", "unread": 3})
            done.set()

        thread = threading.Thread(target=from_thread)
        thread.start()
        assert await socket.receive_json_from(timeout=3) == {"type": "notification", "unread": 3}
        thread.join(3)
        assert done.is_set()
        await socket.disconnect()

    run(scenario)


def test_garbage_from_the_client_is_ignored(alice_agent: Agent, support_ticket: Ticket) -> None:
    async def scenario() -> None:
        socket = await open_socket(alice_agent)
        await socket.send_to(text_data="not json")
        await socket.send_to(text_data="x" * 10000)
        await socket.send_json_to([1, 2])
        await socket.send_json_to({"type": "watch-ticket", "ticket": "1; drop"})
        await socket.send_json_to({"type": "watch-ticket", "ticket": True})
        await socket.send_json_to({"type": "typing", "ticket": support_ticket.pk, "on": True})  # not watched
        await socket.send_json_to({"type": "nonsense"})
        assert await socket.receive_nothing(timeout=0.3)
        # Still alive and working.
        assert (await watch_ticket(socket, support_ticket.pk))["type"] == "presence"
        await socket.disconnect()

    run(scenario)


def test_push_from_async_code_on_the_loop_reaches_the_consumer(alice_agent: Agent) -> None:
    async def scenario() -> None:
        socket = await open_socket(alice_agent)
        live.push(live.agent_group(alice_agent.pk), {"type": "notification", "unread": 7})  # no await
        assert await socket.receive_json_from(timeout=3) == {"type": "notification", "unread": 7}
        await socket.disconnect()

    run(scenario)


def test_a_broken_channel_layer_never_breaks_the_action(
    monkeypatch: pytest.MonkeyPatch, alice_agent: Agent, support_ticket: Ticket
) -> None:
    class Broken:
        async def group_send(self, group: str, message: dict[str, object]) -> None:
            raise ConnectionError("redis is down")

    monkeypatch.setattr(live, "get_channel_layer", lambda: Broken())
    live.push("inbox", {"type": "inbox", "ticket": 1})  # logged, not raised
    note = add_note(actor=alice_agent, ticket_id=support_ticket.pk, body_text="still saved")
    assert note.pk is not None
