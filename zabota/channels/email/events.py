"""Events the email channel publishes (after commit)."""

from __future__ import annotations

from dataclasses import dataclass

from zabota.core.events import Event


@dataclass(frozen=True)
class InboundProcessed(Event):
    inbound_id: int
    status: str


@dataclass(frozen=True)
class EmailHeld(Event):
    """Mail on a ticket's thread from someone who is not on the ticket (or failed DMARC)."""

    inbound_id: int
    ticket_id: int
    reason: str


@dataclass(frozen=True)
class BounceReceived(Event):
    inbound_id: int
    outbound_id: int
    permanent: bool
    recipients: tuple[str, ...] = ()
    diagnostic: str = ""


@dataclass(frozen=True)
class OutboundQueued(Event):
    outbound_id: int


@dataclass(frozen=True)
class DeliveryFailed(Event):
    """An outbound mail was given up on: a permanent refusal, or four days of failures."""

    outbound_id: int
    error: str = ""
