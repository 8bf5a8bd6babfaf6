"""Background work of the email channel (thin, take ids, idempotent)."""

from __future__ import annotations

from huey.contrib.djhuey import db_task


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
