"""Reads of the email channel for the workspace: the quarantine page's counts and list (admins),
held mail on a ticket and the original of an email message (agents who can see the ticket).

Visibility follows the ticket: an inbound email tied to a ticket the agent may not see is
"not found", the same answer as for one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.core.files.storage import default_storage
from django.db.models import Count, Q
from django.db.models.query import QuerySet

from zabota.accounts.models import Agent
from zabota.channels.email.models import InboundEmail, InboundStatus
from zabota.channels.email.parse import Unparseable, parse
from zabota.core import clock
from zabota.core.errors import NotFound
from zabota.tickets.models import Message, Ticket
from zabota.tickets.queries import visible_tickets

PREVIEW_CHARS = 600
HELD_SHOWN = 10  # held messages shown on a ticket page (the oldest first)


def quarantine_counts() -> dict[str, int]:
    """One query: quarantined, held, received and not processed, bounces in the last 7 days."""
    week_ago = clock.now() - timedelta(days=7)
    counts = InboundEmail.objects.filter(
        status__in=[
            InboundStatus.QUARANTINED,
            InboundStatus.HELD,
            InboundStatus.RECEIVED,
            InboundStatus.BOUNCE,
        ]
    ).aggregate(
        quarantined=Count("id", filter=Q(status=InboundStatus.QUARANTINED)),
        held=Count("id", filter=Q(status=InboundStatus.HELD)),
        received=Count("id", filter=Q(status=InboundStatus.RECEIVED)),
        bounces=Count("id", filter=Q(status=InboundStatus.BOUNCE, received_at__gte=week_ago)),
    )
    return {key: int(value or 0) for key, value in counts.items()}


def quarantined() -> QuerySet[InboundEmail]:
    """Quarantined mail, newest first, without the columns the list does not show."""
    return (
        InboundEmail.objects.filter(status=InboundStatus.QUARANTINED)
        .only("id", "from_address", "subject", "reason", "received_at", "source", "size", "attempts", "raw")
        .order_by("-id")
    )


def read_raw(inbound: InboundEmail) -> bytes:
    with default_storage.open(inbound.raw.name, "rb") as f:
        data: bytes = f.read()
    return data


@dataclass
class HeldMail:
    """A held message as the ticket page shows it."""

    id: int
    from_address: str
    subject: str
    reason: str
    received_at: object
    preview: str


def _preview(inbound: InboundEmail) -> str:
    try:
        parsed = parse(read_raw(inbound))
    except (Unparseable, OSError, ValueError):
        return ""
    text = (parsed.new_text or parsed.text or "").strip()
    if len(text) > PREVIEW_CHARS:
        text = text[:PREVIEW_CHARS].rstrip() + "…"
    return text


def held_for_ticket(ticket: Ticket) -> list[HeldMail]:
    """Mail held on ``ticket`` (one query; the caller has already checked the ticket is visible).
    The previews are parsed from the stored raw messages (files, not queries)."""
    rows = list(
        InboundEmail.objects.filter(ticket_id=ticket.pk, status=InboundStatus.HELD)
        .only("id", "from_address", "subject", "reason", "received_at", "raw")
        .order_by("id")[:HELD_SHOWN]
    )
    return [
        HeldMail(
            id=row.pk,
            from_address=row.from_address,
            subject=row.subject,
            reason=row.reason,
            received_at=row.received_at,
            preview=_preview(row),
        )
        for row in rows
    ]


def held_on_ticket(agent: Agent, number: int, inbound_id: int) -> InboundEmail:
    """A held message of ticket ``number`` that ``agent`` can see; NotFound otherwise."""
    inbound = (
        InboundEmail.objects.filter(
            pk=inbound_id,
            status=InboundStatus.HELD,
            ticket__in=visible_tickets(agent).filter(number=number),
        )
        .select_related("ticket")
        .first()
    )
    if inbound is None:
        raise NotFound("no such held email")
    return inbound


def original_of_message(agent: Agent, number: int, message_id: int) -> InboundEmail:
    """The received email that became message ``message_id`` of ticket ``number``, when the
    agent can see that ticket; NotFound otherwise (also for messages that did not come by email)."""
    message = (
        Message.objects.filter(pk=message_id, ticket__in=visible_tickets(agent).filter(number=number))
        .only("id")
        .first()
    )
    if message is None:
        raise NotFound("no such message")
    inbound = InboundEmail.objects.filter(message_id=message.pk).order_by("id").first()
    if inbound is None or not inbound.raw:
        raise NotFound("this message did not come by email")
    return inbound


def any_inbound(inbound_id: int) -> InboundEmail:
    """Any received email by id, for admins (the quarantine page's download)."""
    inbound = InboundEmail.objects.filter(pk=inbound_id).first()
    if inbound is None or not inbound.raw:
        raise NotFound("no such email")
    return inbound
