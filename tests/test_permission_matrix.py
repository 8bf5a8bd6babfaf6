"""Who may call what: every API route × every kind of caller, generated from the API itself.

The routes come from the OpenAPI schema of ``zabota.config.api.api``, so a new endpoint fails
here until its row is added to ``EXPECTED``. The ticket-scoped routes act on a ticket of the
restricted team Security:

- ``admin``: an admin's write token;
- ``agent_in_team``: sam, an agent on Security;
- ``agent_outside_restricted_team``: bob, an agent not on Security (he must get 404: the ticket
  is invisible to him, which looks exactly like a missing ticket);
- ``collaborator``: dave, who follows the ticket (so he sees it) but is a collaborator;
- ``read_scope_token``: the admin's read-only token (reads as admin; any write is 403);
- ``revoked_token`` and ``anonymous``: 401 everywhere.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.support import Api, assert_error, open_ticket
from zabota.accounts.actions import create_team, create_token, revoke_token
from zabota.accounts.models import TokenScope
from zabota.config.api import api
from zabota.customers.actions import save_contact, save_organization
from zabota.rotas.actions import RotaInput, add_member, add_shift, save_rota
from zabota.sla.actions import start_recompute
from zabota.tickets.actions import add_follower
from zabota.tickets.actions.common import Upload
from zabota.triage.actions import link_tickets, mark_incident

ROLES = [
    "admin",
    "agent_in_team",
    "agent_outside_restricted_team",
    "collaborator",
    "read_scope_token",
    "revoked_token",
    "anonymous",
]
WRITES = {"POST", "PATCH", "PUT", "DELETE"}

V1 = "/api/v1"

# (method, path) -> (body, expected status for admin, agent_in_team, agent_outside, collaborator).
# Read-scope tokens answer like the admin for reads and 403 for writes; revoked and anonymous 401.
EXPECTED: dict[tuple[str, str], tuple[Any, tuple[int, int, int, int]]] = {
    ("GET", "/tickets"): (None, (200, 200, 200, 200)),
    ("POST", "/tickets"): (
        {"subject": "New", "body": "Hi", "requester_id": "{contact_id}"},
        (201, 201, 201, 403),
    ),
    ("GET", "/tickets/{ticket_id}"): (None, (200, 200, 404, 200)),
    ("PATCH", "/tickets/{ticket_id}"): ({"priority": "high"}, (200, 200, 404, 403)),
    ("POST", "/tickets/{ticket_id}/replies"): ({"body": "We are on it"}, (201, 201, 404, 403)),
    ("POST", "/tickets/{ticket_id}/notes"): ({"body": "Internal"}, (201, 201, 404, 201)),
    ("POST", "/tickets/{ticket_id}/merge"): ({"into_ticket_id": "{other_ticket_id}"}, (200, 200, 404, 403)),
    ("POST", "/tickets/{ticket_id}/followers"): ({"agent_id": "{agent_id}"}, (200, 200, 404, 403)),
    ("DELETE", "/tickets/{ticket_id}/followers/{agent_id}"): (None, (200, 200, 404, 403)),
    ("GET", "/attachments/{attachment_id}"): (None, (200, 200, 404, 200)),
    ("GET", "/search"): (None, (200, 200, 200, 200)),
    ("GET", "/tags"): (None, (200, 200, 200, 200)),
    ("GET", "/contacts"): (None, (200, 200, 200, 200)),
    ("POST", "/contacts"): ({"name": "Zoe", "emails": ["zoe@initech.test"]}, (201, 201, 201, 403)),
    ("GET", "/contacts/{contact_id}"): (None, (200, 200, 200, 200)),
    ("PATCH", "/contacts/{contact_id}"): ({"name": "Carol C."}, (200, 200, 200, 403)),
    ("DELETE", "/contacts/{contact_id}"): (None, (204, 403, 403, 403)),
    ("PUT", "/contacts/by-external-id/{system}/{value}"): ({"name": "Zoe"}, (201, 201, 201, 403)),
    ("GET", "/organizations"): (None, (200, 200, 200, 200)),
    ("POST", "/organizations"): ({"name": "Initech"}, (201, 201, 201, 403)),
    ("GET", "/organizations/{organization_id}"): (None, (200, 200, 200, 200)),
    ("PATCH", "/organizations/{organization_id}"): ({"notes": "Pays on time"}, (200, 200, 200, 403)),
    ("DELETE", "/organizations/{organization_id}"): (None, (204, 403, 403, 403)),
    ("PUT", "/organizations/by-external-id/{system}/{value}"): ({"name": "Hooli"}, (201, 201, 201, 403)),
    ("POST", "/organizations/{organization_id}/projects"): ({"name": "Website"}, (201, 201, 201, 403)),
    ("GET", "/tiers"): (None, (200, 200, 200, 200)),
    ("GET", "/agents"): (None, (200, 200, 200, 200)),
    ("GET", "/agents/me"): (None, (200, 200, 200, 200)),
    ("GET", "/teams"): (None, (200, 200, 200, 200)),
    # Routing: everyone sets their own status; only admins change capacity, skills, team routing.
    ("GET", "/me/status"): (None, (200, 200, 200, 200)),
    ("PUT", "/me/status"): ({"status": "busy"}, (200, 200, 200, 200)),
    ("GET", "/routing/agents"): (None, (200, 200, 200, 200)),
    ("PUT", "/routing/agents/{agent_id}"): ({"capacity": 3}, (200, 403, 403, 403)),
    ("GET", "/routing/teams"): (None, (200, 200, 200, 200)),
    ("PUT", "/routing/teams/{team_id}"): ({"mode": "round_robin"}, (200, 403, 403, 403)),
    # SLA: every agent reads the policies; only admins follow a recomputation.
    ("GET", "/sla/policies"): (None, (200, 200, 200, 200)),
    ("GET", "/sla/recompute-jobs/{job_id}"): (None, (200, 403, 403, 403)),
    # Rotas: every agent reads; admins (and the team lead) plan; the people on the shifts swap them.
    ("GET", "/rotas"): (None, (200, 200, 200, 200)),
    ("GET", "/rotas/on-shift"): (None, (200, 200, 200, 200)),
    ("GET", "/rotas/{rota_id}/shifts"): (None, (200, 200, 200, 200)),
    ("POST", "/rotas/{rota_id}/generate"): ({"year": 2099, "month": 1}, (200, 403, 403, 403)),
    ("POST", "/rotas/{rota_id}/swap"): (
        {"shift_id": "{shift_id}", "other_shift_id": "{other_shift_id}"},
        (200, 200, 403, 200),
    ),
    # Incidents (the world's ticket is one, with the other ticket linked): agents and admins who
    # see the ticket manage it; a collaborator who follows it reads it, changes nothing.
    ("POST", "/tickets/{ticket_id}/incident"): (None, (201, 201, 404, 403)),
    ("GET", "/tickets/{ticket_id}/incident"): (None, (200, 200, 404, 200)),
    ("DELETE", "/tickets/{ticket_id}/incident"): (None, (204, 204, 404, 403)),
    ("GET", "/tickets/{ticket_id}/incident/tickets"): (None, (200, 200, 404, 200)),
    ("POST", "/tickets/{ticket_id}/incident/tickets"): (
        {"ticket_ids": ["{other_ticket_id}"]},
        (200, 200, 404, 403),
    ),
    ("DELETE", "/tickets/{ticket_id}/incident/tickets/{linked_id}"): (None, (204, 204, 404, 403)),
    ("GET", "/tickets/{ticket_id}/incident/updates"): (None, (200, 200, 404, 200)),
    ("POST", "/tickets/{ticket_id}/incident/updates"): ({"body": "Fixed soon"}, (202, 202, 404, 403)),
    ("POST", "/tickets/{ticket_id}/incident/solve-linked"): (None, (200, 200, 404, 403)),
}
QUERY = {("GET", "/search"): {"q": "login"}, ("GET", "/rotas/on-shift"): {"team_id": "{team_id}"}}


def api_routes() -> list[tuple[str, str]]:
    paths = api.get_openapi_schema()["paths"]
    routes = []
    for path, operations in paths.items():
        assert path.startswith(V1), path
        for method in operations:
            routes.append((method.upper(), path.removeprefix(V1)))
    return sorted(routes)


ROUTES = api_routes()


def expected_status(route: tuple[str, str], role: str) -> int:
    _, statuses = EXPECTED[route]
    if role in ("revoked_token", "anonymous"):
        return 401
    if role == "read_scope_token":
        return 403 if route[0] in WRITES else statuses[0]
    return statuses[ROLES.index(role)]


def fill(value: Any, ids: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, ids) for v in value]
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    return value


@pytest.fixture
def world(
    admin,
    alice_agent,
    sam_security,
    bob_other_team,
    dave_collaborator,
    carol_customer,
    erin_customer,
    security_team,
):
    """A Security ticket with an attachment, followed by dave and alice; spare records to delete."""
    ticket = open_ticket(
        erin_customer,
        "Suspicious login",
        "Someone logged in from abroad",
        team=security_team,
        attachments=[Upload(name="auth.log", content=b"login from 203.0.113.9")],
    )
    other = open_ticket(erin_customer, "Suspicious login again", "Again", team=security_team)
    add_follower(actor=admin, ticket_id=ticket.pk, agent=dave_collaborator)
    add_follower(actor=admin, ticket_id=ticket.pk, agent=alice_agent)
    mark_incident(actor=admin, ticket_id=ticket.pk)
    link_tickets(actor=admin, incident_ticket_id=ticket.pk, ticket_ids=[other.pk])
    spare_contact = save_contact(actor=None, name="Nobody", emails=["nobody@example.test"])
    spare_org = save_organization(actor=admin, name="Spare Inc")
    rota = save_rota(actor=admin, data=RotaInput(name="Duty", team_id=create_team(name="Duty").pk))
    shifts = []
    for day, person in ((date(2099, 1, 5), sam_security), (date(2099, 1, 6), dave_collaborator)):
        add_member(actor=admin, rota=rota, agent=person)
        shifts.append(add_shift(actor=admin, rota=rota, day=day, agent=person)[0].pk)
    return {
        "ticket_id": ticket.pk,
        "other_ticket_id": other.pk,
        "agent_id": alice_agent.pk,
        "team_id": security_team.pk,
        "attachment_id": ticket.messages.get().attachments.get().pk,
        "contact_id": carol_customer.pk,
        "organization_id": carol_customer.organization_id,
        "system": "crm",
        "value": "C-42",
        "delete": {"contact_id": spare_contact.pk, "organization_id": spare_org.pk},
        "job_id": start_recompute(reason="permission matrix").pk,
        "rota_id": rota.pk,
        "shift_id": shifts[0],
        "other_shift_id": shifts[1],
        "linked_id": other.pk,
    }


def client_for(role: str, world: dict[str, Any], request: pytest.FixtureRequest) -> Api:
    def token(persona: str, scope: str = TokenScope.WRITE) -> str:
        return create_token(agent=request.getfixturevalue(persona), scope=scope)[1]

    if role == "anonymous":
        return Api()
    if role == "revoked_token":
        t, raw = create_token(agent=request.getfixturevalue("admin"))
        revoke_token(token=t)
        return Api(raw)
    persona = {
        "admin": "admin",
        "agent_in_team": "sam_security",
        "agent_outside_restricted_team": "bob_other_team",
        "collaborator": "dave_collaborator",
        "read_scope_token": "admin",
    }[role]
    return Api(token(persona, TokenScope.READ if role == "read_scope_token" else TokenScope.WRITE))


def test_every_route_of_the_api_has_a_row_in_the_table():
    missing = sorted(set(ROUTES) - set(EXPECTED))
    stale = sorted(set(EXPECTED) - set(ROUTES))

    assert not missing, f"add these routes to EXPECTED in {__file__}: {missing}"
    assert not stale, f"these EXPECTED rows match no route any more: {stale}"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_permission(route, role, world, request):
    if route not in EXPECTED:
        pytest.fail(f"{route[0]} {route[1]} is not in EXPECTED: decide who may call it and add it")
    method, template = route
    body, _ = EXPECTED[route]
    ids = {**world, **(world["delete"] if method == "DELETE" and "followers" not in template else {})}
    path = template.format(**{k: v for k, v in ids.items() if k != "delete"})
    client = client_for(role, world, request)

    if method == "GET":
        response = client.get(path, fill(QUERY.get(route), ids))
    else:
        response = client.request(method, path, None if body is None else fill(body, ids))

    expected = expected_status(route, role)
    if expected >= 400:
        assert_error(response, expected)
    else:
        assert response.status_code == expected, response.content
    if hasattr(response, "close"):
        response.close()
