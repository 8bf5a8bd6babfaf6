"""HTTP API for agents, teams and tags (read-only)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from zabota.accounts.auth import actor
from zabota.accounts.models import Agent
from zabota.accounts.queries import list_agents, list_teams
from zabota.core.schemas import Out

router = Router(tags=["agents and teams"])


class TeamRef(Out):
    id: int
    name: str


class AgentOut(Out):
    id: int
    email: str
    name: str
    role: str
    locale: str
    timezone: str
    teams: list[TeamRef]


class TeamOut(Out):
    id: int
    name: str
    restricted: bool
    member_ids: list[int]


def present_agent(a: Agent) -> dict[str, Any]:
    return {
        "id": a.pk,
        "email": a.email,
        "name": a.name,
        "role": a.role,
        "locale": a.locale,
        "timezone": a.timezone,
        "teams": [{"id": t.pk, "name": t.name} for t in a.teams.all()],
    }


@router.get("/agents", response=list[AgentOut], summary="Active agents")
def agents(request: HttpRequest) -> list[dict[str, Any]]:
    return [present_agent(a) for a in list_agents()]


@router.get("/agents/me", response=AgentOut, summary="The agent behind the token")
def me(request: HttpRequest) -> dict[str, Any]:
    return present_agent(list_agents().get(pk=actor(request).pk))


@router.get("/teams", response=list[TeamOut], summary="Teams")
def teams(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "id": t.pk,
            "name": t.name,
            "restricted": t.restricted,
            "member_ids": [m.pk for m in t.members.all()],
        }
        for t in list_teams()
    ]
