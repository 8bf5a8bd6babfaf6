"""Events the tickets context publishes (after commit). Other contexts subscribe to these."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from zabota.core.events import Event


@dataclass(frozen=True)
class TicketCreated(Event):
    ticket_id: int
    actor_agent_id: int | None = None
    actor_contact_id: int | None = None

    # In a batch, what follows a ticket's opening (routing, its clock) runs before the reactions
    # to anything else that happened in the batch (a message on it, mail held on it).
    batch_rank: ClassVar[int] = 0


@dataclass(frozen=True)
class TicketChanged(Event):
    """One or more fields changed: ``changes`` maps field -> (before, after) as JSON values."""

    ticket_id: int
    changes: dict[str, tuple[object, object]] = field(default_factory=dict)
    actor_agent_id: int | None = None


@dataclass(frozen=True)
class MessageAdded(Event):
    ticket_id: int
    message_id: int
    kind: str
    author_agent_id: int | None = None
    author_contact_id: int | None = None
    opens_ticket: bool = False  # the ticket's first message, written as the ticket was opened


@dataclass(frozen=True)
class TicketsMerged(Event):
    source_id: int
    target_id: int
    actor_agent_id: int | None = None


@dataclass(frozen=True)
class FollowerAdded(Event):
    """``agent_id`` now follows the ticket (and, as a follower, may see it)."""

    ticket_id: int
    agent_id: int
    actor_agent_id: int | None = None


@dataclass(frozen=True)
class FollowerRemoved(Event):
    ticket_id: int
    agent_id: int
    actor_agent_id: int | None = None
