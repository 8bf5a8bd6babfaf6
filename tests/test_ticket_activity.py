"""The timeline is data: every change writes an activity row, and rows never change."""

from __future__ import annotations

import pytest

from tests.support import open_ticket
from zabota.core.errors import ValidationFailed
from zabota.tickets.actions import (
    add_follower,
    add_note,
    merge_tickets,
    remove_follower,
    reply,
    update_ticket,
)
from zabota.tickets.choices import Priority, Status
from zabota.tickets.models import Activity
from zabota.tickets.queries import timeline

pytestmark = pytest.mark.django_db


def test_a_tickets_life_reads_as_its_activity(alice_agent, dave_collaborator, carol_customer, support_team):
    ticket = open_ticket(carol_customer, team=support_team)
    duplicate = open_ticket(carol_customer, "Same problem", team=support_team)

    update_ticket(actor=alice_agent, ticket_id=ticket.pk, assignee=alice_agent)
    update_ticket(actor=alice_agent, ticket_id=ticket.pk, priority=Priority.HIGH, tags=["fire"])
    add_follower(actor=alice_agent, ticket_id=ticket.pk, agent=dave_collaborator)
    remove_follower(actor=alice_agent, ticket_id=ticket.pk, agent=dave_collaborator)
    reply(actor=alice_agent, ticket_id=ticket.pk, body_text="Fixed", status=Status.SOLVED)
    merge_tickets(actor=alice_agent, source_id=duplicate.pk, target_id=ticket.pk)

    rows = [(a.verb, a.field) for a in ticket.activity.all()]
    assert rows == [
        ("created", ""),
        ("changed", "assignee"),
        ("changed", "status"),
        ("changed", "priority"),
        ("changed", "tags"),
        ("follower_added", "followers"),
        ("follower_removed", "followers"),
        ("changed", "status"),
        ("merged_from", ""),
    ]
    assert {a.actor_agent_id for a in ticket.activity.exclude(verb="created")} == {alice_agent.pk}
    assert ticket.activity.get(verb="created").actor_contact == carol_customer


def test_the_agent_timeline_interleaves_messages_and_activity_in_time_order(alice_agent, support_ticket):
    update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, priority=Priority.HIGH)
    add_note(actor=alice_agent, ticket_id=support_ticket.pk, body_text="checking logs")

    entries = timeline(alice_agent, support_ticket)

    kinds = [("message", e.message.kind) if e.message else ("activity", e.activity.verb) for e in entries]
    assert kinds == [
        ("message", "reply"),
        ("activity", "created"),
        ("activity", "changed"),
        ("message", "note"),
    ]
    assert [e.at for e in entries] == sorted(e.at for e in entries)


def test_activity_rows_cannot_be_edited(alice_agent, support_ticket):
    update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, priority=Priority.LOW)
    row = support_ticket.activity.get(field="priority")

    row.after = "urgent"
    with pytest.raises(RuntimeError, match="immutable"):
        row.save()

    assert Activity.objects.get(pk=row.pk).after == "low"


def test_a_failed_change_leaves_no_activity(alice_agent, support_ticket):
    count = support_ticket.activity.count()

    with pytest.raises(ValidationFailed):
        update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, priority=Priority.HIGH, kind="rant")

    assert support_ticket.activity.count() == count
