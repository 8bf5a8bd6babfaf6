"""The ticket page's side panel shows the SLA: the policy, the customer's tier, each clock with
its due time in the agent's timezone (counting down in the browser), paused and done clocks,
and past breaches. A breach refreshes the panel through the live push."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from tests.sla_ui.conftest import MONDAY, every_minute_policy
from tests.support import open_ticket
from zabota.accounts.models import Agent, Team
from zabota.core import events as core_events
from zabota.customers.models import Contact, Organization
from zabota.sla.jobs import check_due
from zabota.tickets.actions import reply, update_ticket
from zabota.tickets.events import TicketChanged
from zabota.tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)
M = timedelta(minutes=1)


@pytest.fixture
def gold_ticket(
    frozen: time_machine.Coordinates,
    admin: Agent,
    acme: Organization,
    carol_customer: Contact,
    support_team: Team,
) -> Ticket:
    assert acme.tier is not None
    every_minute_policy(admin, tiers=[acme.tier])
    return open_ticket(carol_customer, "Gold customer waits", team=support_team)


def panel(client: Client, agent: Agent, ticket: Ticket) -> str:
    client.force_login(agent)
    response = client.get(f"/tickets/{ticket.number}/properties", headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    start = html.index('id="sla-panel"')
    return html[start : html.index("</section>", start)]


def test_the_panel_shows_policy_tier_and_clocks_in_the_agents_timezone(
    client: Client, gold_ticket: Ticket, alice_agent: Agent, frozen: time_machine.Coordinates
) -> None:
    alice_agent.timezone = "Europe/Moscow"
    alice_agent.save(update_fields=["timezone"])
    frozen.move_to(MONDAY + 50 * M)
    html = panel(client, alice_agent, gold_ticket)
    assert "Gold care" in html and 'id="sla-tier"' in html and "Gold" in html
    assert 'data-sla-due="2026-06-01T14:00:00+03:00"' in html  # 11:00 UTC is 14:00 in Moscow
    assert "14:00" in html
    assert "sla-at_risk" in html and "10m 00s left" in html
    assert 'data-sla-metric="resolution"' in html
    assert "The customer has waited 50m 00s for us" in html


def test_a_hand_off_keeps_the_clock_and_the_waiting_time(
    client: Client,
    gold_ticket: Ticket,
    alice_agent: Agent,
    bob_other_team: Agent,
    billing_team: Team,
    frozen: time_machine.Coordinates,
) -> None:
    frozen.move_to(MONDAY + 40 * M)
    update_ticket(actor=alice_agent, ticket_id=gold_ticket.pk, team=billing_team, status="on_hold")
    html = panel(client, bob_other_team, gold_ticket)
    assert "The customer has waited 40m 00s for us" in html
    assert 'data-sla-due="2026-06-01T11:00:00+00:00"' in html  # the same first-response due time
    assert "Gold" in html


def test_paused_and_done_clocks_do_not_tick(
    client: Client, gold_ticket: Ticket, alice_agent: Agent, frozen: time_machine.Coordinates
) -> None:
    alice_agent.can_reply_publicly = True
    alice_agent.save(update_fields=["can_reply_publicly"])
    frozen.move_to(MONDAY + 20 * M)
    reply(actor=alice_agent, ticket_id=gold_ticket.pk, body_text="Could you send a screenshot?")
    update_ticket(actor=alice_agent, ticket_id=gold_ticket.pk, status="pending")
    html = panel(client, alice_agent, gold_ticket)
    assert 'data-metric="first_response" data-state="done"' in html and "met" in html
    assert 'data-metric="resolution" data-state="paused"' in html
    assert "paused, 7h 40m left" in html
    assert "data-sla-due" not in html  # nothing counts down while everything waits on Carol


def test_a_breach_is_listed_and_pushed_to_the_open_page(
    client: Client,
    gold_ticket: Ticket,
    alice_agent: Agent,
    frozen: time_machine.Coordinates,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[TicketChanged] = []
    registry = {k: list(v) for k, v in core_events._listeners.items()}
    monkeypatch.setattr(core_events, "_listeners", registry)
    core_events.subscribe(TicketChanged)(seen.append)
    frozen.move_to(MONDAY + 61 * M)
    check_due()
    # The breach went onto the timeline as an event: open pages refresh their side panel.
    assert any(e.ticket_id == gold_ticket.pk for e in seen)
    html = panel(client, alice_agent, gold_ticket)
    assert 'id="sla-breaches"' in html and "First response breached at" in html
    assert 'data-metric="first_response" data-state="breached"' in html


def test_a_ticket_without_a_policy_says_so(
    client: Client, support_ticket: Ticket, alice_agent: Agent
) -> None:
    assert "No SLA policy applies" in panel(client, alice_agent, support_ticket)


def test_the_ticket_page_loads_the_countdown_script(
    client: Client, gold_ticket: Ticket, alice_agent: Agent
) -> None:
    client.force_login(alice_agent)
    html = client.get(f"/tickets/{gold_ticket.number}/").content.decode()
    assert 'id="sla-clock-js"' in html and "/static/sla/clock.js" in html
    assert 'id="sla-panel"' in html
    assert "<script>" not in html  # no inline script: the CSP allows none


def test_the_customer_never_sees_the_sla(
    gold_ticket: Ticket, carol_customer: Contact, frozen: time_machine.Coordinates
) -> None:
    from tests.web.test_portal_fixtures import sign_in_client

    frozen.move_to(MONDAY + 61 * M)
    check_due()  # breached, on the timeline as an event
    client = sign_in_client(Client(), carol_customer)
    for path in ("/portal/requests/", f"/portal/requests/{gold_ticket.number}/"):
        html = client.get(path).content.decode()
        assert client.get(path).status_code == 200
        for word in ("sla-", "Gold care", "breach", "overdue", "First response"):
            assert word not in html, (path, word)


def test_the_tier_badge_takes_the_tiers_colour(
    client: Client, gold_ticket: Ticket, alice_agent: Agent
) -> None:
    # The ticket page's script paints `.tier-badge[data-color]`; the panel's badge carried
    # `data-tier-color` (the inbox's attribute), so Platinum and Gold stayed grey here.
    assert gold_ticket.organization is not None and gold_ticket.organization.tier is not None
    color = gold_ticket.organization.tier.color
    html = panel(client, alice_agent, gold_ticket)
    assert f'id="sla-tier" data-color="{color}"' in html
