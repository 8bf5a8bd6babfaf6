"""``{% sla_panel ticket %}``: the SLA section of the ticket page's side panel (policy, each clock
counting down, the customer's tier, past breaches). An inclusion tag so the tickets context's
template needs one line and no view change; two queries (``views_clocks.panel``)."""

from __future__ import annotations

from typing import Any

from django import template

from zabota.sla.views_clocks import panel

register = template.Library()


@register.inclusion_tag("sla/partials/ticket_panel.html")
def sla_panel(ticket: Any) -> dict[str, Any]:
    return {"ticket": ticket, **panel(ticket)}
