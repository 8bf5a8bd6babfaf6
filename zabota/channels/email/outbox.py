"""The outbox: replies and system mail are committed as rows and sent by a worker."""

from __future__ import annotations

from zabota.channels.email.models import OutboundEmail, OutboundStatus
from zabota.tickets.choices import DeliveryStatus
from zabota.tickets.models import Message


def mark_bounced(outbound: OutboundEmail, *, permanent: bool, diagnostic: str) -> None:
    """A delivery report said ``outbound`` did not arrive (called inside ingest's transaction)."""
    if not permanent:
        return
    outbound.status = OutboundStatus.BOUNCED
    outbound.last_error = diagnostic[:2000]
    outbound.save(update_fields=["status", "last_error"])
    if outbound.message_id is not None:
        Message.objects.filter(pk=outbound.message_id).update(delivery_status=DeliveryStatus.BOUNCED)
