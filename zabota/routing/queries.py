"""Reads of routing state: statuses, team settings, agents' loads, who may receive a ticket, and
which tickets are unanswered.

**Unanswered** (what an agent going away or off shift hands back): an unsolved ticket (new, open,
pending, on hold) assigned to the agent on which the customer has written a public reply and no
agent has written a public reply after the customer's last one. Internal notes and system events
do not count either way. A ticket opened by an agent (first message the agent's reply) is
answered until the customer writes again.

**Eligible** (who may receive a ticket by routing): an active member of the ticket's team (or,
when the team has a rota, anyone on its shift who may be assigned its tickets) whose status is
available, who is under their capacity (unsolved tickets assigned to them, in any team), who is
on shift when the team has a rota, and whose skills match when the team asks for it
(language: the requester's locale is among the agent's languages; area: the ticket's area is
among the agent's areas; a ticket without a language or an area is not restricted by it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery

from zabota.accounts.models import Agent, Role, Team
from zabota.routing.choices import AreaSource, Availability
from zabota.routing.models import AgentStatus, TeamRouting
from zabota.tickets.choices import UNSOLVED, MessageKind
from zabota.tickets.models import Message, Ticket


@dataclass(frozen=True)
class AgentState:
    """An agent's routing state, with the defaults for an agent who has no row."""

    agent_id: int
    status: str = Availability.AVAILABLE
    changed_at: datetime | None = None
    capacity: int | None = None
    languages: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()


def _state(row: AgentStatus) -> AgentState:
    return AgentState(
        agent_id=row.agent_id,
        status=row.status,
        changed_at=row.changed_at,
        capacity=row.capacity,
        languages=tuple(row.languages or ()),
        areas=tuple(row.areas or ()),
    )


def state_of(agent_id: int) -> AgentState:
    row = AgentStatus.objects.filter(agent_id=agent_id).first()
    return _state(row) if row else AgentState(agent_id=agent_id)


def states_of(agent_ids: Iterable[int]) -> dict[int, AgentState]:
    """Every given agent's state in one query (defaults for those without a row)."""
    ids = set(agent_ids)
    found = {r.agent_id: _state(r) for r in AgentStatus.objects.filter(agent_id__in=ids)}
    return {i: found.get(i) or AgentState(agent_id=i) for i in ids}


def routing_of(team_id: int) -> TeamRouting | None:
    return TeamRouting.objects.filter(team_id=team_id).first()


def teams_with_routing() -> QuerySet[Team]:
    """Every team with its routing row (or None) and member count, for the settings pages."""
    return Team.objects.select_related("routing").annotate(member_count=Count("members")).order_by("name")


def teams_visible_to(agent: Agent) -> list[Team]:
    """The teams whose people ``agent`` may see on the Team page: every team for admins; for
    agents their own and the unrestricted ones; for collaborators their own (the rule of ticket
    visibility, applied to teams)."""
    teams = list(teams_with_routing())
    if agent.is_admin:
        return teams
    mine = set(agent.teams.values_list("id", flat=True))
    return [t for t in teams if t.pk in mine or (not t.restricted and agent.role != Role.COLLABORATOR)]


def members_with_state(teams: list[Team]) -> dict[int, list[dict[str, Any]]]:
    """Each team's active members (by name) with ``agent``, ``state`` and ``load``: three queries
    for any number of teams and members."""
    through = Team.members.through.objects.filter(team_id__in=[t.pk for t in teams], agent__is_active=True)
    pairs = list(through.select_related("agent").order_by("agent__name", "agent__email"))
    ids = {p.agent_id for p in pairs}
    states, counts = states_of(ids), loads(ids)
    out: dict[int, list[dict[str, Any]]] = {t.pk: [] for t in teams}
    for p in pairs:
        out[p.team_id].append({"agent": p.agent, "state": states[p.agent_id], "load": counts[p.agent_id]})
    return out


def loads(agent_ids: Iterable[int]) -> dict[int, int]:
    """Unsolved tickets assigned to each agent (0 for none), in one query."""
    ids = list(set(agent_ids))
    counts = dict(
        Ticket.objects.filter(assignee_id__in=ids, status__in=UNSOLVED, merged_into__isnull=True)
        .values("assignee_id")
        .annotate(n=Count("id"))
        .values_list("assignee_id", "n")
    )
    return {i: counts.get(i, 0) for i in ids}


def on_shift_ids(team_id: int, at: datetime) -> set[int] | None:
    """Who is on shift in the team at ``at``; None when the team has no active rota (shifts don't
    restrict). Asked of the rotas context (imported here: rotas may read routing one day)."""
    from zabota.rotas.queries import on_shift_agent_ids

    return on_shift_agent_ids(team_id=team_id, at=at)


def ticket_area(ticket: Ticket, routing: TeamRouting) -> str:
    """The ticket's product area as the team defines it, lower case; empty when it has none."""
    if routing.area_source == AreaSource.PROJECT:
        return ticket.project.name.strip().lower() if ticket.project_id and ticket.project else ""
    if routing.area_source == AreaSource.CUSTOM_FIELD and routing.area_field:
        value = (ticket.custom_fields or {}).get(routing.area_field)
        return "" if value is None else str(value).strip().lower()
    return ""


def ticket_language(ticket: Ticket) -> str:
    return (ticket.requester.locale or "").strip().lower()[:2]


@dataclass(frozen=True)
class Candidate:
    """An agent who may receive a ticket, with their load (unsolved tickets assigned now)."""

    agent_id: int
    load: int
    capacity: int | None


def candidates(
    ticket: Ticket, routing: TeamRouting, *, at: datetime, exclude: Iterable[int] = ()
) -> list[Candidate]:
    """The agents who may receive ``ticket`` now (see "eligible" above), in id order (the
    round-robin order). A few queries whatever the team's size: the rota, the people, their
    states, their loads.

    With a rota, the people on shift are the pool: members of the team, and also agents on shift
    who are not members when the team is not restricted (a collaborator must be a member: the
    tickets action would refuse to assign them otherwise).
    """
    shift = on_shift_ids(routing.team_id, at)
    people = Agent.objects.filter(is_active=True).exclude(pk__in=list(exclude))
    if shift is None:
        pool = people.filter(teams=routing.team_id)
    else:
        pool = people.filter(pk__in=shift)
        if routing.team.restricted:
            pool = pool.filter(teams=routing.team_id)
        else:
            pool = pool.filter(Q(teams=routing.team_id) | ~Q(role=Role.COLLABORATOR))
    ids = sorted(set(pool.values_list("pk", flat=True)))
    if not ids:
        return []
    states = states_of(ids)
    ids = [i for i in ids if states[i].status == Availability.AVAILABLE]
    if routing.match_language:
        language = ticket_language(ticket)
        if language:
            ids = [i for i in ids if language in {x.lower() for x in states[i].languages}]
    if routing.area_source:
        area = ticket_area(ticket, routing)
        if area:
            ids = [i for i in ids if area in {x.lower() for x in states[i].areas}]
    if not ids:
        return []
    counts = loads(ids)
    return [
        Candidate(agent_id=i, load=counts[i], capacity=states[i].capacity)
        for i in ids
        if states[i].capacity is None or counts[i] < (states[i].capacity or 0)
    ]


def unanswered_tickets(agent_id: int, *, team_id: int | None = None) -> QuerySet[Ticket]:
    """The agent's unanswered tickets (see the module docstring), oldest first."""
    replies = Message.objects.filter(ticket_id=OuterRef("pk"), kind=MessageKind.REPLY)
    last_customer = Subquery(replies.filter(author_contact__isnull=False).order_by("-id").values("id")[:1])
    agent_after = replies.filter(author_agent__isnull=False, id__gt=OuterRef("last_customer"))
    qs = Ticket.objects.filter(assignee_id=agent_id, status__in=UNSOLVED, merged_into__isnull=True)
    if team_id is not None:
        qs = qs.filter(team_id=team_id)
    return (
        qs.annotate(last_customer=last_customer)
        .filter(last_customer__isnull=False)
        .filter(~Q(Exists(agent_after)))
        .order_by("id")
    )


def queued_tickets(team_id: int, *, limit: int = 100) -> list[int]:
    """Ids of the team's unassigned unsolved tickets, most urgent first, then oldest."""
    return list(
        Ticket.objects.filter(
            team_id=team_id, assignee__isnull=True, status__in=UNSOLVED, merged_into__isnull=True
        )
        .order_by("-priority", "id")
        .values_list("id", flat=True)[:limit]
    )
