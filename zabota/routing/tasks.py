"""Huey tasks of the routing context: thin, take ids, idempotent."""

from __future__ import annotations

from huey.contrib.djhuey import db_task


@db_task()
def hand_back_task(agent_id: int, reason: str) -> None:
    """Hand back an agent's unanswered tickets (they went away)."""
    from zabota.routing.actions import hand_back

    hand_back(agent_id=agent_id, reason=reason)


@db_task()
def drain_queue_task(team_id: int) -> None:
    """Route a team's queued tickets (someone became available)."""
    from zabota.routing.actions import drain_queue

    drain_queue(team_id=team_id)


def sync_shifts_now() -> None:
    """The per-minute shift job's body (scheduled in ``zabota.config.tasks``)."""
    from zabota.routing.actions import sync_shifts

    sync_shifts()
