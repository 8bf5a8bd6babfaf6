"""Story: a team lead defined the tiers; Alice (an agent) puts Globex in tier Gold from its
organization page, and Erin's open ticket takes up the Gold SLA policy at once. Dave (a
collaborator) sees the page but cannot change the tier; a wrong tier name is refused with a
message, never a 500."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.sla.conftest import make_policy
from tests.support import open_ticket
from zabota.accounts.models import Agent
from zabota.customers.models import Contact, Organization, Tier
from zabota.sla.models import Policy, TicketClock

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_agent_puts_an_organization_in_a_tier_and_its_tickets_follow(
    client: Client, alice_agent: Agent, erin_customer: Contact, standard_policy: Policy, acme: object
) -> None:
    gold = make_policy("Gold", first=20, position=1)
    gold.tiers.add(Tier.objects.get(name="Gold"))
    ticket = open_ticket(erin_customer, "Globex asks")
    assert TicketClock.objects.get(ticket=ticket).policy == standard_policy
    globex = Organization.objects.get(name="Globex")

    client.force_login(alice_agent)
    page = client.get(f"/customers/organizations/{globex.pk}/")
    assert 'id="organization-tier"' in page.content.decode()
    response = client.post(f"/customers/organizations/{globex.pk}/tier", {"tier": "Gold"}, follow=True)
    assert response.status_code == 200
    assert "Tier saved." in response.content.decode()
    assert Organization.objects.get(pk=globex.pk).tier == Tier.objects.get(name="Gold")
    assert TicketClock.objects.get(ticket=ticket).policy == gold

    response = client.post(f"/customers/organizations/{globex.pk}/tier", {"tier": "Unobtanium"}, follow=True)
    assert response.status_code == 200
    assert "unknown tier" in response.content.decode()
    assert Organization.objects.get(pk=globex.pk).tier == Tier.objects.get(name="Gold")


def test_a_collaborator_cannot_change_a_tier(
    client: Client, dave_collaborator: Agent, carol_customer: Contact, alice_agent: Agent
) -> None:
    from zabota.tickets.actions import add_follower

    ticket = open_ticket(carol_customer, "Acme asks")
    add_follower(actor=alice_agent, ticket_id=ticket.pk, agent=dave_collaborator)
    acme = Organization.objects.get(name="Acme")
    client.force_login(dave_collaborator)
    page = client.get(f"/customers/organizations/{acme.pk}/")
    assert page.status_code == 200
    assert 'id="organization-tier"' not in page.content.decode()
    client.post(f"/customers/organizations/{acme.pk}/tier", {"tier": ""})
    assert Organization.objects.get(pk=acme.pk).tier == Tier.objects.get(name="Gold")
