"""Story in the workspace: the lead manages priority rules; Alice marks the outage from the
ticket page, links tickets from the inbox's bulk bar and from the incident's search box, sends
the update and solves everything; Dave (a collaborator) and Bob (another team) cannot."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.support import open_ticket, reload
from zabota.accounts.models import Agent
from zabota.customers.actions import save_contact
from zabota.customers.models import Contact
from zabota.tickets.choices import Channel, Kind, Priority, Status
from zabota.tickets.models import Message, Ticket
from zabota.triage.actions import link_tickets, mark_incident
from zabota.triage.models import IncidentLink, PriorityRule

pytestmark = pytest.mark.django_db


def client_for(agent: Agent) -> Client:
    c = Client()
    c.force_login(agent)
    return c


@pytest.fixture
def outage(carol_customer: Contact, support_team: Any) -> Ticket:
    return open_ticket(carol_customer, "Login is down", "Nobody can log in.", team=support_team)


@pytest.fixture
def many(acme: Any, support_team: Any) -> list[Ticket]:
    out = []
    for i in range(5):
        c = save_contact(actor=None, name=f"User {i}", emails=[f"u{i}@acme.test"], organization_id=acme.pk)
        out.append(
            open_ticket(c, f"Cannot sign in {i}", "login spinner", team=support_team, channel=Channel.PORTAL)
        )
    return out


def test_the_lead_creates_orders_and_deletes_rules(admin: Agent, acme: Any) -> None:
    lead = client_for(admin)
    assert "Priority rules" in lead.get("/settings/").content.decode()
    r = lead.post(
        "/settings/priority-rules/new/",
        {
            "name": "Outages",
            "priority": Priority.URGENT,
            "keywords": "outage, не работает\ndown",
            "is_active": "on",
        },
    )
    assert r.status_code == 302
    lead.post(
        "/settings/priority-rules/new/", {"name": "Gold", "priority": Priority.HIGH, "tiers": [acme.tier_id]}
    )
    rules = list(PriorityRule.objects.order_by("position"))
    assert [r.name for r in rules] == ["Outages", "Gold"]
    assert rules[0].keywords == ["outage", "не работает", "down"]
    page = lead.get("/settings/priority-rules/").content.decode()
    assert "не работает" in page and "Gold" in page
    lead.post(f"/settings/priority-rules/{rules[1].pk}/up/")
    assert list(PriorityRule.objects.order_by("position").values_list("name", flat=True)) == [
        "Gold",
        "Outages",
    ]
    empty = lead.post("/settings/priority-rules/new/", {"name": "Nothing", "priority": Priority.HIGH})
    assert empty.status_code == 200 and "at least one condition" in empty.content.decode()
    lead.post(f"/settings/priority-rules/{rules[0].pk}/delete/")
    assert PriorityRule.objects.count() == 1


def test_agents_cannot_open_the_rules(alice_agent: Agent) -> None:
    assert client_for(alice_agent).get("/settings/priority-rules/").status_code == 403
    assert client_for(alice_agent).post("/settings/priority-rules/new/", {"name": "x"}).status_code == 403


def test_marking_from_the_ticket_page_and_linking_from_the_inbox(
    alice_agent: Agent, outage: Ticket, many: list[Ticket], security_ticket: Ticket
) -> None:
    alice = client_for(alice_agent)
    assert 'hx-get="/incidents/panel/' in alice.get(f"/tickets/{outage.number}/").content.decode()
    side = alice.get(f"/incidents/panel/{outage.number}").content.decode()
    assert "Mark as incident" in side
    assert alice.get("/inbox/unassigned/").content.decode().count('id="bulk-link-incident"') == 1
    r = alice.post(f"/incidents/mark/{outage.number}")
    assert r.status_code == 302 and r["Location"] == f"/incidents/{outage.number}/"

    ids = [t.pk for t in many[:3]] + [security_ticket.pk]
    r = alice.post("/incidents/link", {"ticket": ids, "incident": outage.number}, HTTP_HX_REQUEST="true")
    body = r.content.decode()
    assert "3 tickets linked to incident" in body and "1 selected ticket was not found" in body
    assert IncidentLink.objects.filter(incident__ticket=outage).count() == 3

    side = alice.get(f"/incidents/panel/{outage.number}").content.decode()
    assert "Incident: 3 affected tickets" in side
    assert (
        f"Part of incident #{outage.number}"
        in alice.get(f"/incidents/panel/{many[0].number}").content.decode()
    )
    timeline = alice.get(f"/tickets/{many[0].number}/").content.decode()
    assert f"linked this ticket to incident #{outage.number}" in timeline


def test_the_incident_page_lists_searches_links_sends_and_solves(
    alice_agent: Agent, outage: Ticket, many: list[Ticket], django_assert_max_num_queries: Any, committed: Any
) -> None:
    alice = client_for(alice_agent)
    mark_incident(actor=alice_agent, ticket_id=outage.pk)
    link_tickets(actor=alice_agent, incident_ticket_id=outage.pk, ticket_ids=[t.pk for t in many[:2]])
    page = alice.get(f"/incidents/{outage.number}/").content.decode()
    assert "User 0" in page and "User 1" in page and "Portal" in page

    # The list costs the same for 2 or 5 linked tickets.
    with django_assert_max_num_queries(30) as few:
        alice.get(f"/incidents/{outage.number}/")
    link_tickets(actor=alice_agent, incident_ticket_id=outage.pk, ticket_ids=[t.pk for t in many])
    with django_assert_max_num_queries(len(few.captured_queries)):
        alice.get(f"/incidents/{outage.number}/")

    found = alice.get(f"/incidents/{outage.number}/", {"q": "spinner"}).content.decode()
    assert 'id="search-results"' in found and "Cannot sign in 4" in found

    committed(alice.post, f"/incidents/{outage.number}/updates", {"body": "Back in 10 minutes."})
    assert "Sent on 6 of 6 tickets" in alice.get(f"/incidents/{outage.number}/").content.decode()
    assert Message.objects.filter(body_text="Back in 10 minutes.").count() == 6

    alice.post(f"/incidents/{outage.number}/solve", {"solve_linked": "on"})
    assert reload(outage).status == Status.SOLVED
    assert {reload(t).status for t in many} == {Status.SOLVED}


def test_solving_without_the_box_leaves_an_offer(
    alice_agent: Agent, outage: Ticket, many: list[Ticket]
) -> None:
    alice = client_for(alice_agent)
    mark_incident(actor=alice_agent, ticket_id=outage.pk)
    link_tickets(actor=alice_agent, incident_ticket_id=outage.pk, ticket_ids=[many[0].pk])
    alice.post(f"/incidents/{outage.number}/solve", {})
    assert reload(outage).status == Status.SOLVED and reload(many[0]).status != Status.SOLVED
    side = alice.get(f"/incidents/panel/{outage.number}").content.decode()
    assert "1 linked ticket is still open" in side and "Solve the linked tickets" in side
    alice.post(f"/incidents/{outage.number}/solve", {"solve_linked": "on"})
    assert reload(many[0]).status == Status.SOLVED


def test_collaborators_and_other_teams_are_refused(
    alice_agent: Agent,
    dave_collaborator: Agent,
    bob_other_team: Agent,
    admin: Agent,
    security_ticket: Ticket,
    outage: Ticket,
) -> None:
    dave = client_for(dave_collaborator)
    assert "Mark as incident" not in dave.get(f"/incidents/panel/{outage.number}").content.decode()
    dave.post(f"/incidents/mark/{outage.number}")
    assert not hasattr(reload(outage), "incident")
    mark_incident(actor=admin, ticket_id=security_ticket.pk)
    bob = client_for(bob_other_team)
    assert bob.get(f"/incidents/{security_ticket.number}/").status_code == 404
    assert bob.get(f"/incidents/panel/{security_ticket.number}").status_code == 404
    assert bob.post(f"/incidents/{security_ticket.number}/updates", {"body": "x"}).status_code == 404
    r = bob.post("/incidents/link", {"ticket": [outage.pk], "incident": security_ticket.number})
    assert not IncidentLink.objects.exists()
    assert r.status_code == 302


def test_a_new_ticket_from_a_gold_customer_is_urgent_on_its_page(
    alice_agent: Agent, carol_customer: Contact, support_team: Any, committed: Any
) -> None:
    from zabota.triage.actions import save_rule

    save_rule(actor=None, name="Outages", priority=Priority.URGENT, keywords=["не работает"])
    ticket = committed(
        open_ticket, carol_customer, "Ничего не работает", "Помогите", team=support_team, kind=Kind.PROBLEM
    )
    page = client_for(alice_agent).get(f"/tickets/{ticket.number}/").content.decode()
    assert "Priority set to Urgent automatically: keyword «не работает»" in page


def test_an_update_in_progress_is_polled_until_done(
    alice_agent: Agent, outage: Ticket, many: list[Ticket]
) -> None:
    from zabota.triage.actions import deliver_update, send_update

    alice = client_for(alice_agent)
    mark_incident(actor=alice_agent, ticket_id=outage.pk)
    link_tickets(actor=alice_agent, incident_ticket_id=outage.pk, ticket_ids=[t.pk for t in many])
    update = send_update(
        actor=alice_agent, incident_ticket_id=outage.pk, body_text="Working on it"
    )  # task not run yet
    page = alice.get(f"/incidents/{outage.number}/").content.decode()
    assert f'hx-get="/incidents/{outage.number}/updates/{update.pk}"' in page and "6 waiting" in page
    deliver_update(update_id=update.pk)
    fragment = alice.get(f"/incidents/{outage.number}/updates/{update.pk}").content.decode()
    assert "Sent on 6 of 6 tickets" in fragment and "hx-get" not in fragment


def test_customers_never_reach_the_incident_pages(
    carol_customer: Contact, outage: Ticket, alice_agent: Agent
) -> None:
    from tests.web.test_portal_fixtures import sign_in_client

    mark_incident(actor=alice_agent, ticket_id=outage.pk)
    carol = sign_in_client(Client(), carol_customer)
    for url in ("/incidents/", f"/incidents/{outage.number}/"):
        r = carol.get(url)
        assert r.status_code == 302 and "/login/" in r["Location"]
    r = carol.post(f"/incidents/{outage.number}/updates", {"body": "hacked"})
    assert r.status_code == 302 and not Message.objects.filter(body_text="hacked").exists()


def test_the_incident_list_shows_ongoing_ones_first(
    alice_agent: Agent, outage: Ticket, many: list[Ticket], admin: Agent, security_ticket: Ticket
) -> None:
    from zabota.tickets.actions import update_ticket

    mark_incident(actor=alice_agent, ticket_id=many[0].pk)
    update_ticket(actor=alice_agent, ticket_id=many[0].pk, status=Status.SOLVED)
    from zabota.triage.actions import note_incident_status

    note_incident_status(ticket_id=many[0].pk)
    mark_incident(actor=alice_agent, ticket_id=outage.pk)
    mark_incident(actor=admin, ticket_id=security_ticket.pk)  # Alice cannot see this one
    page = client_for(alice_agent).get("/incidents/").content.decode()
    assert page.index(f'data-incident="{outage.number}"') < page.index(f'data-incident="{many[0].number}"')
    assert f'data-incident="{security_ticket.number}"' not in page
