"""Settings lists stay cheap however many rows they show, and render in Russian for a Russian lead."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.support import make_agent
from zabota.accounts.actions import save_team, update_preferences
from zabota.accounts.models import Agent
from zabota.customers.actions import save_attribute_definition, save_tier
from zabota.tickets.actions import update_ticket
from zabota.tickets.actions.config import save_custom_field, save_inbox
from zabota.tickets.models import Ticket


@pytest.fixture
def lead(client: Client, admin: Agent) -> Client:
    client.force_login(admin)
    return client


@pytest.fixture
def many(admin: Agent, support_ticket: Ticket, billing_ticket: Ticket) -> None:
    agents = [make_agent(f"a{i}@zabota.test") for i in range(15)]
    for i in range(8):
        save_team(actor=admin, name=f"Team {i}", restricted=i % 2 == 0, members=agents[i:])
        save_tier(actor=admin, name=f"Tier {i}", rank=10 + i, color="#123456")
        save_custom_field(actor=admin, key=f"field_{i}", label=f"Field {i}", type="text")
        save_attribute_definition(
            actor=admin, target="contact", key=f"attr_{i}", label=f"Attr {i}", type="text"
        )
        save_inbox(actor=admin, name=f"Inbox {i}", slug=f"inbox-{i}")
    update_ticket(actor=admin, ticket_id=support_ticket.pk, tags=[f"tag-{i}" for i in range(30)])
    update_ticket(actor=admin, ticket_id=billing_ticket.pk, tags=[f"tag-{i}" for i in range(0, 30, 2)])


@pytest.mark.parametrize(
    "url",
    [
        "/settings/",
        "/settings/agents/",
        "/settings/teams/",
        "/settings/tags/",
        "/settings/tiers/",
        "/settings/fields/",
        "/settings/attributes/",
        "/settings/inboxes/",
        "/settings/agents/new/",
    ],
)
def test_settings_lists_use_a_bounded_number_of_queries(
    lead: Client, many: None, url: str, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(10):
        response = lead.get(url)
    assert response.status_code == 200


def test_tag_counts_are_right(lead: Client, many: None) -> None:
    html = lead.get("/settings/tags/?q=tag-2").content.decode()
    # tag-2 is on both tickets, tag-21 only on the first.
    assert "2 tickets" in html and "1 ticket<" in html


def test_a_russian_lead_gets_russian_settings(lead: Client, admin: Agent) -> None:
    update_preferences(actor=admin, locale="ru", timezone="Europe/Moscow", email_digest=False)
    response = lead.get("/settings/tiers/")
    html = response.content.decode()
    assert '<html lang="ru">' in html
    # Django's own translation of a form error shows in Russian.
    invalid = lead.post("/settings/tiers/", {"new-name": "", "new-rank": "", "new-color": "#000000"})
    assert "Обязательное поле." in invalid.content.decode()
