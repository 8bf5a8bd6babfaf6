"""Pages of the customers context: the customer at a glance, full size (htmx-free, thin).

``/customers/contacts/<id>/`` and ``/customers/organizations/<id>/`` show the record, its
attributes (as kept current through the API) with their definitions' labels, the recent tickets
the agent may see, and the activity on them. Reads go through ``customers.queries``; who may
read what (a collaborator only customers of tickets they can see) is decided there.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from zabota.accounts.models import Agent
from zabota.core.errors import DomainError, NotFound
from zabota.customers.actions import save_organization
from zabota.customers.models import Tier
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
    context = {
        "nav": "inbox",
        "org": org,
        "data": data,
        # Agents and admins put an organization in a tier (its SLA policy and priority follow).
        "tiers": None if agent.is_collaborator else list(Tier.objects.order_by("rank")),
    }
    return render(request, "customers/pages/organization.html", context)


@require_POST
@agent_required
def organization_tier(request: HttpRequest, organization_id: int) -> HttpResponse:
    """Put the organization in a tier (or none): its open tickets take up their new SLA policy."""
    agent: Agent = request.user  # type: ignore[assignment]
    try:
        org, _data = organization_page(agent, organization_id)
        save_organization(actor=agent, organization=org, tier=request.POST.get("tier", "")[:64])
    except NotFound as exc:
        raise Http404 from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Tier saved."))
    return redirect(f"/customers/organizations/{organization_id}/")


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
