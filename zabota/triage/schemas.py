"""API schemas of the triage context (incidents)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from ninja import Field, Schema


class IncidentOut(Schema):
    ticket_id: int
    number: int
    subject: str
    created_at: datetime
    resolved_at: datetime | None
    linked_count: int


class LinkIn(Schema):
    ticket_ids: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] = Field(..., min_length=1, max_length=500)


class LinkOutcomeOut(Schema):
    ticket_id: int
    ok: bool
    code: str = Field(
        "",
        description="why not: not_found, link_to_itself, already_incident, linked_to_other_incident, ticket_merged",
    )


class LinkedTicketOut(Schema):
    id: int
    number: int
    subject: str
    status: str
    channel: str
    requester_id: int
    requester_name: str


class UpdateIn(Schema):
    body: str = Field(..., min_length=1, max_length=20_000)


class UpdateOut(Schema):
    id: int
    body: str
    state: str = Field(..., description="queued, sending or done")
    total: int
    sent: int
    skipped: int
    pending: int
    created_at: datetime
    finished_at: datetime | None
