"""Two tickets routed at the same moment never both take the same least-loaded slot: the team's
routing row is locked while an agent is chosen (PostgreSQL row lock; SQLite's IMMEDIATE
transactions serialise the writers)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.conf import settings
from django.db import connection

from zabota.accounts.models import Agent, Team
from zabota.routing.actions import route_ticket, save_team_routing
from zabota.routing.choices import RoutingMode
from zabota.routing.models import TeamRouting
from zabota.tickets.models import Ticket


@pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="threads on the in-memory SQLite test database see 'table is locked', not the busy timeout "
    "of a real SQLite file; the lock is what this checks, on PostgreSQL",
)
@pytest.mark.django_db(transaction=True)
def test_simultaneous_routing_respects_capacity(
    admin: Agent,
    support_team: Team,
    alice_agent: Agent,
    ivan: Agent,
    new_ticket: Callable[..., Ticket],
    set_capacity: Callable[..., None],
) -> None:
    queued = [new_ticket(subject=f"Q{i}") for i in range(6)]  # Support is manual for now
    for agent in (alice_agent, ivan):
        set_capacity(agent, 1)
    save_team_routing(actor=admin, team=support_team, mode=RoutingMode.MANUAL)
    # Switched on behind the action's back: the action routes the queue itself, one ticket
    # after the other, before the threads would start.
    TeamRouting.objects.filter(team=support_team).update(mode=RoutingMode.LEAST_LOADED)
    errors = route_at_once([t.pk for t in queued])

    assert errors == []
    assigned = sorted(Ticket.objects.filter(assignee__isnull=False).values_list("assignee_id", flat=True))
    assert assigned == sorted([alice_agent.pk, ivan.pk])


@pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="the lock is what this checks, on PostgreSQL",
)
@pytest.mark.django_db(transaction=True)
def test_two_teams_routing_at_once_never_push_a_shared_agent_over_capacity(
    admin: Agent,
    support_team: Team,
    billing_team: Team,
    alice_agent: Agent,
    new_ticket: Callable[..., Ticket],
    set_capacity: Callable[..., None],
) -> None:
    # Alice works in Support and in Billing; she takes one ticket at a time, whichever team's.
    billing_team.members.add(alice_agent)
    set_capacity(alice_agent, 1)
    for team in (support_team, billing_team):
        save_team_routing(actor=admin, team=team, mode=RoutingMode.MANUAL)
    for _ in range(3):
        support = new_ticket(subject="Support question")  # both teams manual for now
        billing = new_ticket(subject="Billing question", team=billing_team)
        # Switched on behind the action's back: the action would route both queues at once,
        # one after the other, before the threads start.
        TeamRouting.objects.filter(team__in=[support_team, billing_team]).update(
            mode=RoutingMode.LEAST_LOADED
        )
        errors = route_at_once([support.pk, billing.pk])

        assert errors == []
        assert Ticket.objects.filter(assignee=alice_agent).count() == 1
        # Next round: she is free again, both teams manual again.
        Ticket.objects.filter(assignee=alice_agent).update(assignee=None, status="solved")
        Ticket.objects.filter(status__in=["new", "open"]).update(status="solved")
        TeamRouting.objects.filter(team__in=[support_team, billing_team]).update(mode=RoutingMode.MANUAL)


def route_at_once(ticket_ids: list[int]) -> list[BaseException]:
    """Route each ticket in its own thread, all starting together; the errors raised."""
    start = threading.Barrier(len(ticket_ids))
    errors: list[BaseException] = []

    def work(ticket_id: int) -> None:
        try:
            start.wait()
            route_ticket(ticket_id=ticket_id)
        except BaseException as exc:  # noqa: BLE001 - reported by the caller's assertion
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in ticket_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return errors
