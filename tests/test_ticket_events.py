"""Events are published inside the action and delivered to listeners only after commit."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from tests.support import open_ticket
from zabota.core import events as core_events
from zabota.core.errors import ValidationFailed
from zabota.tickets.actions import add_follower, add_note, merge_tickets, reply, update_ticket
from zabota.tickets.choices import Priority, Status
from zabota.tickets.events import MessageAdded, TicketChanged, TicketCreated, TicketsMerged
from zabota.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_opening_a_ticket_announces_the_ticket_and_its_first_message(
    carol_customer, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = open_ticket(carol_customer)
        assert published == []  # nothing before commit

    message = ticket.messages.get()
    assert published == [
        TicketCreated(ticket_id=ticket.pk, actor_contact_id=carol_customer.pk),
        MessageAdded(
            ticket_id=ticket.pk,
            message_id=message.pk,
            kind="reply",
            author_contact_id=carol_customer.pk,
            opens_ticket=True,
        ),
    ]


def test_a_reply_that_changes_the_status_announces_both(
    alice_agent, support_ticket, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = reply(
            actor=alice_agent, ticket_id=support_ticket.pk, body_text="On it", status=Status.PENDING
        )

    assert published == [
        MessageAdded(
            ticket_id=support_ticket.pk, message_id=message.pk, kind="reply", author_agent_id=alice_agent.pk
        ),
        TicketChanged(
            ticket_id=support_ticket.pk, changes={"status": ("new", "pending")}, actor_agent_id=alice_agent.pk
        ),
    ]


def test_a_note_is_announced_as_a_note(
    alice_agent, support_ticket, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        add_note(actor=alice_agent, ticket_id=support_ticket.pk, body_text="psst")

    [event] = published
    assert isinstance(event, MessageAdded)
    assert event.kind == "note"


def test_a_field_change_lists_before_and_after(
    alice_agent, support_ticket, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, priority=Priority.URGENT, tags=["fire"])

    assert published == [
        TicketChanged(
            ticket_id=support_ticket.pk,
            changes={"priority": ("normal", "urgent"), "tags": ([], ["fire"])},
            actor_agent_id=alice_agent.pk,
        )
    ]


def test_an_update_that_changes_nothing_announces_nothing(
    alice_agent, support_ticket, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, priority=Priority.NORMAL)

    assert callbacks == []
    assert published == []


def test_a_merge_is_announced_once(
    alice_agent, carol_customer, support_ticket, published, django_capture_on_commit_callbacks
):
    duplicate = open_ticket(carol_customer, "dup")
    with django_capture_on_commit_callbacks(execute=True):
        merge_tickets(actor=alice_agent, source_id=duplicate.pk, target_id=support_ticket.pk)

    assert published == [
        TicketsMerged(source_id=duplicate.pk, target_id=support_ticket.pk, actor_agent_id=alice_agent.pk)
    ]


def test_events_carry_ids_and_small_values_never_model_instances(
    alice_agent,
    dave_collaborator,
    carol_customer,
    support_ticket,
    published,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        open_ticket(carol_customer)
        update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, assignee=alice_agent)
        add_follower(actor=alice_agent, ticket_id=support_ticket.pk, agent=dave_collaborator)
        reply(actor=carol_customer, ticket_id=support_ticket.pk, body_text="thanks")

    def plain(value):
        if isinstance(value, dict):
            return all(isinstance(k, str) and plain(v) for k, v in value.items())
        if isinstance(value, list | tuple):
            return all(plain(v) for v in value)
        return value is None or isinstance(value, str | int | float | bool)

    assert published
    assert all(plain(vars(e)) for e in published)


def test_nothing_is_delivered_when_the_transaction_rolls_back(
    alice_agent, carol_customer, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            ticket = open_ticket(carol_customer)
            reply(actor=alice_agent, ticket_id=ticket.pk, body_text="hi")
            raise RuntimeError("the request failed after the action")

    assert callbacks == []
    assert published == []
    assert not Ticket.objects.filter(requester=carol_customer).exists()


def test_a_refused_action_delivers_nothing_and_keeps_nothing(
    alice_agent, support_ticket, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(ValidationFailed):
            update_ticket(
                actor=alice_agent, ticket_id=support_ticket.pk, priority=Priority.URGENT, kind="rant"
            )

    assert callbacks == []
    assert published == []
    assert Ticket.objects.get(pk=support_ticket.pk).priority == Priority.NORMAL


@pytest.mark.django_db(transaction=True)
def test_listeners_run_after_the_real_commit_and_see_committed_data(carol_customer, alice_agent, published):
    seen = []

    def listener(event):
        # Outside any transaction, and the ticket is in the database for every connection.
        seen.append(
            (event.ticket_id, connection.in_atomic_block, Ticket.objects.filter(pk=event.ticket_id).exists())
        )

    core_events.subscribe(TicketCreated)(listener)

    with transaction.atomic():
        ticket = open_ticket(carol_customer)
        reply(actor=alice_agent, ticket_id=ticket.pk, body_text="Hello")
        assert seen == [] and published == []

    assert seen == [(ticket.pk, False, True)]
    assert [type(e) for e in published] == [TicketCreated, MessageAdded, MessageAdded, TicketChanged]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_delivers_nothing(carol_customer, published):
    with pytest.raises(RuntimeError), transaction.atomic():
        open_ticket(carol_customer)
        raise RuntimeError("boom")

    assert published == []
    assert not Ticket.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_failing_listener_does_not_stop_the_others_or_undo_the_change(carol_customer, published, caplog):
    def broken(event):
        raise ValueError("the webhook endpoint is down")

    core_events._listeners[TicketCreated].insert(0, broken)

    ticket = open_ticket(carol_customer)

    assert Ticket.objects.filter(pk=ticket.pk).exists()
    assert [type(e) for e in published] == [TicketCreated, MessageAdded]
    assert "the webhook endpoint is down" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_a_batch_delivers_once_at_its_end_openings_first_then_each_event(
    carol_customer, alice_agent, support_ticket, published
):
    """Inside ``batched()`` (an import's batch) a batch listener runs once with all its events;
    what follows a ticket's opening runs before the reactions to other events, even when a
    message on an older ticket came first; per-event listeners come last, in delivery order;
    a rolled-back savepoint's events are not delivered at all."""
    calls: list[tuple[str, list[int]]] = []

    def openings(events):
        calls.append(("opened", [e.ticket_id for e in events]))

    def messages(events):
        calls.append(("messages", [e.ticket_id for e in events]))

    core_events.subscribe(TicketCreated, batch=True)(openings)
    core_events.subscribe(MessageAdded, batch=True)(messages)
    with core_events.batched(), transaction.atomic():
        reply(actor=alice_agent, ticket_id=support_ticket.pk, body_text="Looking")
        first = open_ticket(carol_customer, "First")
        with pytest.raises(RuntimeError), transaction.atomic():
            open_ticket(carol_customer, "Rolled back")
            raise RuntimeError("this one is undone")
        second = open_ticket(carol_customer, "Second")
        assert calls == [] and published == []
    assert calls == [
        ("opened", [first.pk, second.pk]),
        ("messages", [support_ticket.pk, first.pk, second.pk]),
    ]
    # The per-event listeners (here the fixture's) ran after them, in delivery order.
    assert [type(e).__name__ for e in published] == [
        "MessageAdded",
        "TicketChanged",  # the reply moved the ticket on from "new"
        "TicketCreated",
        "MessageAdded",
        "TicketCreated",
        "MessageAdded",
    ]
