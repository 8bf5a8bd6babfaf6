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


@subscribe(TicketCreated, batch=True)
def route_new_ticket(events: list[TicketCreated]) -> None:
    from zabota.routing.actions import route_ticket

    waiting = Ticket.objects.filter(
        pk__in=[e.ticket_id for e in events],
        assignee__isnull=True,
        team__isnull=False,
        team__routing__isnull=False,
    ).exclude(team__routing__mode=RoutingMode.MANUAL)
    for ticket_id in waiting.order_by("pk").values_list("pk", flat=True):
        route_ticket(ticket_id=ticket_id)


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


@subscribe(MessageAdded, batch=True)
def hand_back_when_away(events: list[MessageAdded]) -> None:
    from zabota.routing.actions import hand_back

    ticket_ids = list(dict.fromkeys(e.ticket_id for e in events if e.author_contact_id is not None))
    if not ticket_ids:
        return
    assigned = dict(
        Ticket.objects.filter(pk__in=ticket_ids, assignee__isnull=False).values_list("pk", "assignee_id")
    )
    if not assigned:
        return
    away = set(
        AgentStatus.objects.filter(agent_id__in=set(assigned.values()), status=Availability.AWAY).values_list(
            "agent_id", flat=True
        )
    )
    for ticket_id in ticket_ids:
        if assigned.get(ticket_id) in away:
            hand_back(agent_id=assigned[ticket_id], reason=HandBackReason.AWAY, ticket_id=ticket_id)


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
