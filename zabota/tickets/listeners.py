"""Reactions of the tickets context to other contexts' events."""

from __future__ import annotations

from django.db import transaction

from zabota.core.events import subscribe
from zabota.customers.events import ContactChanged
from zabota.tickets.models import Ticket
from zabota.tickets.search import reindex

REINDEX_CHUNK = 500


@subscribe(ContactChanged)
def reindex_requesters_tickets(event: ContactChanged) -> None:
    """Tickets are searchable by their requester's name and emails: keep that in step."""
    ids = list(Ticket.objects.filter(requester_id=event.contact_id).values_list("id", flat=True))
    for start in range(0, len(ids), REINDEX_CHUNK):
        with transaction.atomic():
            reindex(ids[start : start + REINDEX_CHUNK])
