"""Events the accounts context publishes (after commit)."""

from __future__ import annotations

from dataclasses import dataclass

from zabota.core.events import Event


@dataclass(frozen=True)
class AgentDeactivated(Event):
    """An admin deactivated an agent: they can no longer work the tickets assigned to them."""

    agent_id: int
    actor_agent_id: int | None = None
