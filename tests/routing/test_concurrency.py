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
    save_team_routing(actor=admin, team=support_team, mode=RoutingMode.LEAST_LOADED)
    start = threading.Barrier(len(queued))
    errors: list[BaseException] = []

    def work(ticket_id: int) -> None:
        try:
            start.wait()
            route_ticket(ticket_id=ticket_id)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(t.pk,)) for t in queued]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    assert errors == []
    assigned = sorted(Ticket.objects.filter(assignee__isnull=False).values_list("assignee_id", flat=True))
    assert assigned == sorted([alice_agent.pk, ivan.pk])
