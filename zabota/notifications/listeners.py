"""Reactions to ticket events that notify agents (after commit; a few cheap inserts, inline).

- assigned: the ticket was assigned (or created assigned) to someone other than the actor;
- mentioned: an agent's note or reply names ``@<email local part>`` or ``@"Full Name"`` of an
  agent who can see the ticket (a mention of someone who cannot see it notifies no one);
  customers' messages mention nobody;
- customer replied: a contact's reply on an existing ticket notifies the assignee and the
  agents following it;
- email held / bounced (email channel): mail on a ticket's thread from someone not on the
  ticket is held, or a delivery report says one of our emails on a ticket did not arrive. The
  ticket's assignee is told; an unassigned ticket's team (its agents and admins, not its
  collaborators); a ticket with neither, the admins.

Never the actor; at most one notification per agent per message (a mention wins).
"""

from __future__ import annotations

from zabota.accounts.models import Agent, Role
from zabota.channels.email.events import BounceReceived, DeliveryFailed, EmailHeld
from zabota.channels.email.models import InboundEmail, OutboundEmail
from zabota.core.events import subscribe
from zabota.customers.models import Contact
from zabota.notifications.actions import notify
from zabota.notifications.mentions import mentioned_agents
from zabota.notifications.models import NotificationKind
from zabota.tickets.choices import MessageKind
from zabota.tickets.events import MessageAdded, TicketChanged, TicketCreated
from zabota.tickets.models import Follower, Message, Ticket
from zabota.tickets.queries import filter_visible


def _agent_name(agent_id: int | None) -> str:
    if agent_id is None:
        return ""
    agent = Agent.objects.filter(pk=agent_id).only("name", "email").first()
    return str(agent) if agent else ""


def _contact_name(contact_id: int | None) -> str:
    if contact_id is None:
        return ""
    contact = Contact.objects.filter(pk=contact_id).prefetch_related("emails").first()
    if contact is None:
        return ""
    return contact.name or next((e.email for e in contact.emails.all()), "")


@subscribe(TicketChanged)
def notify_assigned(event: TicketChanged) -> None:
    change = event.changes.get("assignee")
    if not change:
        return
    after = change[1]
    assignee_id = after.get("id") if isinstance(after, dict) else None
    if not assignee_id or assignee_id == event.actor_agent_id:
        return
    notify(
        agent_ids=[assignee_id],
        kind=NotificationKind.ASSIGNED,
        ticket_id=event.ticket_id,
        actor_agent_id=event.actor_agent_id,
        actor_name=_agent_name(event.actor_agent_id),
    )


@subscribe(TicketCreated, batch=True)
def notify_created_assigned(events: list[TicketCreated]) -> None:
    assignees = dict(
        Ticket.objects.filter(pk__in=[e.ticket_id for e in events], assignee__isnull=False).values_list(
            "pk", "assignee_id"
        )
    )
    for event in events:
        assignee_id = assignees.get(event.ticket_id)
        if not assignee_id or assignee_id == event.actor_agent_id:
            continue
        notify(
            agent_ids=[assignee_id],
            kind=NotificationKind.ASSIGNED,
            ticket_id=event.ticket_id,
            actor_agent_id=event.actor_agent_id,
            actor_name=_agent_name(event.actor_agent_id) or _contact_name(event.actor_contact_id),
        )


@subscribe(MessageAdded, batch=True)
def notify_message(events: list[MessageAdded]) -> None:
    for event in events:
        if event.kind in (MessageKind.REPLY, MessageKind.NOTE):
            # The message that opened its ticket is not a reply to anyone.
            _notify_message(event, opens_ticket=event.opens_ticket)


def _notify_message(event: MessageAdded, *, opens_ticket: bool) -> None:
    mentioned: set[int] = set()
    if event.author_agent_id is not None:
        body = Message.objects.filter(pk=event.message_id).values_list("body_text", flat=True).first() or ""
        for agent in mentioned_agents(body):
            if agent.pk != event.author_agent_id and filter_visible(agent, [event.ticket_id]):
                mentioned.add(agent.pk)
        notify(
            agent_ids=mentioned,
            kind=NotificationKind.MENTIONED,
            ticket_id=event.ticket_id,
            message_id=event.message_id,
            actor_agent_id=event.author_agent_id,
            actor_name=_agent_name(event.author_agent_id),
        )
    if event.author_contact_id is not None and event.kind == MessageKind.REPLY:
        if opens_ticket:
            return  # the message that opened the ticket is not a reply
        assignee_id = Ticket.objects.filter(pk=event.ticket_id).values_list("assignee_id", flat=True).first()
        recipients = set(
            Follower.objects.filter(ticket_id=event.ticket_id, agent__isnull=False).values_list(
                "agent_id", flat=True
            )
        )
        if assignee_id:
            recipients.add(assignee_id)
        notify(
            agent_ids=recipients - mentioned,
            kind=NotificationKind.CUSTOMER_REPLIED,
            ticket_id=event.ticket_id,
            message_id=event.message_id,
            actor_name=_contact_name(event.author_contact_id),
        )


def _responsible(ticket_id: int) -> list[int]:
    """Who should look at a problem with a ticket's mail: its assignee, else its team's agents
    and admins, else the admins."""
    row = Ticket.objects.filter(pk=ticket_id).values("assignee_id", "team_id").first()
    if row is None:
        return []
    if row["assignee_id"]:
        return [row["assignee_id"]]
    agents = Agent.objects.filter(is_active=True).exclude(role=Role.COLLABORATOR)
    if row["team_id"]:
        members = list(agents.filter(teams=row["team_id"]).values_list("pk", flat=True))
        if members:
            return members
    return list(agents.filter(role=Role.ADMIN).values_list("pk", flat=True))


@subscribe(EmailHeld)
def notify_email_held(event: EmailHeld) -> None:
    sender = InboundEmail.objects.filter(pk=event.inbound_id).values_list("from_address", flat=True).first()
    notify(
        agent_ids=_responsible(event.ticket_id),
        kind=NotificationKind.EMAIL_HELD,
        ticket_id=event.ticket_id,
        actor_name=sender or "",
    )


@subscribe(BounceReceived)
def notify_bounced(event: BounceReceived) -> None:
    if not event.permanent:
        return  # a delay warning: the outbox keeps trying
    outbound = (
        OutboundEmail.objects.filter(pk=event.outbound_id).values("ticket_id", "message_id", "to").first()
    )
    if outbound is None or outbound["ticket_id"] is None:
        return
    recipients = list(event.recipients) or [str(a) for a in outbound["to"] or []]
    notify(
        agent_ids=_responsible(outbound["ticket_id"]),
        kind=NotificationKind.BOUNCED,
        ticket_id=outbound["ticket_id"],
        message_id=outbound["message_id"],
        actor_name=", ".join(recipients),
    )


@subscribe(DeliveryFailed)
def notify_delivery_failed(event: DeliveryFailed) -> None:
    """Our mail server refused the reply for good (or four days of failures): the same alert as
    a bounce, since for the agent it means the same thing: the customer did not get it."""
    outbound = (
        OutboundEmail.objects.filter(pk=event.outbound_id).values("ticket_id", "message_id", "to").first()
    )
    if outbound is None or outbound["ticket_id"] is None or outbound["message_id"] is None:
        return
    notify(
        agent_ids=_responsible(outbound["ticket_id"]),
        kind=NotificationKind.BOUNCED,
        ticket_id=outbound["ticket_id"],
        message_id=outbound["message_id"],
        actor_name=", ".join(str(a) for a in outbound["to"] or []),
    )
