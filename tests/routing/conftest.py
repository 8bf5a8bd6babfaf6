"""The routing cast: team Support (alice, ivan who speaks Russian, greta) routes automatically.

``delivered`` runs an action with its after-commit listeners (routing happens there), the way a
request does after its transaction commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.support import fresh, make_agent, open_ticket
from zabota.accounts.models import Agent, Team
from zabota.customers.actions import save_contact
from zabota.customers.models import Contact, Organization
from zabota.routing.actions import save_agent_routing, save_team_routing
from zabota.routing.choices import RoutingMode
from zabota.tickets.models import Ticket


@pytest.fixture
def delivered(django_capture_on_commit_callbacks: Any) -> Callable[[], Any]:
    """``with delivered():`` — run the after-commit listeners of what happens inside."""

    @contextmanager
    def run() -> Iterator[None]:
        with django_capture_on_commit_callbacks(execute=True):
            yield

    return run


@pytest.fixture
def ivan(support_team: Team) -> Agent:
    agent = make_agent("ivan@zabota.test", name="Ivan Ivanov")
    support_team.members.add(agent)
    return fresh(agent)


@pytest.fixture
def greta(support_team: Team) -> Agent:
    agent = make_agent("greta@zabota.test", name="Greta Green")
    support_team.members.add(agent)
    return fresh(agent)


@pytest.fixture
def crew(alice_agent: Agent, ivan: Agent, greta: Agent) -> list[Agent]:
    """Support's agents in round-robin (id) order."""
    return sorted([alice_agent, ivan, greta], key=lambda a: a.pk)


@pytest.fixture
def round_robin(admin: Agent, support_team: Team) -> Team:
    save_team_routing(actor=admin, team=support_team, mode=RoutingMode.ROUND_ROBIN)
    return support_team


@pytest.fixture
def least_loaded(admin: Agent, support_team: Team) -> Team:
    save_team_routing(actor=admin, team=support_team, mode=RoutingMode.LEAST_LOADED)
    return support_team


@pytest.fixture
def olga_customer(acme: Organization) -> Contact:
    """A Russian-speaking customer of Acme."""
    return save_contact(
        actor=None, name="Ольга Петрова", emails=["olga@acme.test"], organization_id=acme.pk, locale="ru"
    )


@pytest.fixture
def set_capacity(admin: Agent) -> Callable[..., None]:
    def run(
        agent: Agent, capacity: int | None, languages: list[str] | None = None, areas: list[str] | None = None
    ) -> None:
        save_agent_routing(
            actor=admin, agent=agent, capacity=capacity, languages=languages or [], areas=areas or []
        )

    return run


@pytest.fixture
def new_ticket(
    carol_customer: Contact, support_team: Team, delivered: Callable[[], Any]
) -> Callable[..., Ticket]:
    """``new_ticket()``: Carol writes in to Support (listeners delivered); returns it reloaded."""

    def make(requester: Contact | None = None, subject: str = "Help", **kwargs: Any) -> Ticket:
        kwargs.setdefault("team", support_team)
        with delivered():
            t = open_ticket(requester or carol_customer, subject, "Please help.", **kwargs)
        return Ticket.objects.get(pk=t.pk)

    return make
