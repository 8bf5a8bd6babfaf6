"""API shapes of tickets, messages and search results (django-ninja schemas)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Field, Schema

from zabota.core.schemas import Out
from zabota.sla.api import TicketSla

PriorityName = Literal["low", "normal", "high", "urgent"]
StatusName = Literal["new", "open", "pending", "on_hold", "solved", "closed"]
KindName = Literal["question", "problem", "feature_request", "complaint", "feedback", "billing", "other"]
ChannelName = Literal["email", "chat", "portal", "api", "phone", "telegram", "other"]


class Ref(Out):
    id: int
    name: str


class TierRef(Out):
    id: int
    name: str
    rank: int


class OrganizationRef(Out):
    id: int
    name: str
    tier: TierRef | None = None


class RequesterRef(Out):
    id: int
    name: str


class TicketRow(Out):
    id: int
    number: int
    subject: str
    status: StatusName
    priority: PriorityName
    kind: KindName
    channel: ChannelName
    requester: RequesterRef
    organization: OrganizationRef | None
    assignee: Ref | None
    team: Ref | None
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    sla: TicketSla | None = None  # the SLA policy, clocks and past breaches (zabota.sla.api)


class TicketPage(Out):
    items: list[TicketRow]
    next_cursor: str | None


class AttachmentOut(Out):
    id: int
    name: str
    size: int
    content_type: str
    url: str


class MessageOut(Out):
    id: int
    kind: Literal["reply", "note", "event"]
    author_type: Literal["agent", "contact", "system"]
    author: Ref | None
    body_text: str
    body_html: str
    channel: str
    delivery_status: str
    created_at: datetime
    attachments: list[AttachmentOut]


class ActivityOut(Out):
    id: int
    verb: str
    field: str
    before: Any = None
    after: Any = None
    actor_type: Literal["agent", "contact", "system"]
    actor: Ref | None
    created_at: datetime


class TimelineItem(Out):
    type: Literal["message", "activity"]
    at: datetime
    message: MessageOut | None = None
    activity: ActivityOut | None = None


class TicketDetail(TicketRow):
    project: Ref | None
    inbox: Ref | None
    custom_fields: dict[str, Any]
    snoozed_until: datetime | None
    merged_into: int | None
    solved_at: datetime | None
    followers: list[Ref]
    timeline: list[TimelineItem]


class RequesterIn(Schema):
    email: str = Field(..., max_length=254)
    name: str = Field("", max_length=200)


class AttachmentIn(Schema):
    name: str = Field(..., min_length=1, max_length=255)
    content_base64: str = Field(..., description="The file's bytes, base64-encoded")


class TicketCreate(Schema):
    subject: str = Field(..., min_length=1, max_length=500)
    body: str = Field("", max_length=1_000_000, description="Plain text of the first message")
    body_html: str = Field("", max_length=1_000_000, description="HTML of the first message (sanitised)")
    requester: RequesterIn | None = Field(None, description="Find or create the requester by email")
    requester_id: int | None = None
    priority: PriorityName = "normal"
    kind: KindName = "question"
    channel: ChannelName = "api"
    inbox_id: int | None = None
    team_id: int | None = None
    assignee_id: int | None = None
    project_id: int | None = None
    tags: list[str] = Field(default_factory=list, max_length=50)
    custom_fields: dict[str, Any] = Field(default_factory=dict)
    as_note: bool = Field(False, description="Store the first message as an internal note")
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)


class TicketUpdate(Schema):
    subject: str | None = Field(None, min_length=1, max_length=500)
    status: StatusName | None = None
    priority: PriorityName | None = None
    kind: KindName | None = None
    assignee_id: int | None = Field(None, description="0 or null with unassign=true to unassign")
    unassign: bool = False
    team_id: int | None = None
    clear_team: bool = False
    project_id: int | None = None
    clear_project: bool = False
    tags: list[str] | None = Field(None, max_length=50)
    add_tags: list[str] | None = Field(None, max_length=50)
    remove_tags: list[str] | None = Field(None, max_length=50)
    custom_fields: dict[str, Any] | None = None
    snoozed_until: datetime | None = None
    unsnooze: bool = False


class MessageIn(Schema):
    body: str = Field("", max_length=1_000_000)
    body_html: str = Field("", max_length=1_000_000)
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)


class ReplyIn(MessageIn):
    status: StatusName | None = Field(None, description="Also move the ticket to this status (e.g. pending)")


class MergeIn(Schema):
    into_ticket_id: int


class FollowerIn(Schema):
    agent_id: int


class SearchPage(Out):
    items: list[TicketRow]
    total: int
    total_is_capped: bool = Field(description="True when there are more matches than `total` (show 1,000+)")
    next_cursor: str | None


class TagOut(Out):
    id: int
    name: str
