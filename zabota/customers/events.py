"""Events the customers context publishes (after commit)."""

from __future__ import annotations

from dataclasses import dataclass

from zabota.core.events import Event


@dataclass(frozen=True)
class ContactChanged(Event):
    """A contact's name or email addresses changed (what tickets show and search by)."""

    contact_id: int
