"""Events the routing context publishes (after commit)."""

from __future__ import annotations

from dataclasses import dataclass

from zabota.core.events import Event


@dataclass(frozen=True)
class AgentStatusChanged(Event):
    """``agent_id`` went from ``before`` to ``after`` (Availability values)."""

    agent_id: int
    before: str
    after: str
    actor_agent_id: int | None = None


@dataclass(frozen=True)
class TeamRoutingChanged(Event):
    """An admin changed ``team_id``'s routing settings (``mode`` is the new mode)."""

    team_id: int
    mode: str
