"""The sidebar's live counts: one capped count per view, permission-scoped."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.support import open_ticket
from zabota.accounts.models import Agent, Team
from zabota.customers.models import Contact
from zabota.tickets.actions import create_saved_view, update_ticket
from zabota.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def counts(client: Client, agent: Agent) -> dict[str, str]:
    client.force_login(agent)
    response = client.get("/inbox/counts?current=open", headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    return dict(re.findall(r'data-count-for="([\w-]+)">([^<]+)<', html))


def test_counts_per_view(
    client: Client, alice_agent: Agent, carol_customer: Contact, support_team: Team, billing_team: Team
) -> None:
    mine = open_ticket(carol_customer, "Mine", team=support_team)
    update_ticket(actor=alice_agent, ticket_id=mine.pk, assignee=alice_agent)
    open_ticket(carol_customer, "Unassigned support", team=support_team)
    open_ticket(carol_customer, "Unassigned billing", team=billing_team)
    pending = open_ticket(carol_customer, "Pending", team=support_team)
    update_ticket(actor=alice_agent, ticket_id=pending.pk, status="pending")
    view = create_saved_view(actor=alice_agent, name="Billing queue", filters={"team": str(billing_team.pk)})

    got = counts(client, alice_agent)
    assert got == {
        "mine": "1",
        "unassigned": "2",
        "teams": "2",
        "open": "3",
        "pending": "1",
        "on-hold": "0",
        "solved": "0",
        "at-risk": "0",  # no SLA policy: no clocks
        "breached": "0",
        f"view-{view.pk}": "1",
    }


def test_counts_never_include_restricted_tickets(
    client: Client,
    bob_other_team: Agent,
    sam_security: Agent,
    security_ticket: Ticket,
    billing_ticket: Ticket,
) -> None:
    assert counts(client, bob_other_team)["open"] == "1"
    assert counts(client, sam_security)["open"] == "2"


def test_counts_are_capped(
    client: Client,
    settings: object,
    alice_agent: Agent,
    carol_customer: Contact,
    support_team: Team,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from zabota.tickets.views import inbox

    monkeypatch.setattr(inbox, "COUNT_CAP", 3)
    for i in range(5):
        open_ticket(carol_customer, f"T{i}", team=support_team)
    got = counts(client, alice_agent)
    assert got["open"] == "3+"
    assert got["teams"] == "3+"


def test_counts_cost_one_query_per_view(
    client: Client,
    django_assert_max_num_queries: object,
    alice_agent: Agent,
    carol_customer: Contact,
    support_team: Team,
) -> None:
    for i in range(30):
        open_ticket(carol_customer, f"T{i}", team=support_team)
    for i in range(3):
        create_saved_view(
            actor=alice_agent, name=f"View {i}", filters={"status": ["open"], "priority": ["high"]}
        )
    client.force_login(alice_agent)
    # session + agent + teams (2) + saved views + 9 built-ins (two SLA views) + 3 saved
    with django_assert_max_num_queries(17):  # type: ignore[operator]
        assert client.get("/inbox/counts").status_code == 200


def test_others_private_views_are_not_counted_or_listed(
    client: Client, alice_agent: Agent, bob_other_team: Agent, support_ticket: Ticket
) -> None:
    private = create_saved_view(actor=bob_other_team, name="Bob's secret view", filters={})
    shared = create_saved_view(actor=bob_other_team, name="Bob's shared view", filters={}, shared=True)
    got = counts(client, alice_agent)
    assert f"view-{private.pk}" not in got
    assert f"view-{shared.pk}" in got
    client.force_login(alice_agent)
    html = client.get("/inbox/").content.decode()
    assert "Bob&#x27;s secret view" not in html and "Bob&#x27;s shared view" in html
