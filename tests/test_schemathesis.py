"""Property-based API tests: whatever a client sends, the API never answers 5xx, and what it
answers matches its own OpenAPI schema.

Schemathesis generates requests for every operation of the OpenAPI document, served in-process
by the WSGI application, authenticated as an admin with a write token. Bounded for CI: a fixed
number of examples per operation, derandomized so every run sends the same requests.
"""

from __future__ import annotations

import warnings

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.support import open_ticket
from zabota.accounts.actions import create_token
from zabota.customers.actions import create_tier, define_attribute
from zabota.tickets.actions import add_note, reply
from zabota.tickets.actions.common import Upload
from zabota.tickets.models import Attachment

with warnings.catch_warnings():
    # The app is built at import, before the test settings point STATIC_ROOT at a real directory.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    from zabota.config.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)

# Ids of rows that exist in the current test's database: most generated ids are mapped onto them so
# that requests reach real tickets, contacts, ... instead of answering 404 every time.
EXISTING: dict[str, list[int]] = {}
ID_FIELDS = {
    "ticket_id": "ticket_id",
    "into_ticket_id": "ticket_id",
    "contact_id": "contact_id",
    "requester_id": "contact_id",
    "organization_id": "organization_id",
    "attachment_id": "attachment_id",
    "agent_id": "agent_id",
    "assignee_id": "agent_id",
    "account_manager_id": "agent_id",
    "team_id": "team_id",
}


def _existing(values):
    if not isinstance(values, dict):
        return values
    mapped = dict(values)
    for name, value in values.items():
        pool = EXISTING.get(ID_FIELDS.get(name, ""))
        if pool and isinstance(value, int) and not isinstance(value, bool) and value % 4 != 3:
            mapped[name] = pool[value % len(pool)]
    return mapped


@schema.hook
def map_path_parameters(context, path_parameters):
    return _existing(path_parameters)


@schema.hook
def map_query(context, query):
    return _existing(query)


@schema.hook
def map_body(context, body):
    return _existing(body)


@pytest.fixture
def admin_bearer(admin, alice_agent, carol_customer, erin_customer, support_team, security_team):
    """An admin's write token, in a helpdesk with a little of everything for requests to hit."""
    create_tier(actor=None, name="Platinum", rank=1)
    define_attribute(actor=None, target="organization", key="seats", label="Seats", type="integer")
    define_attribute(actor=None, target="contact", key="vip", label="VIP", type="boolean")
    for i in range(3):
        ticket = open_ticket(
            carol_customer, f"Login problem {i}", "Cannot log in", team=support_team, tags=["vip"]
        )
        reply(
            actor=alice_agent,
            ticket_id=ticket.pk,
            body_text="Try again",
            attachments=[Upload(name="a.txt", content=b"hello")],
        )
        add_note(actor=alice_agent, ticket_id=ticket.pk, body_text="internal")
    breach = open_ticket(erin_customer, "Breach", "x", team=security_team)
    EXISTING.clear()
    EXISTING.update(
        ticket_id=[ticket.pk, breach.pk],
        contact_id=[carol_customer.pk, erin_customer.pk],
        organization_id=[carol_customer.organization_id, erin_customer.organization_id],
        attachment_id=list(Attachment.objects.values_list("pk", flat=True)),
        agent_id=[admin.pk, alice_agent.pk],
        team_id=[support_team.pk, security_team.pk],
    )
    return {"Authorization": f"Bearer {create_token(agent=admin)[1]}"}


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_request_makes_the_api_fail(case, admin_bearer):
    case.call_and_validate(headers=admin_bearer, checks=[not_a_server_error, response_schema_conformance])
