"""Round-robin: Support's tickets go to its agents in turn, skipping those who may not take one;
manual teams are never routed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from zabota.accounts.models import Agent, Team
from zabota.routing.actions import save_team_routing, set_status
from zabota.routing.choices import Availability, RoutingMode
from zabota.tickets.choices import Status
from zabota.tickets.models import Activity, Ticket
from zabota.tickets.views.timeline_text import describe


def test_tickets_go_round_the_team_in_turn(
    round_robin: Team, crew: list[Agent], new_ticket: Callable[..., Ticket]
) -> None:
    got = [new_ticket(subject=f"Question {i}").assignee_id for i in range(6)]

    assert got == [a.pk for a in crew] * 2


def test_a_routed_ticket_is_open_and_its_timeline_says_why(
    round_robin: Team, crew: list[Agent], new_ticket: Callable[..., Ticket]
) -> None:
    ticket = new_ticket()

    assert ticket.status == Status.OPEN
    event = Activity.objects.get(ticket=ticket, verb="routed")
    assert event.after["mode"] == RoutingMode.ROUND_ROBIN
    assert event.after["agent"]["id"] == crew[0].pk
    assert describe(event) == f"Routed to {crew[0]} (round-robin: next in turn)"


def test_round_robin_skips_away_and_busy_agents_and_is_fair_to_the_rest(
    round_robin: Team, crew: list[Agent], new_ticket: Callable[..., Ticket], delivered: Callable[[], Any]
) -> None:
    first, second, third = crew
    with delivered():
        set_status(actor=second, agent=second, status=Availability.AWAY)
        set_status(actor=third, agent=third, status=Availability.BUSY)

    got = [new_ticket().assignee_id for _ in range(3)]

    assert got == [first.pk] * 3

    with delivered():
        set_status(actor=second, agent=second, status=Availability.AVAILABLE)
    got = [new_ticket().assignee_id for _ in range(4)]
    assert got == [second.pk, first.pk, second.pk, first.pk]


def test_nobody_available_leaves_the_ticket_in_the_team_queue(
    round_robin: Team, crew: list[Agent], new_ticket: Callable[..., Ticket], delivered: Callable[[], Any]
) -> None:
    with delivered():
        for agent in crew:
            set_status(actor=agent, agent=agent, status=Availability.AWAY)

    ticket = new_ticket()

    assert ticket.assignee_id is None
    assert ticket.status == Status.NEW
    assert not Activity.objects.filter(ticket=ticket, verb="routed").exists()


def test_manual_mode_never_assigns(
    admin: Agent,
    support_team: Team,
    crew: list[Agent],
    new_ticket: Callable[..., Ticket],
    delivered: Callable[[], Any],
) -> None:
    save_team_routing(actor=admin, team=support_team, mode=RoutingMode.MANUAL)

    assert new_ticket().assignee_id is None
    with delivered():
        set_status(actor=crew[0], agent=crew[0], status=Availability.AWAY)
        set_status(actor=crew[0], agent=crew[0], status=Availability.AVAILABLE)
    assert Ticket.objects.filter(assignee__isnull=False).count() == 0


def test_a_team_never_configured_is_manual(
    support_team: Team, crew: list[Agent], new_ticket: Callable[..., Ticket]
) -> None:
    assert new_ticket().assignee_id is None


def test_a_ticket_opened_already_assigned_keeps_its_assignee(
    round_robin: Team, crew: list[Agent], new_ticket: Callable[..., Ticket]
) -> None:
    ticket = new_ticket(actor=crew[2], assignee=crew[2])

    assert ticket.assignee_id == crew[2].pk
    assert not Activity.objects.filter(ticket=ticket, verb="routed").exists()


def test_a_ticket_moved_to_a_routed_team_is_routed_there(
    round_robin: Team,
    crew: list[Agent],
    billing_team: Team,
    new_ticket: Callable[..., Ticket],
    delivered: Callable[[], Any],
) -> None:
    from zabota.tickets.actions import update_ticket

    ticket = new_ticket(team=billing_team)
    assert ticket.assignee_id is None

    with delivered():
        update_ticket(actor=crew[0], ticket_id=ticket.pk, team=round_robin)

    assert Ticket.objects.get(pk=ticket.pk).assignee_id == crew[0].pk


def test_unassigning_routes_to_someone_else(
    round_robin: Team, crew: list[Agent], new_ticket: Callable[..., Ticket], delivered: Callable[[], Any]
) -> None:
    from zabota.tickets.actions import update_ticket

    ticket = new_ticket()
    assert ticket.assignee_id == crew[0].pk

    with delivered():
        update_ticket(actor=crew[0], ticket_id=ticket.pk, assignee=None)

    assert Ticket.objects.get(pk=ticket.pk).assignee_id == crew[1].pk


def test_restricted_team_tickets_go_only_to_its_members(
    admin: Agent,
    security_team: Team,
    sam_security: Agent,
    bob_other_team: Agent,
    alice_agent: Agent,
    new_ticket: Callable[..., Ticket],
) -> None:
    save_team_routing(actor=admin, team=security_team, mode=RoutingMode.ROUND_ROBIN)

    got = {new_ticket(team=security_team).assignee_id for _ in range(3)}

    assert got == {sam_security.pk}


def test_switching_a_team_to_round_robin_routes_its_queue(
    admin: Agent,
    support_team: Team,
    crew: list[Agent],
    new_ticket: Callable[..., Ticket],
    delivered: Callable[[], Any],
) -> None:
    waiting = [new_ticket() for _ in range(3)]
    assert all(t.assignee_id is None for t in waiting)

    with delivered():
        save_team_routing(actor=admin, team=support_team, mode=RoutingMode.ROUND_ROBIN)

    assert sorted(Ticket.objects.get(pk=t.pk).assignee_id for t in waiting) == sorted(a.pk for a in crew)
