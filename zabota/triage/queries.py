"""Permission-scoped reads of incidents: the linked tickets as one list, the updates with their
progress, and what the ticket page's side panel says. Query counts are flat (no N+1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q

from zabota.accounts.models import Agent
from zabota.tickets.choices import Status
from zabota.tickets.queries import visible_tickets
from zabota.triage.choices import DeliveryState
from zabota.triage.models import Incident, IncidentLink, IncidentUpdate, PriorityRule

LINKED_FIELDS = (
    "id",
    "number",
    "subject",
    "status",
    "channel",
    "priority",
    "requester_id",
    "requester__name",
    "organization__name",
    "updated_at",
)


def linked_rows(actor: Agent, incident: Incident) -> list[dict[str, Any]]:
    """The linked tickets ``actor`` may see, oldest link first: one query."""
    return list(
        visible_tickets(actor)
        .filter(incident_link__incident=incident)
        .order_by("incident_link__id")
        .values(*LINKED_FIELDS)
    )


def open_linked_count(incident: Incident) -> int:
    return (
        IncidentLink.objects.filter(incident=incident)
        .exclude(ticket__status__in=(Status.SOLVED, Status.CLOSED))
        .count()
    )


def updates(incident: Incident, limit: int = 20) -> list[IncidentUpdate]:
    """The newest updates, each with ``sent``, ``skipped`` and ``pending`` counts: one query."""
    return list(
        IncidentUpdate.objects.filter(incident=incident)
        .select_related("author")
        .annotate(
            sent=Count("deliveries", filter=Q(deliveries__state=DeliveryState.SENT)),
            skipped=Count("deliveries", filter=Q(deliveries__state=DeliveryState.SKIPPED)),
            pending=Count("deliveries", filter=Q(deliveries__state=DeliveryState.PENDING)),
        )
        .order_by("-id")[:limit]
    )


def update_progress(incident: Incident, update_id: int) -> IncidentUpdate | None:
    return next((u for u in updates(incident, limit=1000) if u.pk == update_id), None)


@dataclass
class Panel:
    """What the ticket page says about incidents: this ticket is one (with its count of linked
    tickets and open ones), or is part of one (``part_of``: the incident ticket's number, None if
    the agent can't see that ticket)."""

    incident: Incident | None = None
    linked: int = 0
    open_linked: int = 0
    part_of: int | None = None
    linked_elsewhere: bool = False


def panel(actor: Agent, ticket_id: int) -> Panel:
    """Two queries at most."""
    incident = (
        Incident.objects.filter(ticket_id=ticket_id)
        .annotate(
            n=Count("links"),
            n_open=Count("links", filter=~Q(links__ticket__status__in=(Status.SOLVED, Status.CLOSED))),
        )
        .first()
    )
    if incident is not None:
        return Panel(incident=incident, linked=incident.n, open_linked=incident.n_open)  # type: ignore[attr-defined]
    link = (
        IncidentLink.objects.filter(ticket_id=ticket_id)
        .values_list("incident__ticket_id", "incident__ticket__number")
        .first()
    )
    if link is None:
        return Panel()
    seen = visible_tickets(actor).filter(pk=link[0]).exists()
    return Panel(part_of=link[1] if seen else None, linked_elsewhere=True)


def open_incidents(actor: Agent, limit: int = 100) -> list[dict[str, Any]]:
    """Incidents on tickets ``actor`` may see, unresolved first then newest, with link counts."""
    qs = (
        Incident.objects.filter(ticket__in=visible_tickets(actor))
        .annotate(n=Count("links"))
        .order_by(F("resolved_at").desc(nulls_first=True), "-id")
        .values("id", "ticket__number", "ticket__subject", "ticket__status", "created_at", "resolved_at", "n")
    )
    return list(qs[:limit])


def rules() -> list[PriorityRule]:
    return list(PriorityRule.objects.prefetch_related("tiers").order_by("position", "id"))
