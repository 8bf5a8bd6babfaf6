"""Opening a ticket."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
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
    activity_row,
    agent_of,
    attachment_rows,
    bodies,
    contact_of,
    next_numbers,
    require_editor,
)
from zabota.tickets.actions.fields import (
    check_assignee,
    clean_custom_fields,
    custom_field_definitions,
    resolve_tags,
)
from zabota.tickets.choices import Channel, Kind, MessageKind, Priority, Status
from zabota.tickets.events import MessageAdded, TicketCreated
from zabota.tickets.models import Activity, Attachment, Follower, Inbox, Message, Ticket, TicketTag
from zabota.tickets.search import reindex


@dataclass
class NewTicket:
    """One ticket to open with ``create_tickets`` (the arguments of ``create_ticket``), plus
    ``copied``: contacts the requester copied, following from the start (an email's Cc)."""

    actor: Actor
    requester: Contact
    subject: str
    body_text: str = ""
    body_html: str = ""
    channel: str = Channel.API
    inbox: Inbox | None = None
    priority: int = Priority.NORMAL
    kind: str = Kind.QUESTION
    team: Team | None = None
    assignee: Agent | None = None
    project: Project | None = None
    tags: list[str] | None = None
    custom_fields: dict[str, Any] | None = None
    attachments: list[Upload] | None = None
    first_message_is_note: bool = False
    copied: list[Contact] = field(default_factory=list)


@dataclass
class Opened:
    ticket: Ticket
    message: Message
    attachments: list[Attachment]


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
    spec = NewTicket(
        actor=actor,
        requester=requester,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        channel=channel,
        inbox=inbox,
        priority=priority,
        kind=kind,
        team=team,
        assignee=assignee,
        project=project,
        tags=tags,
        custom_fields=custom_fields,
        attachments=attachments,
        first_message_is_note=first_message_is_note,
    )
    return create_tickets([spec])[0].ticket


def _check(spec: NewTicket) -> tuple[str, str, str]:
    """Refuse a spec that ``create_ticket`` would refuse; (subject, text, html) when fine."""
    if isinstance(spec.actor, Agent):
        require_editor(spec.actor)
    subject = (spec.subject or "").strip()
    if not subject:
        raise ValidationFailed("subject is required", fields={"subject": "required"})
    if len(subject) > 500:
        raise ValidationFailed("subject is longer than 500 characters", fields={"subject": "too_long"})
    if spec.channel not in Channel.values:
        raise ValidationFailed(f"unknown channel {spec.channel!r}", fields={"channel": "invalid"})
    if spec.priority not in Priority.values:
        raise ValidationFailed(f"unknown priority {spec.priority!r}", fields={"priority": "invalid"})
    if spec.kind not in Kind.values:
        raise ValidationFailed(f"unknown kind {spec.kind!r}", fields={"kind": "invalid"})
    if spec.project is not None and spec.project.organization_id != spec.requester.organization_id:
        raise ValidationFailed(
            "the project belongs to another organization", fields={"project_id": "invalid"}
        )
    text, html = bodies(spec.body_text, spec.body_html)
    return subject, text, html


def create_tickets(specs: Sequence[NewTicket]) -> list[Opened]:
    """Open several tickets in one transaction with a few queries for them all (a batch of
    imported mail); the rules, rows and events are exactly ``create_ticket``'s for each. Any
    refusal refuses the lot (nothing is written)."""
    checked = [_check(spec) for spec in specs]
    if not specs:
        return []
    with transaction.atomic():
        now = clock.now()
        numbers = next_numbers(len(specs))
        # The inboxes' default teams, once for the batch (each ticket without a team gets its
        # inbox's).
        default_teams = Team.objects.in_bulk(
            {s.inbox.default_team_id for s in specs if s.team is None and s.inbox is not None} - {None}
        )
        custom_defs = None
        tickets = []
        for spec, number, (subject, _, _) in zip(specs, numbers, checked, strict=True):
            team = spec.team
            if team is None and spec.inbox is not None and spec.inbox.default_team_id is not None:
                team = default_teams[spec.inbox.default_team_id]
            if spec.assignee is not None:
                check_assignee(spec.assignee, team)
            custom: dict[str, Any] = {}
            if spec.custom_fields:
                custom_defs = custom_defs if custom_defs is not None else custom_field_definitions()
                custom = clean_custom_fields(spec.custom_fields, custom_defs)
            tickets.append(
                Ticket(
                    number=number,
                    subject=subject,
                    status=Status.OPEN if spec.assignee else Status.NEW,
                    priority=int(spec.priority),
                    kind=spec.kind,
                    channel=spec.channel,
                    inbox=spec.inbox,
                    requester=spec.requester,
                    organization_id=spec.requester.organization_id,
                    project=spec.project,
                    assignee=spec.assignee,
                    team=team,
                    custom_fields=custom,
                    created_at=now,
                    updated_at=now,
                )
            )
        Ticket.objects.bulk_create(tickets)
        messages = []
        for spec, ticket, (_, text, html) in zip(specs, tickets, checked, strict=True):
            agent = agent_of(spec.actor)
            first_kind = MessageKind.NOTE if (agent and spec.first_message_is_note) else MessageKind.REPLY
            messages.append(
                Message(
                    ticket=ticket,
                    kind=first_kind,
                    author_agent=agent,
                    author_contact=spec.requester if agent is None else None,
                    body_text=text,
                    body_html=html,
                    channel=spec.channel,
                    created_at=now,
                )
            )
        Message.objects.bulk_create(messages)
        tags: list[TicketTag] = []
        followers: list[Follower] = []
        activity: list[Activity] = []
        stored: list[list[Attachment]] = []
        for spec, ticket, message in zip(specs, tickets, messages, strict=True):
            stored.append(attachment_rows(message, spec.attachments) if spec.attachments else [])
            if spec.tags:
                tags.extend(TicketTag(ticket=ticket, tag=t) for t in resolve_tags(spec.tags))
            followers.append(Follower(ticket=ticket, contact=spec.requester))
            activity.append(
                activity_row(
                    ticket,
                    spec.actor,
                    "created",
                    after={"status": ticket.status, "channel": spec.channel, "number": ticket.number},
                    at=now,
                )
            )
            copied = list({c.pk: c for c in spec.copied if c.pk != spec.requester.pk}.values())[:50]
            if copied:
                followers.extend(Follower(ticket=ticket, contact=c) for c in copied)
                activity.append(
                    activity_row(ticket, None, "contacts_copied", after=[str(c) for c in copied], at=now)
                )
        Attachment.objects.bulk_create([att for atts in stored for att in atts])
        TicketTag.objects.bulk_create(tags)
        Follower.objects.bulk_create(followers)
        Activity.objects.bulk_create(activity)
        reindex([t.pk for t in tickets], new=True)
        for spec, ticket, message in zip(specs, tickets, messages, strict=True):
            agent = agent_of(spec.actor)
            publish(
                TicketCreated(
                    ticket_id=ticket.pk,
                    actor_agent_id=agent.pk if agent else None,
                    actor_contact_id=c.pk if (c := contact_of(spec.actor)) else None,
                )
            )
            publish(
                MessageAdded(
                    ticket_id=ticket.pk,
                    message_id=message.pk,
                    kind=message.kind,
                    author_agent_id=message.author_agent_id,
                    author_contact_id=message.author_contact_id,
                    opens_ticket=True,
                )
            )
    return [Opened(t, m, a) for t, m, a in zip(tickets, messages, stored, strict=True)]
