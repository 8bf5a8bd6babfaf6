"""Who gets a notification: assigned to you, mentioned, customer replied on your ticket."""

from __future__ import annotations

import pytest

from tests.support import open_ticket
from zabota.accounts.models import Agent, Team
from zabota.customers.models import Contact
from zabota.notifications.mentions import parse_mentions
from zabota.notifications.models import Notification, NotificationKind
from zabota.tickets.actions import add_follower, add_note, reply, update_ticket
from zabota.tickets.models import Ticket

# Listeners run after commit, as in production: each action commits on its own.
pytestmark = pytest.mark.django_db(transaction=True)


def notes_for(agent: Agent) -> list[tuple[str, int, str]]:
    return [
        (n.kind, n.ticket_id, n.actor_name) for n in Notification.objects.filter(agent=agent).order_by("id")
    ]


# --- Assigned ----------------------------------------------------------------------------------


def test_assigning_a_ticket_notifies_the_new_assignee(
    admin: Agent, alice_agent: Agent, support_ticket: Ticket
) -> None:
    update_ticket(actor=admin, ticket_id=support_ticket.pk, assignee=alice_agent)
    assert notes_for(alice_agent) == [(NotificationKind.ASSIGNED, support_ticket.pk, "Ada Admin")]
    assert notes_for(admin) == []


def test_taking_a_ticket_yourself_notifies_no_one(alice_agent: Agent, support_ticket: Ticket) -> None:
    update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, assignee=alice_agent)
    assert Notification.objects.count() == 0


def test_unassigning_and_other_changes_notify_no_one(
    admin: Agent, alice_agent: Agent, support_ticket: Ticket
) -> None:
    update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, assignee=alice_agent)
    update_ticket(actor=admin, ticket_id=support_ticket.pk, assignee=None)
    update_ticket(actor=admin, ticket_id=support_ticket.pk, priority=3)
    assert Notification.objects.count() == 0


def test_a_ticket_opened_assigned_to_someone_notifies_them(
    admin: Agent, alice_agent: Agent, carol_customer: Contact, support_team: Team
) -> None:
    ticket = open_ticket(carol_customer, actor=admin, team=support_team, assignee=alice_agent)
    assert notes_for(alice_agent) == [(NotificationKind.ASSIGNED, ticket.pk, "Ada Admin")]


def test_a_deactivated_agent_is_not_notified(
    admin: Agent, alice_agent: Agent, support_ticket: Ticket
) -> None:
    update_ticket(actor=admin, ticket_id=support_ticket.pk, assignee=alice_agent)
    Notification.objects.all().delete()
    Agent.objects.filter(pk=alice_agent.pk).update(is_active=False)
    add_note(actor=admin, ticket_id=support_ticket.pk, body_text="@alice ping")
    assert Notification.objects.count() == 0


# --- Mentioned ---------------------------------------------------------------------------------


def test_a_note_mentioning_an_agent_by_email_name_notifies_them(
    alice_agent: Agent, dave_collaborator: Agent, support_ticket: Ticket
) -> None:
    note = add_note(
        actor=alice_agent, ticket_id=support_ticket.pk, body_text="@dave is this the queue again?"
    )
    [n] = Notification.objects.filter(agent=dave_collaborator)
    assert (n.kind, n.ticket_id, n.message_id, n.actor_name) == (
        NotificationKind.MENTIONED,
        support_ticket.pk,
        note.pk,
        "Alice Agent",
    )


def test_a_mention_by_full_name_in_quotes(admin: Agent, alice_agent: Agent, support_ticket: Ticket) -> None:
    add_note(actor=admin, ticket_id=support_ticket.pk, body_text='Over to you, @"alice agent".')
    assert notes_for(alice_agent) == [(NotificationKind.MENTIONED, support_ticket.pk, "Ada Admin")]


def test_a_public_reply_can_mention_too(admin: Agent, alice_agent: Agent, support_ticket: Ticket) -> None:
    reply(actor=admin, ticket_id=support_ticket.pk, body_text="Hello! cc @alice.")
    assert notes_for(alice_agent) == [(NotificationKind.MENTIONED, support_ticket.pk, "Ada Admin")]


def test_an_email_address_is_not_a_mention(admin: Agent, alice_agent: Agent, support_ticket: Ticket) -> None:
    add_note(actor=admin, ticket_id=support_ticket.pk, body_text="The customer wrote to alice@zabota.test")
    assert Notification.objects.count() == 0


def test_a_mention_of_someone_who_cannot_see_the_ticket_notifies_no_one(
    sam_security: Agent, bob_other_team: Agent, security_ticket: Ticket
) -> None:
    add_note(actor=sam_security, ticket_id=security_ticket.pk, body_text='@bob @"Bob Billing" have a look')
    assert Notification.objects.count() == 0


def test_mentioning_yourself_or_nobody_notifies_no_one(alice_agent: Agent, support_ticket: Ticket) -> None:
    add_note(actor=alice_agent, ticket_id=support_ticket.pk, body_text="Note to self @alice, and @nobody")
    assert Notification.objects.count() == 0


def test_a_customer_cannot_mention_agents(
    alice_agent: Agent, carol_customer: Contact, support_ticket: Ticket
) -> None:
    reply(actor=carol_customer, ticket_id=support_ticket.pk, body_text="@alice @admin please hurry")
    assert Notification.objects.count() == 0


def test_mentions_are_parsed_like_a_person_would_read_them() -> None:
    assert parse_mentions('@alice, @Bob.Smith. mail x@y.z @"Ada  Admin" @-no') == (
        {"alice", "bob.smith"},
        {"Ada Admin"},
    )


# --- Customer replied --------------------------------------------------------------------------


def test_a_customer_reply_notifies_the_assignee_and_agent_followers(
    admin: Agent,
    alice_agent: Agent,
    dave_collaborator: Agent,
    bob_other_team: Agent,
    carol_customer: Contact,
    support_ticket: Ticket,
) -> None:
    update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, assignee=alice_agent)
    add_follower(actor=dave_collaborator, ticket_id=support_ticket.pk, agent=dave_collaborator)
    message = reply(actor=carol_customer, ticket_id=support_ticket.pk, body_text="Still broken.")
    for agent in (alice_agent, dave_collaborator):
        [n] = Notification.objects.filter(agent=agent)
        assert (n.kind, n.message_id, n.actor_name) == (
            NotificationKind.CUSTOMER_REPLIED,
            message.pk,
            "Carol Customer",
        )
    assert not Notification.objects.filter(agent__in=[admin, bob_other_team]).exists()


def test_a_new_ticket_from_a_customer_is_not_a_reply(carol_customer: Contact, support_team: Team) -> None:
    open_ticket(carol_customer, team=support_team)
    assert Notification.objects.count() == 0


def test_an_agents_own_reply_does_not_notify_the_assignee_as_a_customer_reply(
    admin: Agent, alice_agent: Agent, support_ticket: Ticket
) -> None:
    update_ticket(actor=admin, ticket_id=support_ticket.pk, assignee=alice_agent)
    Notification.objects.all().delete()
    reply(actor=admin, ticket_id=support_ticket.pk, body_text="We are looking into it.")
    assert Notification.objects.count() == 0
