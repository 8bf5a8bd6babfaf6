"""/settings/priority-rules/: the rules of automatic priority (admins only), in order, each
with its conditions (tiers, kinds, keywords) and the priority it sets. Thin: ``RuleForm``
parses, ``zabota.triage.actions`` validates and writes."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zabota.core.errors import DomainError
from zabota.tickets.choices import Kind, Priority
from zabota.triage import actions, queries
from zabota.triage.forms import RuleForm
from zabota.triage.models import PriorityRule
from zabota.web.auth import admin_required
from zabota.web.views.settings_common import actor, page, show_error

SECTION = "priority-rules"
KIND_LABELS = dict(Kind.choices)
PRIORITY_LABELS = dict(Priority.choices)


@admin_required
@require_GET
def rule_list(request: HttpRequest) -> HttpResponse:
    rows = [
        (r, PRIORITY_LABELS.get(r.priority, r.priority), [KIND_LABELS.get(k, k) for k in r.kinds])
        for r in queries.rules()
    ]
    return page(request, "triage/settings/rules.html", SECTION, {"rows": rows})


def _save(request: HttpRequest, rule: PriorityRule | None) -> HttpResponse:
    initial = RuleForm.initial_for(rule) if rule else None
    form = RuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = actions.save_rule(
                actor=actor(request),
                rule=rule,
                name=data["name"],
                priority=data["priority"],
                tiers=list(data["tiers"]),
                kinds=data["kinds"],
                keywords=data["keywords"],
                is_active=data["is_active"],
            )
        except DomainError as exc:
            show_error(form, exc)
        else:
            messages.success(request, _("Rule %(name)s is saved.") % {"name": saved.name})
            return redirect("settings-priority-rules")
    return page(request, "triage/settings/rule_form.html", SECTION, {"form": form, "rule": rule})


@admin_required
@require_http_methods(["GET", "POST"])
def rule_new(request: HttpRequest) -> HttpResponse:
    return _save(request, None)


@admin_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, rule_id: int) -> HttpResponse:
    return _save(request, get_object_or_404(PriorityRule, pk=rule_id))


@admin_required
@require_POST
def rule_delete(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = get_object_or_404(PriorityRule, pk=rule_id)
    name = rule.name
    actions.delete_rule(actor=actor(request), rule=rule)
    messages.success(request, _("Rule %(name)s is deleted.") % {"name": name})
    return redirect("settings-priority-rules")


@admin_required
@require_POST
def rule_move(request: HttpRequest, rule_id: int, direction: str) -> HttpResponse:
    if direction not in ("up", "down"):
        raise Http404("no such direction")
    actions.move_rule(
        actor=actor(request), rule=get_object_or_404(PriorityRule, pk=rule_id), direction=direction
    )
    return redirect("settings-priority-rules")


urlpatterns: list[URLPattern] = [
    path("settings/priority-rules/", rule_list, name="settings-priority-rules"),
    path("settings/priority-rules/new/", rule_new, name="settings-priority-rule-new"),
    path("settings/priority-rules/<int:rule_id>/", rule_edit, name="settings-priority-rule"),
    path("settings/priority-rules/<int:rule_id>/delete/", rule_delete, name="settings-priority-rule-delete"),
    path(
        "settings/priority-rules/<int:rule_id>/<str:direction>/",
        rule_move,
        name="settings-priority-rule-move",
    ),
]
