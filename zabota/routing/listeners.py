"""Reactions of this context to ticket and routing events (registered by the AppConfig).

- A ticket created in a team without an assignee is routed (inline: a handful of queries).
- A ticket moved to another team, or left without an assignee (someone unassigned it, or it was
  handed back), is routed again, never to the agent who just gave it up.
- A customer writing on a ticket whose assignee is away hands that ticket back (it would
  otherwise wait for them to return).
- An agent going away hands back their unanswered tickets; an agent becoming available routes
  their teams' queues; a team switched to automatic routing routes its queue (Huey tasks: they
  may touch many tickets).
"""

from __future__ import annotations

from zabota.accounts.events import AgentDeactivated
from zabota.core.events import subscribe
from zabota.routing.choices import Availability, HandBackReason, RoutingMode
from zabota.routing.events import AgentStatusChanged, TeamRoutingChanged
from zabota.routing.models import AgentStatus, TeamRouting
from zabota.tickets.events import MessageAdded, TicketChanged, TicketCreated
from zabota.tickets.models import Ticket


@subscribe(TicketCreated)
def route_new_ticket(event: TicketCreated) -> None:
    from zabota.routing.actions import route_ticket

    if Ticket.objects.filter(pk=event.ticket_id, assignee__isnull=True, team__isnull=False).exists():
        route_ticket(ticket_id=event.ticket_id)


@subscribe(TicketChanged)
def route_returned_ticket(event: TicketChanged) -> None:
    from zabota.routing.actions import route_ticket

    assignee = event.changes.get("assignee")
    unassigned = assignee is not None and assignee[1] is None
    if not unassigned and "team" not in event.changes:
        return
    exclude = []
    if assignee is not None and isinstance(assignee[0], dict) and assignee[0].get("id"):
        exclude.append(int(assignee[0]["id"]))
    route_ticket(ticket_id=event.ticket_id, exclude=exclude)


@subscribe(AgentStatusChanged)
def follow_status(event: AgentStatusChanged) -> None:
    from zabota.routing import tasks

    if event.after == Availability.AWAY:
        tasks.hand_back_task(event.agent_id, HandBackReason.AWAY)
    elif event.after == Availability.AVAILABLE:
        team_ids = TeamRouting.objects.filter(team__members=event.agent_id).exclude(mode=RoutingMode.MANUAL)
        for team_id in team_ids.values_list("team_id", flat=True):
            tasks.drain_queue_task(team_id)


@subscribe(MessageAdded)
def hand_back_when_away(event: MessageAdded) -> None:
    from zabota.routing.actions import hand_back

    if event.author_contact_id is None:
        return
    assignee_id = Ticket.objects.filter(pk=event.ticket_id).values_list("assignee_id", flat=True).first()
    if assignee_id and AgentStatus.objects.filter(agent_id=assignee_id, status=Availability.AWAY).exists():
        hand_back(agent_id=assignee_id, reason=HandBackReason.AWAY, ticket_id=event.ticket_id)


@subscribe(TeamRoutingChanged)
def route_queue_of_automatic_team(event: TeamRoutingChanged) -> None:
    from zabota.routing import tasks

    if event.mode != RoutingMode.MANUAL:
        tasks.drain_queue_task(event.team_id)


@subscribe(AgentDeactivated)
def hand_back_when_deactivated(event: AgentDeactivated) -> None:
    """A deactivated agent's unsolved tickets go back to their teams' queues (and are routed
    again where the team routes automatically)."""
    from zabota.routing.actions import hand_back

    hand_back(agent_id=event.agent_id, reason=HandBackReason.DEACTIVATED)
