"""Reads of notifications: always one agent's own (another agent's id is NotFound)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Max

from zabota.accounts.models import Agent
from zabota.core.errors import NotFound, ValidationFailed
from zabota.notifications.models import Notification
from zabota.tickets.queries import filter_visible

PAGE_SIZE = 50
DIGEST_MIN_AGE = timedelta(hours=1)  # a notification waits this long (the agent may see it in-app)
DIGEST_INTERVAL = timedelta(hours=24)  # at most one digest per agent in this time


def unread_count(agent: Agent) -> int:
    return Notification.objects.filter(agent=agent, read_at__isnull=True).count()


def get_notification(agent: Agent, notification_id: int) -> Notification:
    found = Notification.objects.filter(pk=notification_id, agent=agent).select_related("ticket").first()
    if found is None:
        raise NotFound(f"notification {notification_id} not found")
    return found


@dataclass
class NotificationPage:
    items: list[Notification]  # each with ``visible``: the agent may still see the ticket
    next_cursor: str | None


def _cursor(value: str | None) -> int | None:
    if not value:
        return None
    if not value.isdigit() or len(value) > 18:
        raise ValidationFailed("cursor is not valid", fields={"cursor": "invalid"})
    return int(value)


def list_notifications(
    agent: Agent, *, cursor: str | None = None, unread_only: bool = False, limit: int = PAGE_SIZE
) -> NotificationPage:
    """Newest first, ``limit`` per page; ``cursor`` is the id the previous page ended at."""
    qs = Notification.objects.filter(agent=agent)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    before = _cursor(cursor)
    if before is not None:
        qs = qs.filter(pk__lt=before)
    rows = list(
        qs.select_related("ticket")
        .only(
            "id",
            "kind",
            "actor_name",
            "created_at",
            "read_at",
            "ticket__id",
            "ticket__number",
            "ticket__subject",
        )
        .order_by("-id")[: limit + 1]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    # A ticket the agent can no longer see (moved to a restricted team) keeps its row, not its
    # subject.
    visible = set(filter_visible(agent, list({n.ticket_id for n in rows})))
    for n in rows:
        n.visible = n.ticket_id in visible  # type: ignore[attr-defined]
    return NotificationPage(items=rows, next_cursor=str(rows[-1].pk) if more and rows else None)


def digest_candidates(now: datetime) -> list[int]:
    """Ids of agents a digest is due for: they asked for one, have unread notifications not yet
    emailed and over an hour old, and had no digest in the last 24 hours.

    Agent first (few ask for a digest), then two index lookups each (``notification_digest_due``,
    ``notification_emailed``): never a scan of every unread notification.
    """
    due = []
    for agent in Agent.objects.filter(email_digest=True, is_active=True).only("pk"):
        waiting = Notification.objects.filter(
            agent=agent, read_at__isnull=True, emailed_at__isnull=True, created_at__lte=now - DIGEST_MIN_AGE
        ).exists()
        if not waiting:
            continue
        last = last_digest_at(agent)
        if last is None or last <= now - DIGEST_INTERVAL:
            due.append(agent.pk)
    return due


def last_digest_at(agent: Agent) -> datetime | None:
    return Notification.objects.filter(agent=agent, emailed_at__isnull=False).aggregate(
        last=Max("emailed_at")
    )["last"]


def due_for_digest(agent: Agent, now: datetime) -> list[Notification]:
    return list(
        Notification.objects.filter(
            agent=agent, read_at__isnull=True, emailed_at__isnull=True, created_at__lte=now - DIGEST_MIN_AGE
        )
        .select_related("ticket")
        .order_by("id")
    )
