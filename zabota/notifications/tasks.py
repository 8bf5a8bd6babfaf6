"""Background work of notifications: the email digest (thin, take ids, idempotent).

The hourly schedule is in ``zabota/config/tasks.py``; it calls ``queue_digests``, which enqueues
one ``send_digest_task`` per agent whose digest is due.
"""

from __future__ import annotations

from datetime import datetime

from huey.contrib.djhuey import db_task

from zabota.accounts.models import Agent
from zabota.core import clock
from zabota.notifications.actions import send_digest
from zabota.notifications.queries import digest_candidates


@db_task()
def send_digest_task(agent_id: int) -> bool:
    agent = Agent.objects.filter(pk=agent_id).first()
    return agent is not None and send_digest(agent=agent)


def queue_digests(now: datetime | None = None) -> int:
    """Enqueue the digest of every agent it may be due for; returns how many."""
    agent_ids = digest_candidates(clock.now() if now is None else now)
    for agent_id in agent_ids:
        send_digest_task(agent_id)
    return len(agent_ids)
