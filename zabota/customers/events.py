"""Events the customers context publishes (after commit)."""

from __future__ import annotations

from dataclasses import dataclass

from zabota.core.events import Event


@dataclass(frozen=True)
class ContactChanged(Event):
    """A contact's name or email addresses changed (what tickets show and search by)."""

    contact_id: int


@dataclass(frozen=True)
class OrganizationTierChanged(Event):
    """An organization moved to another tier (SLA policies and priority rules follow the tier)."""

    organization_id: int


@dataclass(frozen=True)
class ContactOrganizationChanged(Event):
    """A contact joined, left or changed organization (their tickets without an organization of
    their own take the requester's organization's tier for SLA policies)."""

    contact_id: int
