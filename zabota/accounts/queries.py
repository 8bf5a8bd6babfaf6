"""Reads of agents, teams and tokens."""

from __future__ import annotations

from django.db.models import QuerySet

from zabota.accounts.models import Agent, ApiToken, Team, hash_token


def authenticate_token(raw: str) -> ApiToken | None:
    """The active token for ``raw``, or None (unknown, revoked, or its agent deactivated)."""
    if not raw or len(raw) > 200:
        return None
    token = ApiToken.objects.select_related("agent").filter(token_hash=hash_token(raw)).first()
    if token is None or not token.is_active:
        return None
    return token


def list_agents() -> QuerySet[Agent]:
    return Agent.objects.filter(is_active=True).prefetch_related("teams")


def list_teams() -> QuerySet[Team]:
    return Team.objects.prefetch_related("members")


def team_ids_of(agent: Agent) -> list[int]:
    cached = getattr(agent, "_team_ids", None)
    if cached is None:
        cached = list(agent.teams.values_list("id", flat=True))
        agent._team_ids = cached  # type: ignore[attr-defined]
    return cached
