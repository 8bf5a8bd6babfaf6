"""A new notification, or reading one, updates the bell on every open page of that agent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from channels.db import database_sync_to_async

from tests.web.live_support import flush_layer, open_socket, receive_until, run, watch_ticket
from zabota.accounts.models import Agent
from zabota.notifications.actions import mark_all_read, notify
from zabota.notifications.models import Notification, NotificationKind
from zabota.tickets.actions import add_note
from zabota.tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _clean_layer() -> Iterator[None]:
    flush_layer()
    yield
    flush_layer()


def test_a_mention_rings_the_bell_of_the_mentioned_agent_only(
    admin: Agent, alice_agent: Agent, bob_other_team: Agent, support_ticket: Ticket
) -> None:
    async def scenario() -> None:
        alice = await open_socket(alice_agent)
        bob = await open_socket(bob_other_team)
        await database_sync_to_async(add_note)(
            actor=admin, ticket_id=support_ticket.pk, body_text="@alice could you call the customer?"
        )
        assert await receive_until(alice, lambda m: m["type"] == "notification") == {
            "type": "notification",
            "unread": 1,
        }
        assert await bob.receive_nothing(timeout=0.5)

        await database_sync_to_async(mark_all_read)(agent=alice_agent)
        assert await receive_until(alice, lambda m: m["type"] == "notification") == {
            "type": "notification",
            "unread": 0,
        }
        await alice.disconnect()
        await bob.disconnect()

    run(scenario)


def test_opening_the_ticket_reads_its_notifications(
    admin: Agent, alice_agent: Agent, support_ticket: Ticket, billing_ticket: Ticket
) -> None:
    notify(agent_ids=[alice_agent.pk], kind=NotificationKind.MENTIONED, ticket_id=support_ticket.pk)
    other = notify(agent_ids=[alice_agent.pk], kind=NotificationKind.ASSIGNED, ticket_id=billing_ticket.pk)

    async def scenario() -> None:
        alice = await open_socket(alice_agent)
        await watch_ticket(alice, support_ticket.pk)
        assert await receive_until(alice, lambda m: m["type"] == "notification") == {
            "type": "notification",
            "unread": 1,
        }
        await alice.disconnect()

    run(scenario)
    assert list(Notification.objects.filter(agent=alice_agent, read_at__isnull=True)) == other
