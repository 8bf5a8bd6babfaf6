"""Live pushes to browser sockets on ticket events (after commit; cheap, so done inline).

Each change goes to the ticket's group (pages showing that ticket refresh themselves) and to
the shared ``inbox`` group, where each agent's consumer forwards it only if the agent may see
the ticket. Payloads are ids and small facts: nothing to leak.
"""

from __future__ import annotations

from typing import Any

from zabota.core.events import subscribe
from zabota.tickets.events import (
    FollowerAdded,
    FollowerRemoved,
    MessageAdded,
    TicketChanged,
    TicketCreated,
    TicketsMerged,
)
from zabota.tickets.models import Ticket
from zabota.web import live


def _ticket_changed(ticket_id: int, what: str) -> None:
    number = Ticket.objects.filter(pk=ticket_id).values_list("number", flat=True).first()
    if number is not None:
        live.push_many(_pushes(ticket_id, number, what))


def _pushes(ticket_id: int, number: int, what: str) -> list[tuple[str, dict[str, Any]]]:
    return [_page_push(ticket_id, number, what), _inbox_push([ticket_id])]


def _page_push(ticket_id: int, number: int, what: str) -> tuple[str, dict[str, Any]]:
    """To the pages showing this ticket."""
    return (
        live.ticket_group(ticket_id),
        {"type": "ticket", "ticket": ticket_id, "number": number, "what": what},
    )


def _inbox_push(ticket_ids: list[int]) -> tuple[str, dict[str, Any]]:
    """One push to every inbox socket for these tickets (each socket forwards those its agent
    may see)."""
    if len(ticket_ids) == 1:
        return (live.INBOX_GROUP, {"type": "inbox", "ticket": ticket_ids[0]})
    return (live.INBOX_GROUP, {"type": "inbox", "ticket": ticket_ids[0], "tickets": ticket_ids})


@subscribe(TicketCreated, batch=True)
def push_created(events: list[TicketCreated]) -> None:
    live.push_many([_inbox_push(list(dict.fromkeys(e.ticket_id for e in events)))])


@subscribe(TicketChanged)
def push_changed(event: TicketChanged) -> None:
    _ticket_changed(event.ticket_id, "changed")


@subscribe(MessageAdded, batch=True)
def push_message(events: list[MessageAdded]) -> None:
    ticket_ids = list(dict.fromkeys(e.ticket_id for e in events))
    # No page shows a ticket before it exists: its opening message goes to the inbox only.
    on_pages = list(dict.fromkeys(e.ticket_id for e in events if not e.opens_ticket))
    numbers = dict(Ticket.objects.filter(pk__in=on_pages).values_list("pk", "number")) if on_pages else {}
    pages = [_page_push(t, numbers[t], "message") for t in on_pages if t in numbers]
    live.push_many([*pages, _inbox_push(ticket_ids)])


@subscribe(TicketsMerged)
def push_merged(event: TicketsMerged) -> None:
    _ticket_changed(event.source_id, "merged")
    _ticket_changed(event.target_id, "merged")


@subscribe(FollowerAdded)
def push_follower_added(event: FollowerAdded) -> None:
    _ticket_changed(event.ticket_id, "changed")


@subscribe(FollowerRemoved)
def push_follower_removed(event: FollowerRemoved) -> None:
    _ticket_changed(event.ticket_id, "changed")
