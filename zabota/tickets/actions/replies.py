"""Public replies and internal notes."""

from __future__ import annotations

from django.db import transaction

from zabota.accounts.models import Agent
from zabota.core import clock
from zabota.core.errors import IllegalTransition, PermissionDenied
from zabota.core.events import publish
from zabota.customers.models import Contact
from zabota.tickets.actions.common import (
    Actor,
    Upload,
    agent_of,
    bodies,
    contact_of,
    lock_ticket,
    record,
    store_attachments,
)
from zabota.tickets.actions.update import apply_status, check_transition
from zabota.tickets.choices import Channel, ErrorCode, MessageKind, Status
from zabota.tickets.events import MessageAdded, TicketChanged
from zabota.tickets.models import Message, Ticket
from zabota.tickets.search import reindex


def _add_message(
    *,
    actor: Actor,
    ticket: Ticket,
    kind: str,
    body_text: str,
    body_html: str,
    channel: str,
    attachments: list[Upload] | None,
    new_status: str | None,
    author_contact: Contact | None = None,
) -> Message:
    text, html = bodies(body_text, body_html)
    if ticket.merged_into_id is not None:
        raise IllegalTransition(
            f"ticket #{ticket.number} was merged; write on the ticket it was merged into",
            code=ErrorCode.MERGED,
        )
    now = clock.now()
    message = Message.objects.create(
        ticket=ticket,
        kind=kind,
        author_agent=agent_of(actor),
        author_contact=contact_of(actor) or author_contact,
        body_text=text,
        body_html=html,
        channel=channel,
        created_at=now,
    )
    if attachments:
        store_attachments(message, attachments)
    changes: dict[str, tuple[object, object]] = {}
    if new_status is not None and new_status != ticket.status:
        check_transition(ticket, new_status)
        changes["status"] = (ticket.status, new_status)
        record(ticket, actor, "changed", "status", ticket.status, new_status)
        apply_status(ticket, new_status)
    ticket.updated_at = now
    ticket.save(update_fields=["status", "solved_at", "updated_at"])
    reindex([ticket.pk])
    publish(
        MessageAdded(
            ticket_id=ticket.pk,
            message_id=message.pk,
            kind=kind,
            author_agent_id=message.author_agent_id,
            author_contact_id=message.author_contact_id,
        )
    )
    if changes:
        publish(TicketChanged(ticket_id=ticket.pk, changes=changes, actor_agent_id=message.author_agent_id))
    return message


def reply(
    *,
    actor: Actor,
    ticket_id: int,
    body_text: str = "",
    body_html: str = "",
    channel: str = Channel.API,
    attachments: list[Upload] | None = None,
    status: str | None = None,
    author_contact: Contact | None = None,
    reopen: bool = True,
) -> Message:
    """A public reply: seen by the customer and sent on the ticket's channel.

    An agent's reply moves a new ticket to open (or to ``status`` if given, e.g. pending). A
    customer's reply reopens a pending or solved ticket (unless ``reopen`` is False: an
    out-of-office answer is recorded without waking the ticket up).

    ``author_contact`` is for a channel acting as the system (``actor`` None) that has verified
    which customer wrote: an email from the requester or from a person copied on the ticket.
    """
    if author_contact is not None and actor is not None:
        raise PermissionDenied("author_contact is only for messages the system records")
    if isinstance(actor, Agent) and not actor.may_reply_publicly:
        raise PermissionDenied(
            "collaborators write internal notes; public replies are not enabled for you",
            code=ErrorCode.REPLY_NOT_ALLOWED,
        )
    with transaction.atomic():
        ticket = lock_ticket(actor, ticket_id)
        new_status = status
        if ticket.status == Status.CLOSED and ticket.merged_into_id is None:
            # Closed is final; a merged ticket gets its own, more helpful error below.
            raise IllegalTransition(
                f"ticket #{ticket.number} is closed; open a new ticket", code=ErrorCode.ILLEGAL_TRANSITION
            )
        if isinstance(actor, Contact) or author_contact is not None:
            if (
                reopen
                and ticket.status in (Status.PENDING, Status.SOLVED, Status.ON_HOLD)
                and new_status is None
            ):
                new_status = Status.OPEN if ticket.status != Status.ON_HOLD else None
        elif new_status is None and ticket.status == Status.NEW:
            new_status = Status.OPEN
        return _add_message(
            actor=actor,
            ticket=ticket,
            kind=MessageKind.REPLY,
            body_text=body_text,
            body_html=body_html,
            channel=channel,
            attachments=attachments,
            new_status=new_status,
            author_contact=author_contact,
        )


def add_note(
    *,
    actor: Agent | None,
    ticket_id: int,
    body_text: str = "",
    body_html: str = "",
    attachments: list[Upload] | None = None,
) -> Message:
    """An internal note: agents and collaborators only; never shown or sent to a customer."""
    if isinstance(actor, Contact):
        raise PermissionDenied("customers cannot write internal notes")
    with transaction.atomic():
        ticket = lock_ticket(actor, ticket_id)
        return _add_message(
            actor=actor,
            ticket=ticket,
            kind=MessageKind.NOTE,
            body_text=body_text,
            body_html=body_html,
            channel=Channel.OTHER,
            attachments=attachments,
            new_status=None,
        )
