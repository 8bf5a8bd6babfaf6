"""The Huey instance and every periodic schedule, one comment each.

Tasks live in each context's ``tasks.py`` (thin, take ids, idempotent) and are enqueued on
commit by listeners. Periodic schedules are declared here only; this module is imported by the
notifications app's ``ready()`` so that both ``zabota run`` (embedded consumer) and
``zabota worker`` register them.
"""

from huey import crontab
from huey.contrib.djhuey import HUEY as huey
from huey.contrib.djhuey import db_periodic_task

__all__ = ["huey"]


# Hourly at :05 — email digests of unread notifications: each agent who asked for one gets
# their notifications older than an hour and not yet emailed, at most once per 24 hours.
@db_periodic_task(crontab(minute="5"))
def notification_digests() -> None:
    from zabota.notifications.tasks import queue_digests

    queue_digests()


# Every minute — the email outbox: send every queued mail whose (re)try is due; each row is
# claimed with a conditional UPDATE, so overlapping runs and the on-commit task never send twice.
@db_periodic_task(crontab(minute="*"))
def email_send_due() -> None:
    from zabota.channels.email.outbox import send_due

    send_due()


# Every 5 minutes — the email outbox's safety net: an agent's public reply on an email ticket of
# the last two days that has no outbox row (the process died after the reply's commit) gets one.
@db_periodic_task(crontab(minute="*/5"))
def email_ensure_outbox() -> None:
    from zabota.channels.email.outbox import ensure_outbox

    ensure_outbox()


# Every minute — IMAP: one poll task per active IMAP mailbox not checked for
# ZABOTA_IMAP_POLL_SECONDS; a mailbox per task, so a slow or broken one never delays the others.
@db_periodic_task(crontab(minute="*"))
def email_imap_polls() -> None:
    from zabota.channels.email.tasks import queue_imap_polls

    queue_imap_polls()


# Every 5 minutes — inbound email stored but never processed (the process died between the
# commit of the raw message and its processing task): process it. Processing locks each row and
# skips rows already done, so this never doubles a message the task got to first.
@db_periodic_task(crontab(minute="*/5"))
def email_process_pending() -> None:
    from zabota.channels.email.ingest import process_pending

    process_pending()


# Every minute — SLA: fire the warnings and breaches whose time has come (clocks claimed by a
# conditional UPDATE on next_check_at, each alert recorded once), so none fires over 60 s late.
@db_periodic_task(crontab(minute="*"))
def sla_check_due() -> None:
    from zabota.sla.jobs import check_due

    check_due()


# Every minute — routing: follow shift changes (compared with the on-shift set seen last time, so
# a missed run catches up): an agent whose shift ended hands back their unanswered tickets of
# that team; a team in which a shift began routes its queue.
@db_periodic_task(crontab(minute="*"))
def routing_sync_shifts() -> None:
    from zabota.routing.tasks import sync_shifts_now

    sync_shifts_now()


# Every 5 minutes — incident updates: an update whose deliveries are still pending five minutes
# after it was sent (the worker died mid-way) is resumed; only pending deliveries are posted, each
# with its reply in one transaction, so nobody gets the update twice.
@db_periodic_task(crontab(minute="*/5"))
def incident_updates_resume() -> None:
    from zabota.triage.tasks import resume_updates

    resume_updates()


# Hourly at :15 — rotas: email each person on support tomorrow (from 10:00 in the rota's time
# zone), once per shift (claimed by a conditional UPDATE on reminded_at; the outbox retries).
@db_periodic_task(crontab(minute="15"))
def rota_shift_reminders() -> None:
    from zabota.rotas.reminders import send_reminders

    send_reminders()
