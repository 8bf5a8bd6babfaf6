"""Events the triage context publishes (after commit)."""

from __future__ import annotations

from dataclasses import dataclass

from zabota.core.events import Event


@dataclass(frozen=True)
class IncidentUpdateQueued(Event):
    """An incident update's deliveries are written; a task posts them."""

    update_id: int
