"""/settings/teams/: create teams, rename them, set the restricted flag and the members."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from zabota.accounts import actions
from zabota.accounts.models import Team
from zabota.core.errors import DomainError
from zabota.web.auth import admin_required
from zabota.web.forms.settings import TeamForm
from zabota.web.views.settings_common import actor, page, show_error


@admin_required
@require_http_methods(["GET", "POST"])
def team_list(request: HttpRequest) -> HttpResponse:
    form = TeamForm(request.POST or None, prefix="new")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            team = actions.save_team(
                actor=actor(request),
                name=data["name"],
                restricted=data["restricted"],
                members=list(data["members"]),
                lead=data["lead"],
            )
        except DomainError as exc:
            show_error(form, exc)
        else:
            messages.success(request, _("Team %(team)s is created.") % {"team": team.name})
            return redirect("settings-teams")
    teams = Team.objects.select_related("lead").annotate(member_count=Count("members")).order_by("name")
    return page(request, "web/settings/teams.html", "teams", {"teams": teams, "form": form})


@admin_required
@require_http_methods(["GET", "POST"])
def team_edit(request: HttpRequest, team_id: int) -> HttpResponse:
    team = get_object_or_404(Team, pk=team_id)
    initial = {
        "name": team.name,
        "restricted": team.restricted,
        "members": list(team.members.all()),
        "lead": team.lead_id,
    }
    form = TeamForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.save_team(
                actor=actor(request),
                team=team,
                name=data["name"],
                restricted=data["restricted"],
                members=list(data["members"]),
                lead=data["lead"],
            )
        except DomainError as exc:
            show_error(form, exc)
        else:
            messages.success(request, _("Team %(team)s is saved.") % {"team": data["name"]})
            return redirect("settings-teams")
    return page(request, "web/settings/team_form.html", "teams", {"form": form, "team": team})


urlpatterns: list[URLPattern] = [
    path("settings/teams/", team_list, name="settings-teams"),
    path("settings/teams/<int:team_id>/", team_edit, name="settings-team"),
]
