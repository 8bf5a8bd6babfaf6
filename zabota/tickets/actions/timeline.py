"""Events other contexts put on a ticket's timeline (an SLA breach, an automatic priority, a
routing decision, an incident link). The row is an activity row like any other: data (verb and
a small JSON ``after``), described in ``tickets/views/timeline_text.py``."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from zabota.core.events import publish
from zabota.tickets.actions.common import Actor, agent_of, record, touch
from zabota.tickets.events import TicketChanged
from zabota.tickets.models import Activity, Ticket


def record_event(
    *, ticket_id: int, verb: str, after: dict[str, Any] | None = None, actor: Actor = None
) -> Activity | None:
    """Write one timeline row on ``ticket_id`` (by the system unless ``actor`` is given) and
    publish TicketChanged with no field changes, so open pages refresh. None if the ticket is gone.

    Does not check the actor's permission: callers are domain code (listeners, jobs) that decided
    the event happened, not people.
    """
    with transaction.atomic():
        ticket = Ticket.objects.filter(pk=ticket_id).first()
        if ticket is None:
            return None
        row = record(ticket, actor, verb, "", None, after or {})
        touch(ticket)
        publish(
            TicketChanged(
                ticket_id=ticket_id, changes={}, actor_agent_id=getattr(agent_of(actor), "pk", None)
            )
        )
    return row
