"""HTTP API for incidents (thin: parse, call actions and queries, present). The incident is
addressed by its ticket's id: ``/tickets/{ticket_id}/incident...``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from zabota.accounts.auth import actor
from zabota.triage import actions, queries
from zabota.triage.actions.incidents import incident_of
from zabota.triage.models import Incident, IncidentUpdate
from zabota.triage.schemas import (
    IncidentOut,
    LinkedTicketOut,
    LinkIn,
    LinkOutcomeOut,
    UpdateIn,
    UpdateOut,
)

router = Router(tags=["incidents"])


def _incident(incident: Incident) -> dict[str, Any]:
    return {
        "ticket_id": incident.ticket_id,
        "number": incident.ticket.number,
        "subject": incident.ticket.subject,
        "created_at": incident.created_at,
        "resolved_at": incident.resolved_at,
        "linked_count": incident.links.count(),
    }


def _update(u: IncidentUpdate) -> dict[str, Any]:
    return {
        "id": u.pk,
        "body": u.body_text,
        "state": u.state,
        "total": u.total,
        "sent": getattr(u, "sent", 0),
        "skipped": getattr(u, "skipped", 0),
        "pending": getattr(u, "pending", 0),
        "created_at": u.created_at,
        "finished_at": u.finished_at,
    }


@router.post(
    "/tickets/{ticket_id}/incident", response={201: IncidentOut}, summary="Mark a ticket as an incident"
)
def mark(request: HttpRequest, ticket_id: int) -> Status[dict[str, Any]]:
    incident = actions.mark_incident(actor=actor(request), ticket_id=ticket_id)
    return Status(201, _incident(incident))


@router.get("/tickets/{ticket_id}/incident", response=IncidentOut, summary="An incident")
def get(request: HttpRequest, ticket_id: int) -> dict[str, Any]:
    return _incident(incident_of(actor(request), ticket_id))


@router.delete(
    "/tickets/{ticket_id}/incident", response={204: None}, summary="Stop treating a ticket as an incident"
)
def unmark(request: HttpRequest, ticket_id: int) -> Status[None]:
    actions.unmark_incident(actor=actor(request), ticket_id=ticket_id)
    return Status(204, None)


@router.get(
    "/tickets/{ticket_id}/incident/tickets", response=list[LinkedTicketOut], summary="The linked tickets"
)
def linked(request: HttpRequest, ticket_id: int) -> list[dict[str, Any]]:
    me = actor(request)
    incident = incident_of(me, ticket_id)
    return [
        {
            "id": r["id"],
            "number": r["number"],
            "subject": r["subject"],
            "status": r["status"],
            "channel": r["channel"],
            "requester_id": r["requester_id"],
            "requester_name": r["requester__name"],
        }
        for r in queries.linked_rows(me, incident)
    ]


@router.post(
    "/tickets/{ticket_id}/incident/tickets",
    response=list[LinkOutcomeOut],
    summary="Link tickets to the incident",
)
def link(request: HttpRequest, ticket_id: int, payload: LinkIn) -> list[dict[str, Any]]:
    outcomes = actions.link_tickets(
        actor=actor(request), incident_ticket_id=ticket_id, ticket_ids=payload.ticket_ids
    )
    return [{"ticket_id": o.ticket_id, "ok": o.ok, "code": str(o.code)} for o in outcomes]


@router.delete(
    "/tickets/{ticket_id}/incident/tickets/{linked_id}", response={204: None}, summary="Unlink a ticket"
)
def unlink(request: HttpRequest, ticket_id: int, linked_id: int) -> Status[None]:
    actions.unlink_ticket(actor=actor(request), incident_ticket_id=ticket_id, ticket_id=linked_id)
    return Status(204, None)


@router.post(
    "/tickets/{ticket_id}/incident/updates",
    response={202: UpdateOut},
    summary="Send an update to every affected customer (a public reply on each ticket, in the background)",
)
def send(request: HttpRequest, ticket_id: int, payload: UpdateIn) -> Status[dict[str, Any]]:
    me = actor(request)
    update = actions.send_update(actor=me, incident_ticket_id=ticket_id, body_text=payload.body)
    found = queries.update_progress(update.incident, update.pk)
    return Status(202, _update(found or update))


@router.get(
    "/tickets/{ticket_id}/incident/updates", response=list[UpdateOut], summary="Updates and their progress"
)
def list_updates(request: HttpRequest, ticket_id: int) -> list[dict[str, Any]]:
    return [_update(u) for u in queries.updates(incident_of(actor(request), ticket_id))]


@router.post(
    "/tickets/{ticket_id}/incident/solve-linked",
    response=list[LinkOutcomeOut],
    summary="Solve every linked ticket that is still open",
)
def solve_linked(request: HttpRequest, ticket_id: int) -> list[dict[str, Any]]:
    me = actor(request)
    incident = incident_of(me, ticket_id)
    outcomes = actions.solve_linked(incident, me)
    return [{"ticket_id": o.ticket_id, "ok": o.ok, "code": str(o.code)} for o in outcomes]
