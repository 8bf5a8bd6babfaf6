"""/settings/agents/: add agents, change their role, name and teams, deactivate, reset passwords.

A new or reset password is shown once, in the response to the POST that made it (never stored
in clear, never put in the session or a message).
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zabota.accounts import actions
from zabota.accounts.models import Agent, Team
from zabota.core.errors import DomainError
from zabota.web.auth import admin_required
from zabota.web.forms.settings import AgentCreateForm, AgentEditForm, PasswordResetForm, role_label
from zabota.web.views.settings_common import actor, page, show_error


@admin_required
@require_GET
def agent_list(request: HttpRequest) -> HttpResponse:
    agents = list(
        Agent.objects.order_by("-is_active", "name", "email").prefetch_related(
            Prefetch("teams", queryset=Team.objects.order_by("name"))
        )
    )
    for agent in agents:
        agent.role_label = role_label(agent.role)  # type: ignore[attr-defined]
    return page(request, "web/settings/agents.html", "agents", {"agents": agents})


@sensitive_post_parameters("password")
@never_cache
@admin_required
@require_http_methods(["GET", "POST"])
def agent_new(request: HttpRequest) -> HttpResponse:
    form = AgentCreateForm(request.POST or None, initial={"role": "agent"})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            agent, password = actions.invite_agent(
                actor=actor(request),
                email=data["email"],
                name=data["name"],
                role=data["role"],
                can_reply_publicly=data["can_reply_publicly"],
                teams=list(data["teams"]),
                password=data["password"] or None,
            )
        except DomainError as exc:
            show_error(form, exc)
        else:
            return page(
                request,
                "web/settings/agent_created.html",
                "agents",
                {"agent": agent, "password": password, "generated": not data["password"]},
            )
    return page(request, "web/settings/agent_form.html", "agents", {"form": form, "agent": None})


@admin_required
@require_http_methods(["GET", "POST"])
def agent_edit(request: HttpRequest, agent_id: int) -> HttpResponse:
    agent = get_object_or_404(Agent, pk=agent_id)
    initial = {
        "name": agent.name,
        "role": agent.role,
        "can_reply_publicly": agent.can_reply_publicly,
        "teams": list(agent.teams.all()),
    }
    form = AgentEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.update_agent(
                actor=actor(request),
                agent=agent,
                name=data["name"],
                role=data["role"],
                can_reply_publicly=data["can_reply_publicly"],
                teams=list(data["teams"]),
            )
        except DomainError as exc:
            show_error(form, exc)
        else:
            messages.success(request, _("%(agent)s is saved.") % {"agent": agent.email})
            return redirect("settings-agents")
    return page(
        request,
        "web/settings/agent_form.html",
        "agents",
        {"form": form, "agent": agent, "password_form": PasswordResetForm()},
    )


@admin_required
@require_POST
def agent_active(request: HttpRequest, agent_id: int) -> HttpResponse:
    agent = get_object_or_404(Agent, pk=agent_id)
    active = request.POST.get("active") == "1"
    try:
        actions.set_agent_active(actor=actor(request), agent=agent, active=active)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if active:
            messages.success(request, _("%(agent)s can sign in again.") % {"agent": agent.email})
        else:
            messages.success(
                request, _("%(agent)s is deactivated and signed out everywhere.") % {"agent": agent.email}
            )
    return redirect("settings-agents")


@sensitive_post_parameters("password")
@never_cache
@admin_required
@require_POST
def agent_password(request: HttpRequest, agent_id: int) -> HttpResponse:
    agent = get_object_or_404(Agent, pk=agent_id)
    form = PasswordResetForm(request.POST)
    if form.is_valid():
        try:
            agent, password = actions.reset_agent_password(
                actor=actor(request), agent=agent, password=form.cleaned_data["password"] or None
            )
        except DomainError as exc:
            show_error(form, exc)
        else:
            return page(
                request,
                "web/settings/agent_created.html",
                "agents",
                {
                    "agent": agent,
                    "password": password,
                    "generated": not form.cleaned_data["password"],
                    "reset": True,
                },
            )
    edit = AgentEditForm(
        initial={
            "name": agent.name,
            "role": agent.role,
            "can_reply_publicly": agent.can_reply_publicly,
            "teams": list(agent.teams.all()),
        }
    )
    return page(
        request,
        "web/settings/agent_form.html",
        "agents",
        {"form": edit, "agent": agent, "password_form": form},
    )


urlpatterns: list[URLPattern] = [
    path("settings/agents/", agent_list, name="settings-agents"),
    path("settings/agents/new/", agent_new, name="settings-agent-new"),
    path("settings/agents/<int:agent_id>/", agent_edit, name="settings-agent"),
    path("settings/agents/<int:agent_id>/active/", agent_active, name="settings-agent-active"),
    path("settings/agents/<int:agent_id>/password/", agent_password, name="settings-agent-password"),
]
