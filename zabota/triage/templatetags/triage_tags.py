"""``{% incident_panel ticket %}``: the ticket page's incident box (this ticket is an incident
with N affected tickets, or is part of incident #N, or may be marked as one). Two queries."""

from __future__ import annotations

from typing import Any

from django import template

from zabota.accounts.models import Agent
from zabota.triage import queries

register = template.Library()


@register.inclusion_tag("triage/partials/ticket_incident.html", takes_context=True)
def incident_panel(context: template.Context, ticket: Any) -> dict[str, Any]:
    request = context.get("request")
    agent = getattr(request, "user", None)
    if not isinstance(agent, Agent) or ticket is None:
        return {"show": False}
    info = queries.panel(agent, ticket.pk)
    return {
        "show": True,
        "ticket": ticket,
        "info": info,
        "open_linked": info.open_linked,
        "may_manage": not agent.is_collaborator and ticket.merged_into_id is None,
        "csrf_token": context.get("csrf_token"),
    }
