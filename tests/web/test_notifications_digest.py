"""The optional email digest: unread notifications over an hour old, at most once a day, sent
through the outbox (so a mail server that is down delays it instead of losing it)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core import mail

from zabota.accounts.actions import update_preferences
from zabota.accounts.models import Agent
from zabota.channels.email import outbox
from zabota.channels.email.models import OutboundEmail, OutboundKind, OutboundStatus
from zabota.core import clock
from zabota.notifications.actions import mark_read, notify, send_digest
from zabota.notifications.models import Notification, NotificationKind
from zabota.notifications.tasks import queue_digests
from zabota.tickets.actions import add_note
from zabota.tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def start() -> datetime:
    return clock.now().replace(microsecond=0)


def wants_digest(agent: Agent, locale: str = "en") -> Agent:
    return update_preferences(actor=agent, locale=locale, timezone="Europe/Moscow", email_digest=True)


def notice(
    agent: Agent, ticket: Ticket, when: datetime, kind: str = NotificationKind.MENTIONED
) -> Notification:
    with time_machine.travel(when, tick=False):
        [n] = notify(agent_ids=[agent.pk], kind=kind, ticket_id=ticket.pk, actor_name="Ada Admin")
    return n


DigestAt = Callable[[Agent, datetime], bool]


@pytest.fixture
def digest_at(django_capture_on_commit_callbacks: Any) -> DigestAt:
    """Run the digest at ``when``; what it queued is sent when its transaction commits."""

    def run(agent: Agent, when: datetime) -> bool:
        with time_machine.travel(when, tick=False), django_capture_on_commit_callbacks(execute=True):
            return send_digest(agent=Agent.objects.get(pk=agent.pk))

    return run


def test_one_email_with_the_unread_notifications_over_an_hour_old(
    alice_agent: Agent, support_ticket: Ticket, billing_ticket: Ticket, start: datetime, digest_at: DigestAt
) -> None:
    wants_digest(alice_agent)
    first = notice(alice_agent, support_ticket, start, NotificationKind.ASSIGNED)
    second = notice(alice_agent, billing_ticket, start + timedelta(minutes=5))

    assert not digest_at(alice_agent, start + timedelta(minutes=30))  # too fresh: maybe seen in-app
    assert mail.outbox == []

    assert digest_at(alice_agent, start + timedelta(minutes=70))
    [email] = mail.outbox
    assert email.to == ["alice@zabota.test"]
    assert email.subject == "Zabota: 2 unread notifications"
    assert email.extra_headers["Auto-Submitted"] == "auto-generated"
    assert email.extra_headers["X-Auto-Response-Suppress"] == "All"
    assert f"Ada Admin assigned #{support_ticket.number} to you: Cannot log in" in email.body
    assert f"Ada Admin mentioned you on #{billing_ticket.number}: Invoice is wrong" in email.body
    assert f"/tickets/{support_ticket.number}/" in email.body
    for n in (first, second):
        n.refresh_from_db()
        assert n.emailed_at == start + timedelta(minutes=70)


def test_the_digest_is_idempotent_and_at_most_daily(
    alice_agent: Agent, support_ticket: Ticket, billing_ticket: Ticket, start: datetime, digest_at: DigestAt
) -> None:
    wants_digest(alice_agent)
    notice(alice_agent, support_ticket, start)
    assert digest_at(alice_agent, start + timedelta(hours=2))
    assert not digest_at(alice_agent, start + timedelta(hours=2))  # run twice: one email
    later = notice(alice_agent, billing_ticket, start + timedelta(hours=3))
    assert not digest_at(alice_agent, start + timedelta(hours=10))  # within 24 h of the last one
    assert len(mail.outbox) == 1

    assert digest_at(alice_agent, start + timedelta(hours=26, minutes=1))
    assert len(mail.outbox) == 2
    assert "Invoice is wrong" in mail.outbox[1].body
    assert "Cannot log in" not in mail.outbox[1].body  # already emailed
    later.refresh_from_db()
    assert later.emailed_at is not None


def test_read_notifications_and_agents_without_a_digest_get_nothing(
    alice_agent: Agent,
    bob_other_team: Agent,
    support_ticket: Ticket,
    billing_ticket: Ticket,
    start: datetime,
    digest_at: DigestAt,
) -> None:
    wants_digest(alice_agent)
    seen = notice(alice_agent, support_ticket, start)
    mark_read(agent=alice_agent, notification_id=seen.pk)
    notice(bob_other_team, billing_ticket, start)  # Bob never asked for a digest
    assert not digest_at(alice_agent, start + timedelta(hours=2))
    assert not digest_at(bob_other_team, start + timedelta(hours=2))
    assert mail.outbox == []


def test_no_note_body_in_the_email(
    admin: Agent,
    alice_agent: Agent,
    support_ticket: Ticket,
    start: datetime,
    django_capture_on_commit_callbacks: Any,
    digest_at: DigestAt,
) -> None:
    wants_digest(alice_agent)
    with time_machine.travel(start, tick=False), django_capture_on_commit_callbacks(execute=True):
        add_note(actor=admin, ticket_id=support_ticket.pk, body_text="@alice the root password is hunter2")
    assert Notification.objects.filter(agent=alice_agent).count() == 1
    assert digest_at(alice_agent, start + timedelta(hours=2))
    [email] = mail.outbox
    html = email.alternatives[0][0]
    for part in (email.body, html, email.subject):
        assert "hunter2" not in part
    assert f"Ada Admin mentioned you on #{support_ticket.number}" in email.body


def test_the_email_is_in_the_agents_language(
    alice_agent: Agent, support_ticket: Ticket, start: datetime, digest_at: DigestAt
) -> None:
    wants_digest(alice_agent, locale="ru")
    notice(alice_agent, support_ticket, start)
    assert digest_at(alice_agent, start + timedelta(hours=2))
    [email] = mail.outbox
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html"
    assert '<html lang="ru">' in html


def test_a_failing_mail_server_delays_the_digest_and_it_is_sent_once_later(
    monkeypatch: pytest.MonkeyPatch,
    alice_agent: Agent,
    support_ticket: Ticket,
    start: datetime,
    digest_at: DigestAt,
) -> None:
    wants_digest(alice_agent)
    n = notice(alice_agent, support_ticket, start)

    def broken(*args: Any, **kwargs: Any) -> int:
        raise OSError("smtp down")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", broken)
    assert digest_at(alice_agent, start + timedelta(hours=2))
    assert mail.outbox == []
    [row] = OutboundEmail.objects.all()
    assert (row.kind, row.status, row.attempts) == (OutboundKind.NOTIFICATION, OutboundStatus.QUEUED, 1)
    assert row.to == ["alice@zabota.test"]
    assert "smtp down" in row.last_error
    n.refresh_from_db()
    assert n.emailed_at == start + timedelta(hours=2)  # the outbox owns it now: no second digest
    assert not digest_at(alice_agent, start + timedelta(hours=3))
    assert OutboundEmail.objects.count() == 1

    monkeypatch.undo()
    with time_machine.travel(start + timedelta(hours=3), tick=False):
        assert outbox.send_due() == 1
        assert outbox.send_due() == 0
    [email] = mail.outbox
    assert email.subject == "Zabota: 1 unread notification"
    assert "Cannot log in" in email.body
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboundStatus.SENT, 2)


def test_the_hourly_job_sends_every_due_digest(
    alice_agent: Agent,
    sam_security: Agent,
    support_ticket: Ticket,
    security_ticket: Ticket,
    start: datetime,
    django_capture_on_commit_callbacks: Any,
) -> None:
    wants_digest(alice_agent)
    wants_digest(sam_security)
    notice(alice_agent, support_ticket, start)
    notice(sam_security, security_ticket, start)
    with time_machine.travel(start + timedelta(hours=2), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert queue_digests() == 2  # Huey runs tasks immediately in tests
        assert queue_digests() == 0
    assert sorted(e.to[0] for e in mail.outbox) == ["alice@zabota.test", "sam@zabota.test"]
    notice(alice_agent, support_ticket, start + timedelta(hours=3))
    with time_machine.travel(start + timedelta(hours=12), tick=False):
        assert queue_digests() == 0  # Alice had hers less than a day ago
    with time_machine.travel(start + timedelta(hours=26), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert queue_digests() == 1
    assert len(mail.outbox) == 3


def test_the_digest_is_scheduled_hourly() -> None:
    from zabota.config.tasks import notification_digests

    task = notification_digests.task_class()
    assert task.validate_datetime(datetime(2026, 3, 2, 10, 5))
    assert not task.validate_datetime(datetime(2026, 3, 2, 10, 6))


def test_the_same_agent_mail_queued_twice_is_one_mail(django_capture_on_commit_callbacks: Any) -> None:
    fields = {"to": "alice@zabota.test", "subject": "Digest", "body_text": "Hi", "body_html": ""}
    with django_capture_on_commit_callbacks(execute=True):
        first = outbox.queue_agent_mail(**fields, purpose="digest:1:2026-03-02T10:00:00+00:00")
        again = outbox.queue_agent_mail(**fields, purpose="digest:1:2026-03-02T10:00:00+00:00")
    assert again.pk == first.pk
    [email] = mail.outbox
    assert email.extra_headers["Message-ID"] == f"<{first.mail_id}>"
    assert email.from_email == settings.DEFAULT_FROM_EMAIL
