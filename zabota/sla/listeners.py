"""Reactions of the SLA context to ticket events (registered by the AppConfig).

Each runs inline after the ticket's transaction commits: updating one clock is a few small
queries, and the agent who just replied should see the clock stop on the page that refreshes.
All are idempotent (see ``zabota.sla.actions``).
"""

from __future__ import annotations

from django.db.models import Q

from zabota.core.events import subscribe
from zabota.customers.events import ContactOrganizationChanged, OrganizationTierChanged
from zabota.sla import actions
from zabota.tickets.choices import UNSOLVED, MessageKind
from zabota.tickets.events import MessageAdded, TicketChanged, TicketCreated, TicketsMerged
from zabota.tickets.models import Ticket


@subscribe(TicketCreated, batch=True)
def start_clock(events: list[TicketCreated]) -> None:
    actions.clocks_created([e.ticket_id for e in events])


@subscribe(MessageAdded, batch=True)
def count_reply(events: list[MessageAdded]) -> None:
    # A customer's message that opens a ticket changes no clock fact (start_clock starts it).
    counted = [
        e for e in events if e.kind == MessageKind.REPLY and not (e.opens_ticket and e.author_contact_id)
    ]
    actions.messages_added([(e.ticket_id, e.message_id) for e in counted])


# The fields a clock depends on: the status (pauses, stops) and the policy's conditions. Team,
# assignee, tags and the rest are hand-offs and labels: they never touch a clock.
CLOCK_FIELDS = frozenset({"status", "priority", "kind", "channel", "inbox", "organization"})


@subscribe(TicketChanged)
def follow_changes(event: TicketChanged) -> None:
    # An event without field changes is a timeline row (ours included): nothing to recompute.
    if CLOCK_FIELDS.intersection(event.changes):
        actions.ticket_changed(event.ticket_id)


@subscribe(TicketsMerged)
def follow_merge(event: TicketsMerged) -> None:
    # The source is closed now (its clock stops). The target keeps its own first response and
    # resolution clocks, but the customer's messages moved onto it may be waiting for an answer.
    actions.ticket_changed(event.source_id)
    actions.messages_moved(event.target_id)


@subscribe(OrganizationTierChanged)
def follow_tier(event: OrganizationTierChanged) -> None:
    """A tier is a policy condition: the organization's unsolved tickets take up their new policy
    now (a few hundred at most for one organization; ``recompute`` works in chunks). A ticket
    without an organization of its own counts its requester's (as the clock's facts do)."""
    org = event.organization_id
    ids = Ticket.objects.filter(
        Q(organization_id=org) | Q(organization__isnull=True, requester__organization_id=org),
        status__in=UNSOLVED,
    ).values_list("id", flat=True)
    actions.recompute(list(ids))


@subscribe(ContactOrganizationChanged)
def follow_requester_organization(event: ContactOrganizationChanged) -> None:
    """A requester moved to another organization: their unsolved tickets without an organization
    of their own now count the new organization's tier."""
    ids = Ticket.objects.filter(
        requester_id=event.contact_id, organization__isnull=True, status__in=UNSOLVED
    ).values_list("id", flat=True)
    actions.recompute(list(ids))
