"""One ticket: its timeline as the actor may see it, and its customer messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from zabota.customers.models import Contact
from zabota.tickets.choices import MessageKind
from zabota.tickets.models import (
    Activity,
    Message,
    Ticket,
)
from zabota.tickets.queries.access import Actor

# --- One ticket ------------------------------------------------------------------------------


@dataclass
class TimelineEntry:
    at: datetime
    message: Message | None = None
    activity: Activity | None = None


def timeline(actor: Actor, ticket: Ticket) -> list[TimelineEntry]:
    """Messages and activity in order. Contacts get public replies only (see customer_timeline)."""
    if isinstance(actor, Contact):
        return [TimelineEntry(at=m.created_at, message=m) for m in customer_messages(ticket)]
    messages = list(
        ticket.messages.select_related("author_agent", "author_contact").prefetch_related("attachments")
    )
    activity = list(ticket.activity.select_related("actor_agent", "actor_contact"))
    entries = [TimelineEntry(at=m.created_at, message=m) for m in messages]
    entries += [TimelineEntry(at=a.created_at, activity=a) for a in activity]
    entries.sort(key=lambda e: (e.at, 0 if e.message else 1, (e.message or e.activity).pk))  # type: ignore[union-attr]
    return entries


def customer_messages(ticket: Ticket) -> list[Message]:
    """What a customer may read on their ticket: public replies only, never notes or events."""
    return list(
        ticket.messages.filter(kind=MessageKind.REPLY)
        .select_related("author_agent", "author_contact")
        .prefetch_related("attachments")
    )
