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
from zabota.channels.email.models import Mailbox
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


@subscribe(TicketCreated, batch=True)
def acknowledge_new_email_ticket(events: list[TicketCreated]) -> None:
    opened_by_customers = [e.ticket_id for e in events if e.actor_contact_id is not None]
    if not opened_by_customers or not Mailbox.objects.filter(auto_ack_enabled=True, is_active=True).exists():
        return
    by_email = list(
        Ticket.objects.filter(pk__in=opened_by_customers, channel=Channel.EMAIL)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if len(by_email) == 1:
        tasks.auto_acknowledge(by_email[0])
    elif by_email:
        tasks.auto_acknowledge_many(by_email)
