"""Routing in the workspace (thin: parse, call an action, render).

- ``GET/POST /routing/status/``: the header's status switch (loaded after the page by htmx, so no
  page pays a query for it); posting sets the signed-in agent's status.
- ``GET /team/``: the teams the agent can see, their routing mode and members with status dots,
  open tickets against capacity, and skills.
- ``/settings/routing/...`` (admins): each team's routing mode and skill matching; each agent's
  status, capacity and skills.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from zabota.accounts.models import Agent, Team
from zabota.core.errors import DomainError
from zabota.routing import actions
from zabota.routing.forms import AgentRoutingForm, StatusForm, TeamRoutingForm
from zabota.routing.queries import (
    loads,
    members_with_state,
    state_of,
    states_of,
    teams_visible_to,
    teams_with_routing,
)
from zabota.web.auth import admin_required, agent_required
from zabota.web.views.settings_common import actor, page, show_error


@agent_required
@require_http_methods(["GET", "POST"])
def status_switch(request: HttpRequest) -> HttpResponse:
    """GET: the switch (the header loads it after the page); POST: set my status."""
    me = actor(request)
    if request.method == "POST":
        form = StatusForm(request.POST)
        if form.is_valid():
            actions.set_status(actor=me, agent=me, status=form.cleaned_data["status"])
    current = state_of(me.pk).status
    if request.method == "GET" or request.headers.get("HX-Request") == "true":
        return render(request, "routing/partials/status_form.html", {"current": current})
    back = request.headers.get("Referer", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = "/inbox/"
    return redirect(back)


@agent_required
def team_page(request: HttpRequest) -> HttpResponse:
    teams = teams_visible_to(actor(request))
    members = members_with_state(teams)
    rows = [{"team": t, "routing": getattr(t, "routing", None), "members": members[t.pk]} for t in teams]
    return render(request, "routing/team.html", {"nav": "team", "rows": rows})


@admin_required
def settings_routing(request: HttpRequest) -> HttpResponse:
    teams = list(teams_with_routing())
    agents = list(Agent.objects.filter(is_active=True).order_by("name", "email"))
    ids = [a.pk for a in agents]
    states, counts = states_of(ids), loads(ids)
    people = [{"agent": a, "state": states[a.pk], "load": counts[a.pk]} for a in agents]
    return page(request, "routing/settings.html", "routing", {"teams": teams, "people": people})


@admin_required
@require_http_methods(["GET", "POST"])
def settings_team(request: HttpRequest, team_id: int) -> HttpResponse:
    team = get_object_or_404(Team.objects.select_related("routing"), pk=team_id)
    routing = getattr(team, "routing", None)
    initial = {
        "mode": routing.mode if routing else "manual",
        "match_language": routing.match_language if routing else False,
        "area_source": routing.area_source if routing else "",
        "area_field": routing.area_field if routing else "",
    }
    form = TeamRoutingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.save_team_routing(
                actor=actor(request),
                team=team,
                mode=data["mode"],
                match_language=data["match_language"],
                area_source=data["area_source"] or "",
                area_field=data["area_field"] or "",
            )
        except DomainError as exc:
            show_error(form, exc)
        else:
            messages.success(request, _("Routing of team %(team)s is saved.") % {"team": team.name})
            return redirect("settings-routing")
    return page(request, "routing/settings_team.html", "routing", {"form": form, "team": team})


@admin_required
@require_http_methods(["GET", "POST"])
def settings_agent(request: HttpRequest, agent_id: int) -> HttpResponse:
    agent = get_object_or_404(Agent, pk=agent_id, is_active=True)
    state = state_of(agent.pk)
    initial = {
        "status": state.status,
        "capacity": state.capacity,
        "languages": ", ".join(state.languages),
        "areas": ", ".join(state.areas),
    }
    form = AgentRoutingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.save_agent_routing(
                actor=actor(request),
                agent=agent,
                capacity=data["capacity"],
                languages=data["languages"],
                areas=data["areas"],
            )
            actions.set_status(actor=actor(request), agent=agent, status=data["status"])
        except DomainError as exc:
            show_error(form, exc)
        else:
            messages.success(request, _("Routing of %(agent)s is saved.") % {"agent": agent})
            return redirect("settings-routing")
    return page(request, "routing/settings_agent.html", "routing", {"form": form, "person": agent})


urlpatterns: list[URLPattern] = [
    path("routing/status/", status_switch, name="routing-status"),
    path("team/", team_page, name="routing-team"),
    path("settings/routing/", settings_routing, name="settings-routing"),
    path("settings/routing/teams/<int:team_id>/", settings_team, name="settings-routing-team"),
    path("settings/routing/agents/<int:agent_id>/", settings_agent, name="settings-routing-agent"),
]
