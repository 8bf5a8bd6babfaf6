"""Following a ticket. An agent follower (a developer brought in as collaborator) can then see it."""

from __future__ import annotations

from django.db import transaction

from zabota.accounts.models import Agent
from zabota.core.errors import PermissionDenied
from zabota.core.events import publish
from zabota.customers.models import Contact
from zabota.tickets.actions.common import Actor, record
from zabota.tickets.events import FollowerAdded, FollowerRemoved
from zabota.tickets.models import Follower, Ticket
from zabota.tickets.queries import access_ticket


def add_follower(*, actor: Actor, ticket_id: int, agent: Agent) -> Ticket:
    """Add ``agent`` as a follower. Agents may add anyone; collaborators only themselves."""
    if not isinstance(actor, Agent) or (actor.is_collaborator and actor.pk != agent.pk):
        raise PermissionDenied("you may not add followers to this ticket")
    with transaction.atomic():
        ticket = access_ticket(actor, ticket_id, for_update=True)
        _, created = Follower.objects.get_or_create(ticket=ticket, agent=agent)
        if created:
            record(ticket, actor, "follower_added", "followers", None, {"id": agent.pk, "name": str(agent)})
            publish(FollowerAdded(ticket_id=ticket.pk, agent_id=agent.pk, actor_agent_id=actor.pk))
    return ticket


def remove_follower(*, actor: Actor, ticket_id: int, agent: Agent) -> Ticket:
    if not isinstance(actor, Agent) or (actor.is_collaborator and actor.pk != agent.pk):
        raise PermissionDenied("you may not remove followers from this ticket")
    with transaction.atomic():
        ticket = access_ticket(actor, ticket_id, for_update=True)
        deleted, _ = Follower.objects.filter(ticket=ticket, agent=agent).delete()
        if deleted:
            record(ticket, actor, "follower_removed", "followers", {"id": agent.pk, "name": str(agent)}, None)
            publish(FollowerRemoved(ticket_id=ticket.pk, agent_id=agent.pk, actor_agent_id=actor.pk))
    return ticket


def add_contact_followers(*, ticket_id: int, contacts: list[Contact]) -> list[Contact]:
    """Customers copied on a conversation follow it: they receive its public replies.

    The system's action (a channel that saw them on the requester's message); returns the
    contacts that were not following yet. It never shows them anything written before.
    """
    added = []
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket_id)
        existing = set(
            Follower.objects.filter(ticket=ticket, contact__isnull=False).values_list("contact_id", flat=True)
        )
        for contact in contacts:
            if contact.pk in existing or contact.pk == ticket.requester_id:
                continue
            Follower.objects.create(ticket=ticket, contact=contact)
            existing.add(contact.pk)
            added.append(contact)
        if added:
            record(ticket, None, "contacts_copied", "", None, [str(c) for c in added])
    return added
