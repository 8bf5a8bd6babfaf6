"""The only writers of notifications: create (from listeners), mark read, email digests.

The digest is written to the email channel's outbox in the transaction that marks its
notifications emailed; the outbox sends it after commit and retries it when the mail server
fails (see ``send_digest``).

Every change of an agent's unread count is pushed to their sockets (``agent.<id>``) after
commit, so the bell in every open tab stays right.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import ngettext

from zabota.accounts.models import Agent
from zabota.channels.email import outbox
from zabota.core import clock
from zabota.notifications.models import Notification
from zabota.notifications.queries import (
    DIGEST_INTERVAL,
    due_for_digest,
    get_notification,
    last_digest_at,
)
from zabota.tickets.queries import filter_visible

logger = logging.getLogger(__name__)


def push_unread(agent_ids: Iterable[int]) -> None:
    """Tell the agents' open pages their new unread count (after the current transaction)."""
    ids = sorted(set(agent_ids))
    if not ids:
        return

    def send() -> None:
        from zabota.web import live

        counts = dict.fromkeys(ids, 0)
        for agent_id in ids:
            counts[agent_id] = Notification.objects.filter(agent_id=agent_id, read_at__isnull=True).count()
        for agent_id, count in counts.items():
            live.push(live.agent_group(agent_id), {"type": "notification", "unread": count})

    transaction.on_commit(send)


def notify(
    *,
    agent_ids: Iterable[int],
    kind: str,
    ticket_id: int,
    message_id: int | None = None,
    actor_agent_id: int | None = None,
    actor_name: str = "",
) -> list[Notification]:
    """One notification per active agent in ``agent_ids``, never to the actor."""
    wanted = {i for i in agent_ids if i and i != actor_agent_id}
    if not wanted:
        return []
    active = Agent.objects.filter(pk__in=wanted, is_active=True).values_list("pk", flat=True)
    now = clock.now()
    with transaction.atomic():
        created = Notification.objects.bulk_create(
            [
                Notification(
                    agent_id=agent_id,
                    kind=kind,
                    ticket_id=ticket_id,
                    message_id=message_id,
                    actor_name=actor_name[:200],
                    created_at=now,
                )
                for agent_id in sorted(active)
            ]
        )
        push_unread(n.agent_id for n in created)
    return created


def mark_read(*, agent: Agent, notification_id: int) -> Notification:
    """Mark one of the agent's notifications read (NotFound for anyone else's)."""
    with transaction.atomic():
        notification = get_notification(agent, notification_id)
        if notification.read_at is None:
            notification.read_at = clock.now()
            Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
                read_at=notification.read_at
            )
            push_unread([agent.pk])
    return notification


def mark_all_read(*, agent: Agent) -> int:
    with transaction.atomic():
        count = Notification.objects.filter(agent=agent, read_at__isnull=True).update(read_at=clock.now())
        if count:
            push_unread([agent.pk])
    return count


def mark_ticket_read(*, agent: Agent, ticket_id: int) -> int:
    """The agent opened the ticket: its notifications for that ticket are read."""
    with transaction.atomic():
        count = Notification.objects.filter(agent=agent, ticket_id=ticket_id, read_at__isnull=True).update(
            read_at=clock.now()
        )
        if count:
            push_unread([agent.pk])
    return count


# --- Email digest ------------------------------------------------------------------------------


def send_digest(*, agent: Agent, now: datetime | None = None) -> bool:
    """Email ``agent`` their unread notifications that are over an hour old and not yet emailed,
    at most once per 24 hours; mark them emailed. True when a digest was queued.

    Idempotent and safe to run twice at once: in one transaction the rows are claimed with a
    conditional UPDATE (only the run that claimed all of them goes on) and the email is written
    to the outbox, whose Message-ID is fixed by the agent and ``now``. The outbox sends it after
    commit and retries a failed send (``zabota.channels.email.outbox``); the notifications stay
    marked emailed, so the next hourly run never sends them twice. The email names ticket numbers
    and subjects only, never message bodies.
    """
    now = clock.now() if now is None else now
    if not agent.email_digest or not agent.is_active:
        return False
    last = last_digest_at(agent)
    if last is not None and last > now - DIGEST_INTERVAL:
        return False
    due = due_for_digest(agent, now)
    if not due:
        return False
    # A ticket the agent can no longer see is left out (and left unmarked).
    visible = set(filter_visible(agent, list({n.ticket_id for n in due})))
    items = [n for n in due if n.ticket_id in visible]
    if not items:
        return False
    subject, text, html = _render_digest(agent, items)
    ids = [n.pk for n in items]
    with transaction.atomic():
        claimed = Notification.objects.filter(pk__in=ids, emailed_at__isnull=True).update(emailed_at=now)
        if claimed != len(ids):
            # Another run got (some of) them first; undo ours and let the next hour decide.
            transaction.set_rollback(True)
            return False
        outbox.queue_agent_mail(
            to=agent.email,
            subject=subject,
            body_text=text,
            body_html=html,
            purpose=f"digest:{agent.pk}:{now.isoformat()}",
        )
    return True


def _render_digest(agent: Agent, items: list[Notification]) -> tuple[str, str, str]:
    """The digest's subject, text and HTML in the agent's language and time zone."""
    language = agent.locale or settings.LANGUAGE_CODE
    with translation.override(language), timezone.override(agent.timezone or settings.TIME_ZONE):
        context = {
            "agent": agent,
            "items": items,
            "site_url": settings.SITE_URL.rstrip("/"),
            "count": len(items),
        }
        subject = ngettext(
            "Zabota: %(count)d unread notification", "Zabota: %(count)d unread notifications", len(items)
        ) % {"count": len(items)}
        text = render_to_string("notifications/email/digest.txt", context)
        html = render_to_string("notifications/email/digest.html", context)
    return subject, text, html
