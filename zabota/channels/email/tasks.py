"""Background work of the email channel (thin, take ids, idempotent).

``process_inbound`` is enqueued by the receivers that answer the sender before processing
(LMTP, the webhook) once the raw message is committed. Processing only acts on a ``received``
row, so running it twice, or after the periodic sweep got there first, does nothing.
"""

from __future__ import annotations

from datetime import datetime

from huey.contrib.djhuey import db_task

from zabota.channels.email import ingest


@db_task(retries=3, retry_delay=30)
def process_inbound(inbound_id: int) -> str:
    return ingest.process(inbound_id).outcome


@db_task()
def send_outbound(outbound_id: int) -> str:
    """Send one outbox row (enqueued when it is queued; ``send_due`` retries it)."""
    from zabota.channels.email import outbox

    return outbox.send(outbound_id)


@db_task()
def auto_acknowledge(ticket_id: int) -> bool:
    """Queue the auto-acknowledgement of a ticket opened by email, if one is due."""
    from zabota.channels.email import autoack

    return autoack.queue_auto_ack(ticket_id) is not None


@db_task()
def auto_acknowledge_many(ticket_ids: list[int]) -> int:
    """``auto_acknowledge`` for the tickets of an import batch (one task, not one each)."""
    from zabota.channels.email import autoack

    return sum(autoack.queue_auto_ack(ticket_id) is not None for ticket_id in ticket_ids)


@db_task()
def poll_mailbox(mailbox_id: int, after: datetime | None = None, soon: bool = False) -> int | None:
    """Fetch one IMAP mailbox's new mail (``receivers.imap``). Does nothing when another poll
    holds the mailbox's lease; returns how many messages were fetched. A poll that stopped at
    its time budget enqueues its continuation (``after``: when it finished). ``soon``: enqueued
    by the IDLE watcher on new mail, so it needs only a short pause since the last poll."""
    from zabota.channels.email.receivers import imap

    result = imap.poll_if_due(mailbox_id, after=after, soon=soon)
    if result is None:
        return None
    if result.more and result.finished_at is not None:
        poll_mailbox(mailbox_id, result.finished_at)
    return result.fetched


def queue_imap_polls() -> int:
    """Enqueue one ``poll_mailbox`` per IMAP mailbox that is due; returns how many."""
    from zabota.channels.email.receivers import imap

    ids = imap.due_mailbox_ids()
    for mailbox_id in ids:
        poll_mailbox(mailbox_id)
    return len(ids)
