"""The status state machine: every legal move works, every other move is refused (409)."""

from __future__ import annotations

import itertools

import pytest

from tests.support import assert_error, open_ticket, reload
from zabota.core.errors import IllegalTransition
from zabota.tickets.actions import update_ticket
from zabota.tickets.choices import TRANSITIONS, Status

pytestmark = pytest.mark.django_db

# How to bring a new ticket into each status through legal moves.
ROUTE_TO = {
    Status.NEW: [],
    Status.OPEN: [Status.OPEN],
    Status.PENDING: [Status.PENDING],
    Status.ON_HOLD: [Status.ON_HOLD],
    Status.SOLVED: [Status.SOLVED],
    Status.CLOSED: [Status.SOLVED, Status.CLOSED],
}

LEGAL = sorted((a, b) for a, targets in TRANSITIONS.items() for b in targets)
ILLEGAL = sorted(
    (a, b) for a, b in itertools.product(Status.values, Status.values) if a != b and b not in TRANSITIONS[a]
)


def ticket_in(status, agent, requester):
    ticket = open_ticket(requester)
    for step in ROUTE_TO[status]:
        update_ticket(actor=agent, ticket_id=ticket.pk, status=step)
    ticket = reload(ticket)
    assert ticket.status == status
    return ticket


def test_the_state_machine_is_what_the_team_agreed():
    # Closed is final; solved can only be reopened or closed; nothing goes back to new.
    assert TRANSITIONS[Status.CLOSED] == frozenset()
    assert TRANSITIONS[Status.SOLVED] == {Status.OPEN, Status.CLOSED}
    assert all(Status.NEW not in targets for targets in TRANSITIONS.values())
    assert all(
        Status.CLOSED not in TRANSITIONS[s] for s in (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD)
    )


@pytest.mark.parametrize(("before", "after"), LEGAL, ids=[f"{a}->{b}" for a, b in LEGAL])
def test_a_legal_move_changes_the_status_and_is_recorded(alice_agent, carol_customer, before, after):
    ticket = ticket_in(before, alice_agent, carol_customer)

    update_ticket(actor=alice_agent, ticket_id=ticket.pk, status=after)

    ticket = reload(ticket)
    assert ticket.status == after
    last = ticket.activity.last()
    assert (last.verb, last.field, last.before, last.after) == ("changed", "status", before, after)
    assert last.actor_agent == alice_agent
    if after == Status.SOLVED:
        assert ticket.solved_at is not None
    elif after == Status.OPEN:
        assert ticket.solved_at is None


@pytest.mark.parametrize(("before", "after"), ILLEGAL, ids=[f"{a}->{b}" for a, b in ILLEGAL])
def test_an_illegal_move_is_refused_and_changes_nothing(alice_agent, carol_customer, before, after):
    ticket = ticket_in(before, alice_agent, carol_customer)
    activity_before = ticket.activity.count()

    with pytest.raises(IllegalTransition) as exc:
        update_ticket(actor=alice_agent, ticket_id=ticket.pk, status=after, priority=4)

    assert exc.value.code == "illegal_transition"
    ticket = reload(ticket)
    assert ticket.status == before
    assert ticket.priority != 4  # the other changes of the same request are not kept either
    assert ticket.activity.count() == activity_before


def test_closing_keeps_the_time_it_was_solved(alice_agent, carol_customer):
    ticket = ticket_in(Status.SOLVED, alice_agent, carol_customer)
    solved_at = ticket.solved_at

    update_ticket(actor=alice_agent, ticket_id=ticket.pk, status=Status.CLOSED)

    assert reload(ticket).solved_at == solved_at


def test_setting_the_same_status_again_is_a_quiet_no_op(alice_agent, carol_customer):
    ticket = ticket_in(Status.PENDING, alice_agent, carol_customer)
    activity_before = ticket.activity.count()

    update_ticket(actor=alice_agent, ticket_id=ticket.pk, status=Status.PENDING)

    assert ticket.activity.count() == activity_before


@pytest.mark.parametrize(
    ("before", "after"),
    [(Status.NEW, Status.CLOSED), (Status.CLOSED, Status.OPEN), (Status.SOLVED, Status.PENDING)],
    ids=["new->closed", "closed->open", "solved->pending"],
)
def test_the_api_answers_an_illegal_move_with_409(alice_agent, alice_api, carol_customer, before, after):
    ticket = ticket_in(before, alice_agent, carol_customer)

    response = alice_api.patch(f"/tickets/{ticket.pk}", {"status": after})

    error = assert_error(response, 409, "illegal_transition")
    assert before in error["message"] and after in error["message"]
    assert reload(ticket).status == before


def test_the_api_answers_an_unknown_status_with_422(alice_api, support_ticket):
    response = alice_api.patch(f"/tickets/{support_ticket.pk}", {"status": "archived"})

    error = assert_error(response, 422, "invalid")
    assert "status" in error["fields"]
