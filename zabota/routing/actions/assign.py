"""Routing decisions: who gets a ticket, handing tickets back, following shifts.

Locks: ``route_ticket`` locks the team's ``TeamRouting`` row, then the ticket, for the whole
choice, so two tickets routed at once are chosen one after the other and the second sees the
first's assignment (loads and the round-robin cursor are read under the lock); then the chosen
agent's ``AgentStatus`` row when they have a capacity, whose load is counted again (another
team may route to the same person at the same moment). On SQLite the
IMMEDIATE transaction serialises writers to the same effect.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from django.db import transaction

from zabota.accounts.models import Agent, Team
from zabota.core import clock
from zabota.core.errors import DomainError
from zabota.notifications.actions import notify
from zabota.notifications.models import NotificationKind
from zabota.routing import queries
from zabota.routing.choices import HandBackReason, RoutingMode
from zabota.routing.models import AgentStatus, TeamRouting
from zabota.routing.queries import (
    Candidate,
    candidates,
    loads,
    queued_tickets,
    ticket_area,
    ticket_language,
    unanswered_tickets,
)
from zabota.tickets.actions import record_event, update_ticket
from zabota.tickets.choices import UNSOLVED
from zabota.tickets.models import Ticket

logger = logging.getLogger(__name__)


def _after_cursor(cands: list[Candidate], cursor: int) -> list[Candidate]:
    """Candidates in round-robin order: those after the cursor's agent first, then from the start."""
    after = [c for c in cands if c.agent_id > cursor]
    return after + [c for c in cands if c.agent_id <= cursor]


def choose(cands: list[Candidate], routing: TeamRouting) -> tuple[Candidate, str]:
    """The candidate the team's mode picks, and the reason code (for the timeline)."""
    ordered = _after_cursor(cands, routing.cursor)
    if routing.mode == RoutingMode.LEAST_LOADED:
        # Fewest open tickets; among equals, the next in round-robin order, so ties rotate.
        best = min(ordered, key=lambda c: c.load)
        return best, "fewest_open"
    return ordered[0], "next_in_turn"


def _has_room(pick: Candidate) -> bool:
    """Whether the picked agent is still under capacity, counted again under a lock of their
    status row: capacity is per person across teams, and another team's routing (which holds
    its own team's lock, not ours) may have just given them a ticket. Teams' rows are always
    locked before agents' rows, so two routings never wait on each other in a circle."""
    if pick.capacity is None:
        return True
    AgentStatus.objects.select_for_update().filter(agent_id=pick.agent_id).first()
    return loads([pick.agent_id])[pick.agent_id] < pick.capacity


def route_ticket(*, ticket_id: int, exclude: Iterable[int] = (), at: datetime | None = None) -> Agent | None:
    """Assign an unassigned ticket of an automatically routed team to an eligible agent.

    Returns the agent, or None when the ticket stays in the team queue (manual team, no eligible
    agent, already assigned, solved). Writes a "routed" timeline event saying why.
    ``exclude``: agents not to pick (the one who just gave the ticket up).
    """
    at = at or clock.now()
    team_id = Ticket.objects.filter(pk=ticket_id).values_list("team_id", flat=True).first()
    if team_id is None:
        return None
    if not TeamRouting.objects.filter(team_id=team_id).exclude(mode=RoutingMode.MANUAL).exists():
        return None
    with transaction.atomic():
        routing = (
            TeamRouting.objects.select_for_update(of=("self",))
            .select_related("team")
            .filter(team_id=team_id)
            .first()
        )
        if routing is None or not routing.is_automatic:
            return None
        ticket = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("requester", "project")
            .filter(pk=ticket_id)
            .first()
        )
        if (
            ticket is None
            or ticket.team_id != team_id
            or ticket.assignee_id is not None
            or ticket.status not in UNSOLVED
            or ticket.merged_into_id is not None
        ):
            return None
        cands = candidates(ticket, routing, at=at, exclude=exclude)
        while cands:
            pick, reason = choose(cands, routing)
            if _has_room(pick):
                break
            cands = [c for c in cands if c.agent_id != pick.agent_id]
        if not cands:
            return None
        agent = Agent.objects.get(pk=pick.agent_id)
        try:
            with transaction.atomic():
                update_ticket(actor=None, ticket_id=ticket.pk, assignee=agent)
        except DomainError:
            logger.warning("routing ticket %s to agent %s was refused", ticket.pk, agent.pk, exc_info=True)
            return None
        routing.cursor = agent.pk
        routing.save(update_fields=["cursor"])
        after: dict[str, object] = {
            "agent": {"id": agent.pk, "name": str(agent)},
            "mode": routing.mode,
            "reason": reason,
            "load": pick.load,
            "capacity": pick.capacity,
        }
        if routing.match_language and ticket_language(ticket):
            after["language"] = ticket_language(ticket)
        if routing.area_source and ticket_area(ticket, routing):
            after["area"] = ticket_area(ticket, routing)
        record_event(ticket_id=ticket.pk, verb="routed", after=after)
    return agent


def hand_back(
    *, agent_id: int, reason: str, team_id: int | None = None, ticket_id: int | None = None
) -> list[int]:
    """Return the agent's unanswered tickets (of ``team_id``, or only ``ticket_id``, or all) to
    their team queues.

    Each ticket: assignee cleared (``update_ticket`` by the system), a "returned_to_queue"
    timeline event, and its team lead notified (ROUTED_BACK). The assignee change's listener then
    routes the ticket again to another eligible agent when its team routes automatically.
    Idempotent: a ticket someone else took meanwhile is left alone. Returns the tickets' ids.
    """
    if reason not in HandBackReason.values:
        raise ValueError(f"unknown hand-back reason {reason!r}")
    agent = Agent.objects.filter(pk=agent_id).first()
    if agent is None:
        return []
    if reason == HandBackReason.DEACTIVATED:
        # Someone who can no longer sign in works none of their tickets: all go back.
        unanswered = Ticket.objects.filter(
            assignee_id=agent_id, status__in=UNSOLVED, merged_into__isnull=True
        ).order_by("id")
    else:
        unanswered = unanswered_tickets(agent_id, team_id=team_id)
    if ticket_id is not None:
        unanswered = unanswered.filter(pk=ticket_id)
    ids = list(unanswered.values_list("id", flat=True))
    leads = dict(Team.objects.filter(lead__isnull=False).values_list("id", "lead_id"))
    returned: list[int] = []
    for one_id in ids:
        with transaction.atomic():
            ticket = Ticket.objects.select_for_update().filter(pk=one_id, assignee_id=agent_id).first()
            if ticket is None:
                continue
            update_ticket(actor=None, ticket_id=one_id, assignee=None)
            record_event(
                ticket_id=one_id,
                verb="returned_to_queue",
                after={"agent": {"id": agent.pk, "name": str(agent)}, "reason": reason},
            )
            lead_id = leads.get(ticket.team_id) if ticket.team_id else None
            if lead_id and lead_id != agent_id:
                notify(
                    agent_ids=[lead_id],
                    kind=NotificationKind.ROUTED_BACK,
                    ticket_id=one_id,
                    actor_name=str(agent),
                )
        returned.append(one_id)
    return returned


def drain_queue(*, team_id: int, limit: int = 100) -> list[int]:
    """Route the team's unassigned tickets (most urgent, then oldest, first) while anyone is
    eligible. Returns the ids of the tickets that found an agent."""
    routing = TeamRouting.objects.filter(team_id=team_id).first()
    if routing is None or not routing.is_automatic:
        return []
    routed: list[int] = []
    for ticket_id in queued_tickets(team_id, limit=limit):
        if route_ticket(ticket_id=ticket_id) is not None:
            routed.append(ticket_id)
    return routed


def sync_shifts(*, at: datetime | None = None) -> dict[str, list[int]]:
    """Follow shift changes since the last run (the per-minute job): an agent whose shift in a
    team ended hands back their unanswered tickets of that team; a team in which someone's shift
    began routes its queue. Compares with the on-shift set stored on ``TeamRouting`` (not with a
    minute ago), so a missed run is caught up by the next one. Returns what it did.
    """
    at = at or clock.now()
    ended: list[tuple[int, int]] = []
    started_teams: list[int] = []
    seen = dict(TeamRouting.objects.values_list("team_id", "on_shift"))
    for team_id in Team.objects.order_by("id").values_list("id", flat=True):
        now_on = queries.on_shift_ids(team_id, at)
        stored = seen.get(team_id)
        if (None if stored is None else set(stored)) == now_on:
            continue  # nothing changed: no write (most teams, most minutes)
        with transaction.atomic():
            row = TeamRouting.objects.select_for_update().filter(team_id=team_id).first()
            if row is None:
                row = TeamRouting.objects.create(team_id=team_id)
            before = set(row.on_shift) if row.on_shift is not None else None
            if before == now_on:
                continue  # another run got here first
            row.on_shift = None if now_on is None else sorted(now_on)
            row.save(update_fields=["on_shift"])
        if now_on is None:
            continue  # the rota was removed or deactivated: nobody's shift "ended" by it
        if before is not None:
            ended += [(team_id, agent_id) for agent_id in sorted(before - now_on)]
        if now_on - (before or set()):
            started_teams.append(team_id)
    handed: list[int] = []
    for team_id, agent_id in ended:
        handed += hand_back(agent_id=agent_id, reason=HandBackReason.OFF_SHIFT, team_id=team_id)
    routed: list[int] = []
    for team_id in started_teams:
        routed += drain_queue(team_id=team_id)
    return {"handed_back": handed, "routed": routed}
