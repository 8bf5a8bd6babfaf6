"""HTTP API for tickets: thin routes that parse input, call actions and queries, and present."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

from django.db import transaction
from django.http import FileResponse, HttpRequest
from ninja import Query, Router, Status

from zabota.accounts.auth import actor
from zabota.accounts.models import Agent, Team
from zabota.core import clock
from zabota.core.errors import NotFound, ValidationFailed
from zabota.customers.actions import find_or_create_contact
from zabota.customers.models import Contact, Project
from zabota.sla.views_clocks import api_sla
from zabota.tickets import actions
from zabota.tickets.actions.common import Upload
from zabota.tickets.actions.update import UNSET
from zabota.tickets.choices import Priority
from zabota.tickets.models import Attachment, Inbox, Message, Tag, Ticket
from zabota.tickets.queries import (
    CURSOR_MAX_CHARS,
    NAME_SORT_MAX,
    TicketFilter,
    TimelineEntry,
    access_ticket,
    custom_field_condition,
    list_tickets,
    load_rows,
    priority_value,
    search_tickets,
    timeline,
)
from zabota.tickets.schemas import (
    FollowerIn,
    MergeIn,
    MessageIn,
    MessageOut,
    ReplyIn,
    SearchPage,
    TagOut,
    TicketCreate,
    TicketDetail,
    TicketPage,
    TicketUpdate,
)

router = Router(tags=["tickets"])
PRIORITY_NAMES = {int(p): p.name.lower() for p in Priority}
MAX_ID = 2**63 - 1  # ids in query filters are bounded, so no driver overflows on a huge number


# --- Presenters ------------------------------------------------------------------------------


def _ref(obj: Any) -> dict[str, Any] | None:
    return None if obj is None else {"id": obj.pk, "name": str(obj)}


def present_row(r: dict[str, Any]) -> dict[str, Any]:
    """A list row from ``queries.load_rows``."""
    org = None
    if r["organization_id"] is not None:
        tier = None
        if r["organization__tier_id"] is not None:
            tier = {
                "id": r["organization__tier_id"],
                "name": r["organization__tier__name"],
                "rank": r["organization__tier__rank"],
            }
        org = {"id": r["organization_id"], "name": r["organization__name"], "tier": tier}
    return {
        "id": r["id"],
        "number": r["number"],
        "subject": r["subject"],
        "status": r["status"],
        "priority": PRIORITY_NAMES[r["priority"]],
        "kind": r["kind"],
        "channel": r["channel"],
        "requester": {"id": r["requester_id"], "name": r["requester__name"]},
        "organization": org,
        "assignee": None
        if r["assignee_id"] is None
        else {"id": r["assignee_id"], "name": r["assignee__name"] or r["assignee__email"]},
        "team": None if r["team_id"] is None else {"id": r["team_id"], "name": r["team__name"]},
        "tags": sorted(r["tags"]),
        "created_at": r["created_at"],
        "updated_at": r["updated_at"],
    }


def _author(agent: Agent | None, contact: Contact | None) -> tuple[str, dict[str, Any] | None]:
    if agent is not None:
        return "agent", _ref(agent)
    if contact is not None:
        return "contact", {"id": contact.pk, "name": contact.name}
    return "system", None


def present_message(m: Message) -> dict[str, Any]:
    author_type, author = _author(m.author_agent, m.author_contact)
    return {
        "id": m.pk,
        "kind": m.kind,
        "author_type": author_type,
        "author": author,
        "body_text": m.body_text,
        "body_html": m.body_html,
        "channel": m.channel,
        "delivery_status": m.delivery_status,
        "created_at": m.created_at,
        "attachments": [
            {
                "id": a.pk,
                "name": a.name,
                "size": a.size,
                "content_type": a.content_type,
                "url": f"/api/v1/attachments/{a.pk}",
            }
            for a in m.attachments.all()
        ],
    }


def present_entry(e: TimelineEntry) -> dict[str, Any]:
    if e.message is not None:
        return {"type": "message", "at": e.at, "message": present_message(e.message)}
    a = e.activity
    assert a is not None
    actor_type, who = _author(a.actor_agent, a.actor_contact)
    return {
        "type": "activity",
        "at": e.at,
        "activity": {
            "id": a.pk,
            "verb": a.verb,
            "field": a.field,
            "before": a.before,
            "after": a.after,
            "actor_type": actor_type,
            "actor": who,
            "created_at": a.created_at,
        },
    }


def present_detail(agent: Agent, ticket: Ticket | int) -> dict[str, Any]:
    """The ticket with its timeline. Given an id, the agent must be able to see it; given the
    ticket an action just returned, it is shown as it is after the agent's own change, even when
    that change (handing it to a restricted team, unfollowing) takes it out of their sight."""
    t = access_ticket(agent, ticket) if isinstance(ticket, int) else ticket
    data = present_row(load_rows([t.pk])[0])
    data["sla"] = api_sla([t.pk])[t.pk]
    data.update(
        {
            "project": _ref(t.project) if t.project_id else None,
            "inbox": _ref(t.inbox) if t.inbox_id else None,
            "custom_fields": t.custom_fields,
            "snoozed_until": t.snoozed_until,
            "merged_into": t.merged_into_id,
            "solved_at": t.solved_at,
            "followers": [
                _ref(f.agent) for f in t.followers.filter(agent__isnull=False).select_related("agent")
            ],
            "timeline": [present_entry(e) for e in timeline(agent, t)],
        }
    )
    return data


# --- Input helpers ---------------------------------------------------------------------------


def _uploads(items: list[Any]) -> list[Upload]:
    out = []
    for i, item in enumerate(items):
        try:
            content = base64.b64decode(item.content_base64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValidationFailed(
                "attachment content is not valid base64", fields={f"attachments.{i}": "invalid"}
            ) from exc
        out.append(Upload(name=item.name, content=content))
    return out


def _get(model: Any, pk: int | None, field: str) -> Any:
    if pk is None:
        return None
    obj = model.objects.filter(pk=pk).first()
    if obj is None:
        raise ValidationFailed(f"{field} {pk} does not exist", fields={field: "unknown"})
    return obj


# --- Routes ----------------------------------------------------------------------------------


def _since(value: datetime | None, field: str) -> datetime | None:
    return clock.checked(value, field) if value is not None else None


def _custom_condition(text: str) -> tuple[str, Any]:
    key, sep, value = text.partition(":")
    if not sep:
        raise ValidationFailed("custom_field takes key:value", fields={"custom_field": "invalid"})
    return custom_field_condition(key.strip(), value)


@router.get("/tickets", response=TicketPage, summary="List tickets")
def list_(
    request: HttpRequest,
    status: list[str] = Query(
        None, description="Repeat for several: new, open, pending, on_hold, solved, closed"
    ),
    priority: list[str] = Query(None),
    kind: list[str] = Query(None),
    channel: list[str] = Query(None, description="Repeat for several: email, chat, portal, api, phone ..."),
    assignee_id: int | None = Query(None, ge=1, le=MAX_ID),
    assignee: str | None = Query(None, description="'me' for the caller's tickets"),
    unassigned: bool = False,
    team_id: int | None = Query(None, ge=1, le=MAX_ID),
    tag: list[str] = Query(None, description="Repeat for several: tickets carrying all of them"),
    organization_id: int | None = Query(None, ge=1, le=MAX_ID),
    tier_id: int | None = Query(None, ge=1, le=MAX_ID, description="The requester organization's tier"),
    inbox_id: int | None = Query(None, ge=1, le=MAX_ID),
    requester_id: int | None = Query(None, ge=1, le=MAX_ID),
    project_id: int | None = Query(None, ge=1, le=MAX_ID),
    custom_field: list[str] = Query(
        None,
        description="key:value, an equality on a custom field (typed by its definition: "
        "true/false, a number, a date YYYY-MM-DD, text); repeat for several",
    ),
    created_since: datetime | None = None,
    created_before: datetime | None = None,
    updated_since: datetime | None = None,
    updated_before: datetime | None = None,
    solved_since: datetime | None = None,
    sla: list[str] = Query(
        None,
        description="SLA state, repeat for several: at_risk (past the warning time), breached "
        "(past a running clock's due time), paused, none (no policy applies)",
    ),
    sla_due_before: datetime | None = Query(None, description="The nearest SLA due time is before this"),
    sort: str = Query(
        "newest",
        description="queue (priority, then oldest), newest, oldest, updated, status (workflow "
        "order, then queue order), assignee or requester (by name; at most "
        f"{NAME_SORT_MAX} tickets, else 422), due (the nearest SLA due time first, tickets "
        "without a running clock last)",
    ),
    cursor: str | None = Query(None, max_length=CURSOR_MAX_CHARS),
    limit: int = Query(50, ge=1, le=100),
) -> dict[str, Any]:
    me = actor(request)
    if assignee not in (None, "me"):
        raise ValidationFailed("assignee accepts only 'me'; use assignee_id", fields={"assignee": "invalid"})
    flt = TicketFilter(
        status=status or [],
        priority=[priority_value(p) for p in (priority or [])],
        kind=kind or [],
        channel=channel or [],
        assignee_id=me.pk if assignee == "me" else assignee_id,
        unassigned=unassigned,
        team_id=team_id,
        tags=tag or [],
        organization_id=organization_id,
        tier_id=tier_id,
        inbox_id=inbox_id,
        requester_id=requester_id,
        project_id=project_id,
        custom_fields=dict(_custom_condition(c) for c in (custom_field or [])),
        created_since=_since(created_since, "created_since"),
        created_before=_since(created_before, "created_before"),
        updated_since=_since(updated_since, "updated_since"),
        updated_before=_since(updated_before, "updated_before"),
        solved_since=_since(solved_since, "solved_since"),
        sla=sla or [],
        sla_due_before=_since(sla_due_before, "sla_due_before"),
        sort=sort,
    )
    page = list_tickets(me, flt, cursor=cursor, limit=limit)
    return {"items": _with_sla([present_row(t) for t in page.items]), "next_cursor": page.next_cursor}


def _with_sla(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each row's ``sla`` (policy, clocks, breaches): two queries for the page."""
    found = api_sla([r["id"] for r in rows])
    for row in rows:
        row["sla"] = found[row["id"]]
    return rows


@router.post("/tickets", response={201: TicketDetail}, summary="Open a ticket")
def create(request: HttpRequest, payload: TicketCreate) -> Status[dict[str, Any]]:
    me = actor(request)
    # One transaction: a refused ticket must not leave a newly created requester behind.
    with transaction.atomic():
        if payload.requester_id is not None:
            requester = _get(Contact, payload.requester_id, "requester_id")
        elif payload.requester is not None:
            requester = find_or_create_contact(email=payload.requester.email, name=payload.requester.name)
        else:
            raise ValidationFailed("give requester (email) or requester_id", fields={"requester": "required"})
        ticket = actions.create_ticket(
            actor=me,
            requester=requester,
            subject=payload.subject,
            body_text=payload.body,
            body_html=payload.body_html,
            channel=payload.channel,
            inbox=_get(Inbox, payload.inbox_id, "inbox_id"),
            priority=Priority.from_name(payload.priority),
            kind=payload.kind,
            team=_get(Team, payload.team_id, "team_id"),
            assignee=_get(Agent, payload.assignee_id, "assignee_id"),
            project=_get(Project, payload.project_id, "project_id"),
            tags=payload.tags,
            custom_fields=payload.custom_fields,
            attachments=_uploads(payload.attachments),
            first_message_is_note=payload.as_note,
        )
    return Status(201, present_detail(me, ticket))


@router.get("/tickets/{ticket_id}", response=TicketDetail, summary="A ticket with its timeline")
def read(request: HttpRequest, ticket_id: int) -> dict[str, Any]:
    return present_detail(actor(request), ticket_id)


@router.patch("/tickets/{ticket_id}", response=TicketDetail, summary="Change a ticket's fields")
def update(request: HttpRequest, ticket_id: int, payload: TicketUpdate) -> dict[str, Any]:
    me = actor(request)
    access_ticket(me, ticket_id)
    fields = payload.model_fields_set
    kwargs: dict[str, Any] = {}
    if payload.subject is not None:
        kwargs["subject"] = payload.subject
    if payload.status is not None:
        kwargs["status"] = payload.status
    if payload.priority is not None:
        kwargs["priority"] = int(Priority.from_name(payload.priority))
    if payload.kind is not None:
        kwargs["kind"] = payload.kind
    if payload.unassign:
        kwargs["assignee"] = None
    elif payload.assignee_id is not None:
        kwargs["assignee"] = _get(Agent, payload.assignee_id, "assignee_id")
    if payload.clear_team:
        kwargs["team"] = None
    elif payload.team_id is not None:
        kwargs["team"] = _get(Team, payload.team_id, "team_id")
    if payload.clear_project:
        kwargs["project"] = None
    elif payload.project_id is not None:
        kwargs["project"] = _get(Project, payload.project_id, "project_id")
    for name in ("tags", "add_tags", "remove_tags", "custom_fields"):
        value = getattr(payload, name)
        if value is not None:
            kwargs[name] = value
    if payload.unsnooze:
        kwargs["snoozed_until"] = None
    elif "snoozed_until" in fields and payload.snoozed_until is not None:
        kwargs["snoozed_until"] = clock.checked(payload.snoozed_until, "snoozed_until")
    ticket = actions.update_ticket(
        actor=me, ticket_id=ticket_id, **{k: v for k, v in kwargs.items() if v is not UNSET}
    )
    return present_detail(me, ticket)


@router.post("/tickets/{ticket_id}/replies", response={201: MessageOut}, summary="Post a public reply")
def post_reply(request: HttpRequest, ticket_id: int, payload: ReplyIn) -> Status[dict[str, Any]]:
    message = actions.reply(
        actor=actor(request),
        ticket_id=ticket_id,
        body_text=payload.body,
        body_html=payload.body_html,
        attachments=_uploads(payload.attachments),
        status=payload.status,
    )
    return Status(201, present_message(message))


@router.post("/tickets/{ticket_id}/notes", response={201: MessageOut}, summary="Add an internal note")
def post_note(request: HttpRequest, ticket_id: int, payload: MessageIn) -> Status[dict[str, Any]]:
    message = actions.add_note(
        actor=actor(request),
        ticket_id=ticket_id,
        body_text=payload.body,
        body_html=payload.body_html,
        attachments=_uploads(payload.attachments),
    )
    return Status(201, present_message(message))


@router.post("/tickets/{ticket_id}/merge", response=TicketDetail, summary="Merge this ticket into another")
def merge(request: HttpRequest, ticket_id: int, payload: MergeIn) -> dict[str, Any]:
    me = actor(request)
    target = actions.merge_tickets(actor=me, source_id=ticket_id, target_id=payload.into_ticket_id)
    return present_detail(me, target)


@router.post("/tickets/{ticket_id}/followers", response=TicketDetail, summary="Add a follower (agent)")
def follow(request: HttpRequest, ticket_id: int, payload: FollowerIn) -> dict[str, Any]:
    me = actor(request)
    agent = _get(Agent, payload.agent_id, "agent_id")
    return present_detail(me, actions.add_follower(actor=me, ticket_id=ticket_id, agent=agent))


@router.delete(
    "/tickets/{ticket_id}/followers/{agent_id}", response=TicketDetail, summary="Remove a follower"
)
def unfollow(request: HttpRequest, ticket_id: int, agent_id: int) -> dict[str, Any]:
    me = actor(request)
    agent = Agent.objects.filter(pk=agent_id).first()
    if agent is None:
        raise NotFound(f"agent {agent_id} not found")
    return present_detail(me, actions.remove_follower(actor=me, ticket_id=ticket_id, agent=agent))


@router.get("/attachments/{attachment_id}", summary="Download an attachment", response={200: None})
def download(request: HttpRequest, attachment_id: int) -> FileResponse:
    me = actor(request)
    att = Attachment.objects.select_related("message").filter(pk=attachment_id).first()
    if att is None:
        raise NotFound(f"attachment {attachment_id} not found")
    access_ticket(me, att.message.ticket_id)  # NotFound when the ticket is not visible
    response = FileResponse(
        att.file.open("rb"), as_attachment=True, filename=att.name, content_type=att.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@router.get("/search", response=SearchPage, summary="Full-text search over tickets")
def search(
    request: HttpRequest,
    q: str = Query(..., min_length=1, max_length=500),
    sort: str = Query("newest", description="newest, or relevance (within the newest matches)"),
    cursor: str | None = Query(None, max_length=200),
    limit: int = Query(25, ge=1, le=100),
) -> dict[str, Any]:
    result = search_tickets(actor(request), q, cursor=cursor, limit=limit, sort=sort)
    return {
        "items": _with_sla([present_row(t) for t in result.items]),
        "total": result.total,
        "total_is_capped": result.total_is_capped,
        "next_cursor": result.next_cursor,
    }


@router.get("/tags", response=list[TagOut], summary="Tags in use", tags=["tags"])
def tags(request: HttpRequest) -> list[dict[str, Any]]:
    return [{"id": t.pk, "name": t.name} for t in Tag.objects.all()[:1000]]
