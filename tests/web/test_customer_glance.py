"""The customer at a glance: the ticket page's panel and the contact and organization pages.

Decision on collaborators: agents and admins may read every customer record (as in the API); a
collaborator (a developer brought into a few tickets) sees a contact's or organization's page
only when they can see at least one of its tickets, and the tickets listed are always only the
ones the reader may see.
"""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from tests.support import Api, make_agent, open_ticket
from zabota.accounts.models import Agent, Role, Team
from zabota.customers.actions import create_project, define_attribute, save_organization
from zabota.customers.models import Contact, Organization
from zabota.tickets import actions
from zabota.tickets.choices import Status
from zabota.tickets.models import Ticket


def glance(html: str) -> str:
    m = re.search(r'<section id="customer-glance".*?</section>', html, re.S)
    assert m, "no customer panel"
    return m.group(0)


def test_panel_shows_contact_org_tier_manager_and_attributes_set_through_the_api(
    client: Client,
    admin: Agent,
    admin_api: Api,
    alice_agent: Agent,
    acme: Organization,
    support_ticket: Ticket,
) -> None:
    define_attribute(
        actor=admin,
        target="organization",
        key="plan",
        label="Plan",
        type="choice",
        choices=["Free", "Enterprise"],
    )
    define_attribute(actor=admin, target="organization", key="seats", label="Seats", type="integer")
    define_attribute(actor=admin, target="organization", key="sso", label="SSO enabled", type="boolean")
    define_attribute(actor=admin, target="contact", key="role", label="Job title", type="text")
    r = admin_api.patch(
        f"/organizations/{acme.pk}",
        {
            "attributes": {"plan": "Enterprise", "seats": 120, "sso": True},
            "account_manager_id": alice_agent.pk,
        },
    )
    assert r.status_code == 200, r.content
    r = admin_api.patch(f"/contacts/{support_ticket.requester_id}", {"attributes": {"role": "CTO"}})
    assert r.status_code == 200, r.content
    create_project(actor=admin, organization=acme, name="Mobile app")

    client.force_login(alice_agent)
    panel = glance(client.get(f"/tickets/{support_ticket.number}/").content.decode())
    assert f'href="/customers/contacts/{support_ticket.requester_id}/"' in panel
    assert "Carol Customer" in panel and "carol@acme.test" in panel
    assert f'href="/customers/organizations/{acme.pk}/"' in panel
    assert re.search(r'class="tier-badge" data-color="#d4af37"[^>]*>Gold<', panel)
    assert "Account manager" in panel and "Alice Agent" in panel
    assert re.search(r"<dt>Plan</dt><dd>Enterprise</dd>", panel)
    assert re.search(r"<dt>Seats</dt><dd>120</dd>", panel)
    assert re.search(r"<dt>SSO enabled</dt><dd>Yes</dd>", panel)
    assert re.search(r"<dt>Job title</dt><dd>CTO</dd>", panel)
    assert "Mobile app" in panel

    # Kept current through the API: the next page load shows the new value.
    admin_api.patch(f"/organizations/{acme.pk}", {"attributes": {"seats": 150}})
    panel = glance(client.get(f"/tickets/{support_ticket.number}/").content.decode())
    assert re.search(r"<dt>Seats</dt><dd>150</dd>", panel)


def test_panel_lists_recent_tickets_of_the_contact_and_the_organization(
    client: Client,
    alice_agent: Agent,
    acme: Organization,
    carol_customer: Contact,
    support_team: Team,
    support_ticket: Ticket,
) -> None:
    from zabota.customers.actions import save_contact

    dan = save_contact(actor=None, name="Dan Acme", emails=["dan@acme.test"], organization_id=acme.pk)
    older = open_ticket(carol_customer, "Old invoice question", team=support_team)
    actions.update_ticket(actor=alice_agent, ticket_id=older.pk, status=Status.SOLVED)
    colleague = open_ticket(dan, "Printer offline", team=support_team)
    client.force_login(alice_agent)
    panel = glance(client.get(f"/tickets/{support_ticket.number}/").content.decode())
    mine = re.search(r'id="glance-contact-tickets".*?</ul>', panel, re.S).group(0)  # type: ignore[union-attr]
    org = re.search(r'id="glance-org-tickets".*?</ul>', panel, re.S).group(0)  # type: ignore[union-attr]
    assert f"#{older.number} Old invoice question" in mine and "Solved" in mine
    assert f"#{support_ticket.number}" in mine and 'aria-current="page"' in mine
    assert f"#{colleague.number} Printer offline" in org
    assert "Printer offline" not in mine and "Old invoice" not in org


def test_restricted_tickets_of_the_same_customer_are_not_listed_for_bob(
    client: Client, bob_other_team: Agent, billing_ticket: Ticket, security_ticket: Ticket
) -> None:
    client.force_login(bob_other_team)
    html = client.get(f"/tickets/{billing_ticket.number}/").content.decode()
    panel = glance(html)
    assert "Invoice is wrong" in panel
    assert "Suspicious login" not in html
    assert f"/tickets/{security_ticket.number}/" not in html
    page = client.get(f"/customers/contacts/{billing_ticket.requester_id}/").content.decode()
    assert "Invoice is wrong" in page and "Suspicious login" not in page
    page = client.get(f"/customers/organizations/{billing_ticket.organization_id}/").content.decode()
    assert "Invoice is wrong" in page and "Suspicious login" not in page
    assert "Someone logged in" not in page  # nor its activity


def test_contact_page(client: Client, admin: Agent, alice_agent: Agent, support_ticket: Ticket) -> None:
    define_attribute(actor=admin, target="contact", key="nps", label="NPS", type="integer")
    from zabota.customers.actions import save_contact

    save_contact(actor=admin, contact=support_ticket.requester, attributes={"nps": 9})
    actions.update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, status=Status.PENDING)
    client.force_login(alice_agent)
    r = client.get(f"/customers/contacts/{support_ticket.requester_id}/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "<h1>Carol Customer</h1>" in html
    assert "carol@acme.test" in html
    assert re.search(r"<dt>NPS</dt><dd>9</dd>", html)
    assert f"#{support_ticket.number} Cannot log in" in html
    activity = re.search(r'id="customer-activity".*?</ol>', html, re.S).group(0)  # type: ignore[union-attr]
    assert "Alice Agent changed status from New to Pending" in activity


def test_organization_page(
    client: Client, admin: Agent, alice_agent: Agent, acme: Organization, support_ticket: Ticket
) -> None:
    define_attribute(actor=admin, target="organization", key="mrr", label="MRR", type="number")
    save_organization(actor=admin, organization=acme, attributes={"mrr": 1234.5})
    create_project(actor=admin, organization=acme, name="Website")
    client.force_login(alice_agent)
    r = client.get(f"/customers/organizations/{acme.pk}/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "Acme" in html and "Gold" in html and "acme.test" in html
    assert re.search(r"<dt>MRR</dt><dd>1234.5</dd>", html)
    assert "Website" in html
    assert f'href="/customers/contacts/{support_ticket.requester_id}/"' in html
    assert f"#{support_ticket.number} Cannot log in" in html


def test_missing_customers_are_404(client: Client, alice_agent: Agent) -> None:
    client.force_login(alice_agent)
    assert client.get("/customers/contacts/999999/").status_code == 404
    assert client.get("/customers/organizations/999999/").status_code == 404


def test_anonymous_visitor_cannot_read_customer_pages(client: Client, support_ticket: Ticket) -> None:
    r = client.get(f"/customers/contacts/{support_ticket.requester_id}/")
    assert r.status_code == 302 and r["Location"].startswith("/login/")


def test_collaborator_sees_only_customers_of_tickets_they_can_see(
    client: Client,
    dave_collaborator: Agent,
    sam_security: Agent,
    support_ticket: Ticket,
    security_ticket: Ticket,
) -> None:
    client.force_login(dave_collaborator)
    # Carol's ticket is on dave's team: her records are one click away.
    assert client.get(f"/customers/contacts/{support_ticket.requester_id}/").status_code == 200
    assert client.get(f"/customers/organizations/{support_ticket.organization_id}/").status_code == 200
    # Erin's tickets are all invisible to dave: her records are a 404, like a missing one.
    assert client.get(f"/customers/contacts/{security_ticket.requester_id}/").status_code == 404
    assert client.get(f"/customers/organizations/{security_ticket.organization_id}/").status_code == 404
    # Brought into the security ticket, dave may look the customer up.
    actions.add_follower(actor=sam_security, ticket_id=security_ticket.pk, agent=dave_collaborator)
    r = client.get(f"/customers/contacts/{security_ticket.requester_id}/")
    assert r.status_code == 200
    assert "Suspicious login from abroad" in r.content.decode()


def test_agents_read_any_customer_even_without_visible_tickets(
    client: Client, bob_other_team: Agent, security_ticket: Ticket
) -> None:
    helper = make_agent("helper@zabota.test", Role.AGENT, name="Helper")
    client.force_login(helper)
    r = client.get(f"/customers/contacts/{security_ticket.requester_id}/")
    assert r.status_code == 200
    assert "Suspicious login" not in r.content.decode()


def test_contact_page_escapes_customer_data(client: Client, alice_agent: Agent, support_team: Team) -> None:
    from zabota.customers.actions import save_contact

    evil = save_contact(actor=None, name="<script>alert(1)</script>", emails=["evil@example.test"])
    open_ticket(evil, "<img src=x onerror=alert(2)>", team=support_team)
    client.force_login(alice_agent)
    html = client.get(f"/customers/contacts/{evil.pk}/").content.decode()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    assert "<img src=x" not in html


def test_ticket_page_with_the_panel_stays_within_budget_for_a_big_customer(
    client: Client,
    admin: Agent,
    alice_agent: Agent,
    acme: Organization,
    carol_customer: Contact,
    support_team: Team,
    django_assert_max_num_queries: Any,
) -> None:
    from zabota.customers.actions import save_contact

    define_attribute(actor=admin, target="organization", key="plan", label="Plan", type="text")
    save_organization(actor=admin, organization=acme, attributes={"plan": "Pro"})
    for i in range(3):
        create_project(actor=admin, organization=acme, name=f"Project {i}")
    others = [
        save_contact(actor=None, name=f"Colleague {i}", emails=[f"c{i}@acme.test"], organization_id=acme.pk)
        for i in range(3)
    ]
    for i in range(8):
        open_ticket(carol_customer, f"Carol {i}", team=support_team)
        open_ticket(others[i % 3], f"Colleague ticket {i}", team=support_team)
    ticket = open_ticket(carol_customer, "The one we look at", team=support_team)
    client.force_login(alice_agent)
    with django_assert_max_num_queries(15):
        r = client.get(f"/tickets/{ticket.number}/")
    panel = glance(r.content.decode())
    assert panel.count("<li data-ticket=") == 10  # five of carol's, five of her colleagues'


def test_panel_loads_the_customers_recent_activity_when_opened(
    client: Client, alice_agent: Agent, bob_other_team: Agent, billing_ticket: Ticket, security_ticket: Ticket
) -> None:
    actions.update_ticket(actor=bob_other_team, ticket_id=billing_ticket.pk, status=Status.PENDING)
    client.force_login(bob_other_team)
    panel = glance(client.get(f"/tickets/{billing_ticket.number}/").content.decode())
    url = f"/customers/contacts/{billing_ticket.requester_id}/activity"
    assert f'hx-get="{url}"' in panel
    html = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "Bob Billing changed status from New to Pending" in html
    assert f"#{security_ticket.number}" not in html  # erin's restricted ticket stays hidden
    client.force_login(make_agent("dev@zabota.test", Role.COLLABORATOR, name="Devon Dev"))
    assert client.get(url).status_code == 404
