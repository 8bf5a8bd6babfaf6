"""Personas and helpers shared by every test.

The cast (Healthchecks' alice/bob/charlie, Zulip's named users):

- ``admin``: role admin, sees and changes everything.
- ``alice_agent``: an agent on team Support.
- ``bob_other_team``: an agent on team Billing, *not* on the restricted team Security.
- ``sam_security``: an agent on the restricted team Security (the only one besides admins who
  sees its tickets).
- ``dave_collaborator``: a collaborator (a developer on support duty) on team Support who may
  not send public replies.
- ``carol_customer``: contact carol@acme.test of organization Acme (tier Gold).
- ``erin_customer``: contact erin@globex.test of organization Globex (no tier).

Everything is created through actions (the only writers), never with raw ORM writes, so the
tests exercise the same paths as the product.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support import Api, fresh, make_agent, open_ticket
from zabota.accounts.actions import create_team, create_token, revoke_token
from zabota.accounts.models import Agent, Role, Team, TokenScope
from zabota.core import events as core_events
from zabota.customers.actions import create_tier, save_contact, save_organization
from zabota.customers.models import Contact, Organization
from zabota.tickets import events as ticket_events
from zabota.tickets.models import Ticket


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "bug(description): a regression test for a bug found in zabota/ while writing this suite"
    )


@pytest.fixture(autouse=True)
def _attachments_in_tmp(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Attachments (and static files) live in a temporary directory, never in the developer's var/."""
    media = tmp_path_factory.getbasetemp() / "media"
    static = tmp_path_factory.getbasetemp() / "static"
    static.mkdir(exist_ok=True)
    settings.STATIC_ROOT = str(static)
    settings.MEDIA_ROOT = str(media)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(media)},
        },
    }


# --- Agents and teams --------------------------------------------------------------------------


@pytest.fixture
def support_team(db: None) -> Team:
    return create_team(name="Support")


@pytest.fixture
def billing_team(db: None) -> Team:
    return create_team(name="Billing")


@pytest.fixture
def security_team(db: None) -> Team:
    return create_team(name="Security", restricted=True)


@pytest.fixture
def admin(db: None) -> Agent:
    return make_agent("admin@zabota.test", Role.ADMIN, name="Ada Admin")


@pytest.fixture
def alice_agent(support_team: Team) -> Agent:
    alice = make_agent("alice@zabota.test", name="Alice Agent")
    support_team.members.add(alice)
    return fresh(alice)


@pytest.fixture
def bob_other_team(billing_team: Team, security_team: Team) -> Agent:
    bob = make_agent("bob@zabota.test", name="Bob Billing")
    billing_team.members.add(bob)
    return fresh(bob)


@pytest.fixture
def sam_security(security_team: Team) -> Agent:
    sam = make_agent("sam@zabota.test", name="Sam Security")
    security_team.members.add(sam)
    return fresh(sam)


@pytest.fixture
def dave_collaborator(support_team: Team) -> Agent:
    dave = make_agent("dave@zabota.test", Role.COLLABORATOR, name="Dave Developer", can_reply_publicly=False)
    support_team.members.add(dave)
    return fresh(dave)


# --- Customers ---------------------------------------------------------------------------------


@pytest.fixture
def acme(admin: Agent) -> Organization:
    create_tier(actor=None, name="Gold", rank=2, color="#d4af37")
    return save_organization(actor=admin, name="Acme", tier="Gold", domains=["acme.test"])


@pytest.fixture
def globex(admin: Agent) -> Organization:
    return save_organization(actor=admin, name="Globex", domains=["globex.test"])


@pytest.fixture
def carol_customer(acme: Organization) -> Contact:
    return save_contact(
        actor=None, name="Carol Customer", emails=["carol@acme.test"], organization_id=acme.pk
    )


@pytest.fixture
def erin_customer(globex: Organization) -> Contact:
    return save_contact(
        actor=None, name="Erin Example", emails=["erin@globex.test"], organization_id=globex.pk
    )


# --- Tickets -----------------------------------------------------------------------------------


@pytest.fixture
def support_ticket(carol_customer: Contact, support_team: Team) -> Ticket:
    return open_ticket(
        carol_customer, "Cannot log in", "The login page says my password is wrong.", team=support_team
    )


@pytest.fixture
def billing_ticket(erin_customer: Contact, billing_team: Team) -> Ticket:
    return open_ticket(
        erin_customer, "Invoice is wrong", "We were charged twice in March.", team=billing_team
    )


@pytest.fixture
def security_ticket(erin_customer: Contact, security_team: Team) -> Ticket:
    return open_ticket(
        erin_customer,
        "Suspicious login from abroad",
        "Someone logged in from an unknown country.",
        team=security_team,
    )


@pytest.fixture
def api_for(db: None) -> Callable[..., Api]:
    """``api_for(agent, scope="write")``: an API client with a fresh token of that agent."""

    def make(agent: Agent, scope: str = TokenScope.WRITE) -> Api:
        _, raw = create_token(agent=agent, scope=scope, name=f"test {scope}")
        return Api(raw)

    return make


@pytest.fixture
def admin_api(api_for: Callable[..., Api], admin: Agent) -> Api:
    return api_for(admin)


@pytest.fixture
def alice_api(api_for: Callable[..., Api], alice_agent: Agent) -> Api:
    return api_for(alice_agent)


@pytest.fixture
def bob_api(api_for: Callable[..., Api], bob_other_team: Agent) -> Api:
    return api_for(bob_other_team)


@pytest.fixture
def dave_api(api_for: Callable[..., Api], dave_collaborator: Agent) -> Api:
    return api_for(dave_collaborator)


@pytest.fixture
def read_only_api(api_for: Callable[..., Api], admin: Agent) -> Api:
    """The admin's read-scope token: may read everything, write nothing."""
    return api_for(admin, TokenScope.READ)


@pytest.fixture
def revoked_api(admin: Agent) -> Api:
    token, raw = create_token(agent=admin, scope=TokenScope.WRITE, name="leaked")
    revoke_token(token=token)
    return Api(raw)


@pytest.fixture
def anonymous_api() -> Api:
    return Api()


# --- Events ------------------------------------------------------------------------------------

TICKET_EVENT_TYPES = (
    ticket_events.TicketCreated,
    ticket_events.TicketChanged,
    ticket_events.MessageAdded,
    ticket_events.TicketsMerged,
)


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[core_events.Event]]:
    """Every ticket event delivered to listeners during the test, in delivery order.

    Listeners are registered on a copy of the registry, so nothing leaks into other tests.
    """
    registry: dict[type[core_events.Event], list[Any]] = defaultdict(
        list, {k: list(v) for k, v in core_events._listeners.items()}
    )
    monkeypatch.setattr(core_events, "_listeners", registry)
    delivered: list[core_events.Event] = []
    for event_type in TICKET_EVENT_TYPES:
        core_events.subscribe(event_type)(delivered.append)
    yield delivered
