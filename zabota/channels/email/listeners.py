"""The email channel's reactions to events (after commit).

- ``MessageAdded``: an agent's public reply on an email ticket gets its outbox row
  (``outbox.queue_reply``; ``outbox.ensure_outbox`` catches any a crash skipped).
- ``OutboundQueued``: the row is sent by a task at once (``send_due`` retries it).
- ``TicketCreated``: a ticket opened by email may get an auto-acknowledgement (a task: it
  re-reads the stored mail).
"""

from __future__ import annotations

from zabota.channels.email import outbox, tasks
from zabota.channels.email.events import OutboundQueued
from zabota.core.events import subscribe
from zabota.tickets.choices import Channel, MessageKind
from zabota.tickets.events import MessageAdded, TicketCreated
from zabota.tickets.models import Ticket


@subscribe(MessageAdded)
def queue_reply_mail(event: MessageAdded) -> None:
    if event.kind == MessageKind.REPLY and event.author_agent_id is not None:
        outbox.queue_reply(event.message_id)


@subscribe(OutboundQueued)
def send_queued_mail(event: OutboundQueued) -> None:
    tasks.send_outbound(event.outbound_id)


@subscribe(TicketCreated)
def acknowledge_new_email_ticket(event: TicketCreated) -> None:
    if (
        event.actor_contact_id is not None
        and Ticket.objects.filter(pk=event.ticket_id, channel=Channel.EMAIL).exists()
    ):
        tasks.auto_acknowledge(event.ticket_id)
