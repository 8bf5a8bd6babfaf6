"""HTTP API of routing: my status; agents' statuses, capacity and skills; teams' routing.

- ``GET/PUT /me/status``: the agent behind the token reads or sets their own availability.
- ``GET /routing/agents``: every active agent's status, load, capacity and skills (any agent).
- ``PUT /routing/agents/{agent_id}``: an admin sets an agent's capacity, skills and status.
- ``GET /routing/teams``: every team's routing settings (any agent).
- ``PUT /routing/teams/{team_id}``: an admin sets a team's routing mode and skill matching.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema

from zabota.accounts.auth import actor
from zabota.accounts.models import Agent, Team
from zabota.core.errors import NotFound
from zabota.core.schemas import Out
from zabota.routing import actions
from zabota.routing.queries import AgentState, loads, state_of, states_of, teams_visible_to

router = Router(tags=["routing"])

StatusName = Literal["available", "busy", "away"]
ModeName = Literal["manual", "round_robin", "least_loaded"]
AreaSourceName = Literal["", "project", "custom_field"]


class StatusOut(Out):
    agent_id: int
    name: str
    status: str
    changed_at: datetime | None
    capacity: int | None
    languages: list[str]
    areas: list[str]
    open_tickets: int


class StatusIn(Schema):
    status: StatusName


class AgentRoutingIn(Schema):
    capacity: int | None = Field(
        None, ge=0, le=10_000, description="Most unsolved tickets at once; null: no limit"
    )
    languages: list[str] = Field(default_factory=list, max_length=50)
    areas: list[str] = Field(default_factory=list, max_length=50)
    status: StatusName | None = None


class TeamRoutingOut(Out):
    team_id: int
    team: str
    mode: str
    match_language: bool
    area_source: str
    area_field: str


class TeamRoutingIn(Schema):
    mode: ModeName
    match_language: bool = False
    area_source: AreaSourceName = ""
    area_field: str = Field("", max_length=64)


def _present(agent: Agent, state: AgentState, load: int) -> dict[str, Any]:
    return {
        "agent_id": agent.pk,
        "name": str(agent),
        "status": state.status,
        "changed_at": state.changed_at,
        "capacity": state.capacity,
        "languages": list(state.languages),
        "areas": list(state.areas),
        "open_tickets": load,
    }


def _one(agent: Agent) -> dict[str, Any]:
    return _present(agent, state_of(agent.pk), loads([agent.pk])[agent.pk])


def _team(team: Team) -> dict[str, Any]:
    routing = getattr(team, "routing", None)
    return {
        "team_id": team.pk,
        "team": team.name,
        "mode": routing.mode if routing else "manual",
        "match_language": routing.match_language if routing else False,
        "area_source": routing.area_source if routing else "",
        "area_field": routing.area_field if routing else "",
    }


@router.get("/me/status", response=StatusOut, summary="My status (available, busy, away)")
def my_status(request: HttpRequest) -> dict[str, Any]:
    return _one(actor(request))


@router.put("/me/status", response=StatusOut, summary="Set my status")
def set_my_status(request: HttpRequest, payload: StatusIn) -> dict[str, Any]:
    me = actor(request)
    actions.set_status(actor=me, agent=me, status=payload.status)
    return _one(me)


@router.get("/routing/agents", response=list[StatusOut], summary="Agents' status, load, capacity and skills")
def agent_statuses(request: HttpRequest) -> list[dict[str, Any]]:
    agents = list(Agent.objects.filter(is_active=True).order_by("name", "email"))
    ids = [a.pk for a in agents]
    states, counts = states_of(ids), loads(ids)
    return [_present(a, states[a.pk], counts[a.pk]) for a in agents]


@router.put(
    "/routing/agents/{agent_id}",
    response=StatusOut,
    summary="Set an agent's capacity and skills (admins) or status (admins, or the agent); omitted fields stay",
)
def set_agent_routing(request: HttpRequest, agent_id: int, payload: AgentRoutingIn) -> dict[str, Any]:
    me = actor(request)
    agent = Agent.objects.filter(pk=agent_id, is_active=True).first()
    if agent is None:
        raise NotFound(f"agent {agent_id} not found")
    given = payload.model_fields_set
    if given & {"capacity", "languages", "areas"}:
        # Fields left out keep their values.
        state = state_of(agent.pk)
        actions.save_agent_routing(
            actor=me,
            agent=agent,
            capacity=payload.capacity if "capacity" in given else state.capacity,
            languages=payload.languages if "languages" in given else list(state.languages),
            areas=payload.areas if "areas" in given else list(state.areas),
        )
    if payload.status is not None:
        actions.set_status(actor=me, agent=agent, status=payload.status)
    return _one(agent)


@router.get("/routing/teams", response=list[TeamRoutingOut], summary="Teams' routing settings")
def team_settings(request: HttpRequest) -> list[dict[str, Any]]:
    # The teams the Team page shows this agent: a restricted team is nobody else's business.
    return [_team(t) for t in teams_visible_to(actor(request))]


@router.put("/routing/teams/{team_id}", response=TeamRoutingOut, summary="Set a team's routing (admins)")
def set_team_settings(request: HttpRequest, team_id: int, payload: TeamRoutingIn) -> dict[str, Any]:
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise NotFound(f"team {team_id} not found")
    actions.save_team_routing(
        actor=actor(request),
        team=team,
        mode=payload.mode,
        match_language=payload.match_language,
        area_source=payload.area_source,
        area_field=payload.area_field,
    )
    return _team(Team.objects.select_related("routing").get(pk=team_id))
