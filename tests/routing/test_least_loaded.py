"""Least-loaded: a ticket goes to the agent with the fewest unsolved tickets, never past their
capacity; ties rotate."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from zabota.accounts.models import Agent, Team
from zabota.routing.actions import route_ticket
from zabota.tickets.actions import update_ticket
from zabota.tickets.choices import Status
from zabota.tickets.models import Activity, Ticket
from zabota.tickets.views.timeline_text import describe


def test_the_least_loaded_agent_gets_the_ticket(
    least_loaded: Team, crew: list[Agent], new_ticket: Callable[..., Ticket]
) -> None:
    first, second, third = crew
    for agent in (first, first, second):
        new_ticket(actor=agent, assignee=agent)

    ticket = new_ticket()

    assert ticket.assignee_id == third.pk
    event = Activity.objects.get(ticket=ticket, verb="routed")
    assert describe(event) == f"Routed to {third} (least loaded: 0 open tickets)"


def test_solved_tickets_do_not_count_as_load(
    least_loaded: Team, crew: list[Agent], new_ticket: Callable[..., Ticket]
) -> None:
    first, second, third = crew
    for agent in (second, third):
        new_ticket(actor=agent, assignee=agent)
    for _ in range(3):
        done = new_ticket(actor=first, assignee=first)
        update_ticket(actor=first, ticket_id=done.pk, status=Status.SOLVED)

    assert new_ticket().assignee_id == first.pk


def test_ties_rotate_so_everyone_gets_a_fair_share(
    least_loaded: Team, crew: list[Agent], new_ticket: Callable[..., Ticket]
) -> None:
    got = [new_ticket().assignee_id for _ in range(6)]

    assert sorted(got.count(a.pk) for a in crew) == [2, 2, 2]
    assert got[:3] == [a.pk for a in crew]


def test_capacity_is_never_exceeded_and_the_rest_waits_in_the_queue(
    least_loaded: Team,
    crew: list[Agent],
    new_ticket: Callable[..., Ticket],
    set_capacity: Callable[..., None],
) -> None:
    for agent in crew:
        set_capacity(agent, 2)

    tickets = [new_ticket() for _ in range(8)]

    assigned = [t.assignee_id for t in tickets]
    assert sorted(assigned[:6]) == sorted([a.pk for a in crew] * 2)
    assert assigned[6:] == [None, None]


def test_capacity_zero_means_no_new_tickets(
    least_loaded: Team,
    crew: list[Agent],
    new_ticket: Callable[..., Ticket],
    set_capacity: Callable[..., None],
) -> None:
    set_capacity(crew[0], 0)

    got = {new_ticket().assignee_id for _ in range(4)}

    assert crew[0].pk not in got


def test_a_freed_slot_is_filled_from_the_queue_when_routing_runs_again(
    least_loaded: Team,
    crew: list[Agent],
    new_ticket: Callable[..., Ticket],
    set_capacity: Callable[..., None],
    delivered: Callable[[], Any],
) -> None:
    for agent in crew:
        set_capacity(agent, 1)
    busy = [new_ticket() for _ in range(3)]
    waiting = new_ticket()
    assert waiting.assignee_id is None

    update_ticket(actor=crew[1], ticket_id=busy[1].pk, status=Status.SOLVED)
    route_ticket(ticket_id=waiting.pk)

    assert Ticket.objects.get(pk=waiting.pk).assignee_id == busy[1].assignee_id
