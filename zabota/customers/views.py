"""Pages of the customers context: the customer at a glance, full size (htmx-free, thin).

``/customers/contacts/<id>/`` and ``/customers/organizations/<id>/`` show the record, its
attributes (as kept current through the API) with their definitions' labels, the recent tickets
the agent may see, and the activity on them. Reads go through ``customers.queries``; who may
read what (a collaborator only customers of tickets they can see) is decided there.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from zabota.accounts.models import Agent
from zabota.core.errors import NotFound
from zabota.customers.queries import contact_activity, contact_page, organization_page
from zabota.tickets.views.timeline_text import describe
from zabota.web.auth import agent_required


def _with_text(activity: list) -> list:  # type: ignore[type-arg]
    for a in activity:
        a.text = describe(a)
    return activity


@require_GET
@agent_required
def contact_detail(request: HttpRequest, contact_id: int) -> HttpResponse:
    agent: Agent = request.user  # type: ignore[assignment]
    try:
        contact, data = contact_page(agent, contact_id)
    except NotFound as exc:
        raise Http404 from exc
    _with_text(data.activity)
    return render(request, "customers/pages/contact.html", {"nav": "inbox", "contact": contact, "data": data})


@require_GET
@agent_required
def organization_detail(request: HttpRequest, organization_id: int) -> HttpResponse:
    agent: Agent = request.user  # type: ignore[assignment]
    try:
        org, data = organization_page(agent, organization_id)
    except NotFound as exc:
        raise Http404 from exc
    _with_text(data.activity)
    return render(request, "customers/pages/organization.html", {"nav": "inbox", "org": org, "data": data})


@require_GET
@agent_required
def contact_activity_partial(request: HttpRequest, contact_id: int) -> HttpResponse:
    """The recent activity list alone: the ticket page's customer panel loads it when opened."""
    agent: Agent = request.user  # type: ignore[assignment]
    try:
        _, activity = contact_activity(agent, contact_id)
    except NotFound as exc:
        raise Http404 from exc
    return render(request, "customers/partials/activity.html", {"activity": _with_text(activity)})
