"""Story: the login service is down. Alice marks Carol's ticket as an incident, links the other
customers' tickets to it, sends one update that reaches each customer on their own channel
(email through the outbox, the portal), and solving the incident offers to solve them all."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.support import open_ticket, reload
from tests.web.test_portal_fixtures import sign_in_client
from zabota.accounts.models import Agent
from zabota.channels.email.models import OutboundEmail
from zabota.core.errors import NotFound, PermissionDenied
from zabota.customers.actions import save_contact
from zabota.customers.models import Contact
from zabota.tickets.actions import add_note, update_ticket
from zabota.tickets.choices import Channel, MessageKind, Status
from zabota.tickets.models import Activity, Message, Ticket
from zabota.tickets.views.timeline_text import describe
from zabota.triage.actions import (
    deliver_update,
    link_tickets,
    mark_incident,
    send_update,
    solve_linked,
    unlink_ticket,
)
from zabota.triage.choices import DeliveryState, UpdateState
from zabota.triage.models import IncidentDelivery, IncidentLink

pytestmark = pytest.mark.django_db


@pytest.fixture
def outage(carol_customer: Contact, support_team: Any) -> Ticket:
    return open_ticket(
        carol_customer, "Login is down", "Nobody can log in.", team=support_team, channel=Channel.PORTAL
    )


@pytest.fixture
def affected(acme: Any, support_team: Any) -> list[Ticket]:
    """Two more customers: one wrote by email, one on the portal."""
    frank = save_contact(actor=None, name="Frank Email", emails=["frank@acme.test"], organization_id=acme.pk)
    gina = save_contact(actor=None, name="Gina Portal", emails=["gina@acme.test"], organization_id=acme.pk)
    return [
        open_ticket(frank, "Cannot sign in", "Error 502", team=support_team, channel=Channel.EMAIL),
        open_ticket(gina, "Login broken?", "Spinner forever", team=support_team, channel=Channel.PORTAL),
    ]


def test_linking_puts_an_event_on_each_ticket(
    alice_agent: Agent, outage: Ticket, affected: list[Ticket]
) -> None:
    mark_incident(actor=alice_agent, ticket_id=outage.pk)
    outcomes = link_tickets(
        actor=alice_agent, incident_ticket_id=outage.pk, ticket_ids=[t.pk for t in affected]
    )
    assert [o.ok for o in outcomes] == [True, True]
    for t in affected:
        event = Activity.objects.get(ticket=t, verb="incident_linked")
        assert describe(event) == f"Alice Agent linked this ticket to incident #{outage.number}"
    assert describe(Activity.objects.get(ticket=outage, verb="incident_marked")) == (
        "Alice Agent marked this ticket as an incident"
    )
    # Linking again is harmless; the incident itself and a second incident are refused.
    again = link_tickets(
        actor=alice_agent, incident_ticket_id=outage.pk, ticket_ids=[affected[0].pk, outage.pk]
    )
    assert [(o.ok, o.code) for o in again] == [(True, ""), (False, "link_to_itself")]
    assert Activity.objects.filter(ticket=affected[0], verb="incident_linked").count() == 1
    other = open_ticket(affected[0].requester, "Another outage", "x", team=outage.team)
    mark_incident(actor=alice_agent, ticket_id=other.pk)
    moved = link_tickets(actor=alice_agent, incident_ticket_id=other.pk, ticket_ids=[affected[0].pk])
    assert (moved[0].ok, moved[0].code) == (False, "linked_to_other_incident")

    unlink_ticket(actor=alice_agent, incident_ticket_id=outage.pk, ticket_id=affected[1].pk)
    assert not IncidentLink.objects.filter(ticket=affected[1]).exists()
    assert Activity.objects.filter(ticket=affected[1], verb="incident_unlinked").exists()


def test_an_agent_links_only_tickets_they_can_see(
    alice_agent: Agent, outage: Ticket, security_ticket: Ticket, billing_ticket: Ticket
) -> None:
    mark_incident(actor=alice_agent, ticket_id=outage.pk)
    outcomes = link_tickets(
        actor=alice_agent, incident_ticket_id=outage.pk, ticket_ids=[security_ticket.pk, billing_ticket.pk]
    )
    # Security is a restricted team: not found, as if it did not exist. Billing is open to all agents.
    assert [(o.number, o.ok) for o in outcomes] == [(None, False), (billing_ticket.number, True)]
    assert not IncidentLink.objects.filter(ticket=security_ticket).exists()


def test_customers_and_collaborators_may_not_manage_incidents(
    carol_customer: Contact,
    dave_collaborator: Agent,
    bob_other_team: Agent,
    outage: Ticket,
    alice_agent: Agent,
) -> None:
    for who in (carol_customer, dave_collaborator):
        with pytest.raises(PermissionDenied):
            mark_incident(actor=who, ticket_id=outage.pk)  # type: ignore[arg-type]
    mark_incident(actor=alice_agent, ticket_id=outage.pk)
    with pytest.raises(PermissionDenied):
        send_update(actor=dave_collaborator, incident_ticket_id=outage.pk, body_text="hi")
    with pytest.raises(PermissionDenied):
        link_tickets(actor=dave_collaborator, incident_ticket_id=outage.pk, ticket_ids=[outage.pk])


def test_one_update_reaches_every_customer_on_their_own_channel_and_never_a_note(
    alice_agent: Agent,
    outage: Ticket,
    affected: list[Ticket],
    carol_customer: Contact,
    committed: Any,
) -> None:
    email_ticket, portal_ticket = affected
    mark_incident(actor=alice_agent, ticket_id=outage.pk)
    link_tickets(actor=alice_agent, incident_ticket_id=outage.pk, ticket_ids=[t.pk for t in affected])
    add_note(actor=alice_agent, ticket_id=outage.pk, body_text="internal: the DB primary died")

    update = committed(
        send_update,
        actor=alice_agent,
        incident_ticket_id=outage.pk,
        body_text="We are restoring the login service.",
    )
    update.refresh_from_db()
    assert update.state == UpdateState.DONE and update.total == 3
    for t in (outage, *affected):
        replies = Message.objects.filter(ticket=t, kind=MessageKind.REPLY, author_agent=alice_agent)
        assert [m.body_text for m in replies] == ["We are restoring the login service."]
        assert replies[0].channel == t.channel
    # Email: an outbox row to Frank. Portal: Gina reads it on her request's page; no internal note anywhere.
    mails = OutboundEmail.objects.filter(ticket=email_ticket)
    assert mails.count() == 1 and "frank@acme.test" in " ".join(mails[0].to)
    assert not OutboundEmail.objects.filter(ticket=portal_ticket).exists()
    page = sign_in_client(Client(), portal_ticket.requester).get(f"/portal/requests/{portal_ticket.number}/")
    assert "We are restoring the login service." in page.content.decode()
    carol_page = sign_in_client(Client(), carol_customer).get(f"/portal/requests/{outage.number}/")
    assert "We are restoring" in carol_page.content.decode()
    assert "DB primary" not in carol_page.content.decode()
    assert not Message.objects.filter(ticket__in=affected, kind=MessageKind.NOTE).exists()


def test_a_retry_never_posts_twice(alice_agent: Agent, outage: Ticket, affected: list[Ticket]) -> None:
    mark_incident(actor=alice_agent, ticket_id=outage.pk)
    link_tickets(actor=alice_agent, incident_ticket_id=outage.pk, ticket_ids=[t.pk for t in affected])
    update = send_update(
        actor=alice_agent, incident_ticket_id=outage.pk, body_text="Fixed soon"
    )  # not yet delivered
    assert set(IncidentDelivery.objects.filter(update=update).values_list("state", flat=True)) == {
        DeliveryState.PENDING
    }
    deliver_update(update_id=update.pk)
    deliver_update(update_id=update.pk)  # the task retried, or ran twice
    assert Message.objects.filter(body_text="Fixed soon").count() == 3
    assert update.deliveries.filter(state=DeliveryState.SENT).count() == 3


def test_closed_and_invisible_tickets_are_skipped(
    alice_agent: Agent, admin: Agent, outage: Ticket, affected: list[Ticket], security_ticket: Ticket
) -> None:
    mark_incident(actor=alice_agent, ticket_id=outage.pk)
    link_tickets(actor=alice_agent, incident_ticket_id=outage.pk, ticket_ids=[t.pk for t in affected])
    link_tickets(actor=admin, incident_ticket_id=outage.pk, ticket_ids=[security_ticket.pk])
    update_ticket(actor=alice_agent, ticket_id=affected[0].pk, status=Status.SOLVED)
    update_ticket(actor=alice_agent, ticket_id=affected[0].pk, status=Status.CLOSED)
    update = send_update(actor=alice_agent, incident_ticket_id=outage.pk, body_text="Still on it")
    deliver_update(update_id=update.pk)
    states = dict(update.deliveries.values_list("ticket_id", "reason"))
    assert states[affected[0].pk] == "closed"
    assert states[security_ticket.pk] == "not_visible"
    assert not Message.objects.filter(
        ticket__in=[affected[0], security_ticket], body_text="Still on it"
    ).exists()
    assert Message.objects.filter(ticket=affected[1], body_text="Still on it").exists()


def test_solving_the_incident_solves_the_linked_tickets_on_request(
    alice_agent: Agent, outage: Ticket, affected: list[Ticket], committed: Any
) -> None:
    incident = mark_incident(actor=alice_agent, ticket_id=outage.pk)
    link_tickets(actor=alice_agent, incident_ticket_id=outage.pk, ticket_ids=[t.pk for t in affected])
    committed(update_ticket, actor=alice_agent, ticket_id=outage.pk, status=Status.SOLVED)
    incident.refresh_from_db()
    assert incident.resolved_at is not None
    assert {reload(t).status for t in affected} == {Status.NEW}  # only offered, not done
    outcomes = solve_linked(incident, alice_agent)
    assert all(o.ok for o in outcomes) and len(outcomes) == 2
    assert {reload(t).status for t in affected} == {Status.SOLVED}
    committed(update_ticket, actor=alice_agent, ticket_id=outage.pk, status=Status.OPEN)
    incident.refresh_from_db()
    assert incident.resolved_at is None


def test_an_agent_cannot_reach_an_incident_they_cannot_see(
    admin: Agent, bob_other_team: Agent, security_ticket: Ticket
) -> None:
    mark_incident(actor=admin, ticket_id=security_ticket.pk)
    with pytest.raises(NotFound):
        send_update(actor=bob_other_team, incident_ticket_id=security_ticket.pk, body_text="x")


def test_the_assignee_of_an_affected_ticket_is_told_a_reply_went_out(
    alice_agent: Agent, admin: Agent, outage: Ticket, affected: list[Ticket]
) -> None:
    from zabota.notifications.models import Notification, NotificationKind

    update_ticket(actor=admin, ticket_id=affected[0].pk, assignee=admin)
    mark_incident(actor=alice_agent, ticket_id=outage.pk)
    link_tickets(actor=alice_agent, incident_ticket_id=outage.pk, ticket_ids=[t.pk for t in affected])
    update = send_update(actor=alice_agent, incident_ticket_id=outage.pk, body_text="Update one")
    deliver_update(update_id=update.pk)
    told = Notification.objects.filter(kind=NotificationKind.INCIDENT)
    assert [(n.agent_id, n.ticket_id) for n in told] == [(admin.pk, affected[0].pk)]
    assert told[0].message.body_text == "Update one"  # type: ignore[union-attr]


def test_a_restricted_incident_keeps_its_subject_from_the_linked_tickets_timeline(
    sam_security: Agent, security_ticket: Ticket, outage: Ticket, alice_api: Any
) -> None:
    # Sam (Security) files the breach as an incident and links Support's login ticket to it.
    mark_incident(actor=sam_security, ticket_id=security_ticket.pk)
    link_tickets(actor=sam_security, incident_ticket_id=security_ticket.pk, ticket_ids=[outage.pk])

    # Alice reads the Support ticket: she learns it is part of an incident, not what Security
    # wrote about it.
    body = alice_api.get(f"/tickets/{outage.pk}").content.decode()
    assert "incident_linked" in body
    assert security_ticket.subject not in body


def test_an_incident_ticket_merged_into_another_is_no_longer_ongoing(
    alice_agent: Agent, outage: Ticket, committed: Any
) -> None:
    from zabota.tickets.actions import merge_tickets
    from zabota.triage.models import Incident

    mark_incident(actor=alice_agent, ticket_id=outage.pk)
    # Carol reported the outage twice: Alice merges the incident ticket into the other report.
    again = open_ticket(outage.requester, "Login still down", "Any news?", team=outage.team)
    committed(merge_tickets, actor=alice_agent, source_id=outage.pk, target_id=again.pk)

    assert reload(outage).status == Status.CLOSED
    assert Incident.objects.get(ticket=outage).resolved_at is not None
