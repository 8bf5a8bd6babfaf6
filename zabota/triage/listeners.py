"""Reactions of this context to ticket events (registered by the AppConfig), after commit.

- ``TicketCreated``: the priority rules set the new ticket's priority and say why on its timeline.
- ``TicketChanged`` with a status change: an incident ticket's ``resolved_at`` follows it; so
  does ``TicketsMerged`` (the merged ticket is closed).
- ``IncidentUpdateQueued``: a task posts the update on every affected ticket.
"""

from __future__ import annotations

from zabota.core.events import subscribe
from zabota.tickets.events import TicketChanged, TicketCreated, TicketsMerged
from zabota.triage.events import IncidentUpdateQueued
from zabota.triage.models import Incident


@subscribe(TicketCreated, batch=True)
def automatic_priority(events: list[TicketCreated]) -> None:
    from zabota.triage.actions import apply_automatic_priority
    from zabota.triage.actions.priority import active_specs

    specs = active_specs()  # once for the batch; with no rules, nothing more to do
    if not specs:
        return
    for event in events:
        apply_automatic_priority(
            ticket_id=event.ticket_id, opened_by_agent=event.actor_agent_id is not None, specs=specs
        )


@subscribe(TicketChanged)
def incident_status(event: TicketChanged) -> None:
    if "status" in event.changes and Incident.objects.filter(ticket_id=event.ticket_id).exists():
        from zabota.triage.actions import note_incident_status

        note_incident_status(ticket_id=event.ticket_id)


@subscribe(TicketsMerged)
def merged_incident(event: TicketsMerged) -> None:
    # A merge closes the source without a TicketChanged: an incident on it is over.
    if Incident.objects.filter(ticket_id=event.source_id).exists():
        from zabota.triage.actions import note_incident_status

        note_incident_status(ticket_id=event.source_id)


@subscribe(IncidentUpdateQueued)
def deliver_incident_update(event: IncidentUpdateQueued) -> None:
    from zabota.triage.tasks import deliver_update_task

    deliver_update_task(event.update_id)
