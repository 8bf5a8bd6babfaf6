"""Opening a ticket."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from zabota.accounts.models import Agent, Team
from zabota.core import clock
from zabota.core.errors import ValidationFailed
from zabota.core.events import publish
from zabota.customers.models import Contact, Project
from zabota.tickets.actions.common import (
    Actor,
    Upload,
    agent_of,
    bodies,
    contact_of,
    next_number,
    record,
    require_editor,
    store_attachments,
)
from zabota.tickets.actions.fields import check_assignee, clean_custom_fields, resolve_tags
from zabota.tickets.choices import Channel, Kind, MessageKind, Priority, Status
from zabota.tickets.events import MessageAdded, TicketCreated
from zabota.tickets.models import Follower, Inbox, Message, Ticket, TicketTag
from zabota.tickets.search import reindex


def create_ticket(
    *,
    actor: Actor,
    requester: Contact,
    subject: str,
    body_text: str = "",
    body_html: str = "",
    channel: str = Channel.API,
    inbox: Inbox | None = None,
    priority: int = Priority.NORMAL,
    kind: str = Kind.QUESTION,
    team: Team | None = None,
    assignee: Agent | None = None,
    project: Project | None = None,
    tags: list[str] | None = None,
    custom_fields: dict[str, Any] | None = None,
    attachments: list[Upload] | None = None,
    first_message_is_note: bool = False,
) -> Ticket:
    """Open a ticket with its first message.

    The first message is a public reply written by the requester when a customer (or a channel
    on their behalf) opens it; when an agent opens it on a customer's behalf, it is the agent's
    public reply to the requester (or a note with ``first_message_is_note``).
    """
    if isinstance(actor, Agent):
        require_editor(actor)
    subject = (subject or "").strip()
    if not subject:
        raise ValidationFailed("subject is required", fields={"subject": "required"})
    if len(subject) > 500:
        raise ValidationFailed("subject is longer than 500 characters", fields={"subject": "too_long"})
    if channel not in Channel.values:
        raise ValidationFailed(f"unknown channel {channel!r}", fields={"channel": "invalid"})
    if priority not in Priority.values:
        raise ValidationFailed(f"unknown priority {priority!r}", fields={"priority": "invalid"})
    if kind not in Kind.values:
        raise ValidationFailed(f"unknown kind {kind!r}", fields={"kind": "invalid"})
    if project is not None and project.organization_id != requester.organization_id:
        raise ValidationFailed(
            "the project belongs to another organization", fields={"project_id": "invalid"}
        )
    text, html = bodies(body_text, body_html)
    with transaction.atomic():
        if team is None and inbox is not None:
            team = inbox.default_team
        if assignee is not None:
            check_assignee(assignee, team)
        now = clock.now()
        ticket = Ticket.objects.create(
            number=next_number(),
            subject=subject,
            status=Status.OPEN if assignee else Status.NEW,
            priority=int(priority),
            kind=kind,
            channel=channel,
            inbox=inbox,
            requester=requester,
            organization_id=requester.organization_id,
            project=project,
            assignee=assignee,
            team=team,
            custom_fields=clean_custom_fields(custom_fields or {}),
            created_at=now,
            updated_at=now,
        )
        agent = agent_of(actor)
        kind_of_first = MessageKind.NOTE if (agent and first_message_is_note) else MessageKind.REPLY
        message = Message.objects.create(
            ticket=ticket,
            kind=kind_of_first,
            author_agent=agent,
            author_contact=requester if agent is None else None,
            body_text=text,
            body_html=html,
            channel=channel,
            created_at=now,
        )
        if attachments:
            store_attachments(message, attachments)
        tag_objs = resolve_tags(tags or [])
        TicketTag.objects.bulk_create([TicketTag(ticket=ticket, tag=t) for t in tag_objs])
        Follower.objects.create(ticket=ticket, contact=requester)
        record(
            ticket,
            actor,
            "created",
            after={"status": ticket.status, "channel": channel, "number": ticket.number},
        )
        reindex([ticket.pk])
        publish(
            TicketCreated(
                ticket_id=ticket.pk,
                actor_agent_id=agent.pk if agent else None,
                actor_contact_id=c.pk if (c := contact_of(actor)) else None,
            )
        )
        publish(
            MessageAdded(
                ticket_id=ticket.pk,
                message_id=message.pk,
                kind=message.kind,
                author_agent_id=message.author_agent_id,
                author_contact_id=message.author_contact_id,
            )
        )
    return ticket
