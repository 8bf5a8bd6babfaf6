"""/settings/sla/policies/: SLA policies in the order they are tried (the first active match
applies), each with its conditions, calendar, warning share, targets and escalation rules.

Thin: ``PolicyForm`` plus two formsets (targets, escalations) parse the page, and
``zabota.sla.config`` validates and writes; every change starts a recomputation whose progress
the list page shows (``?job=<id>``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count, Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from zabota.core.errors import DomainError
from zabota.sla import config
from zabota.sla.forms import EscalationForm, EscalationFormSet, PolicyForm, TargetForm, TargetFormSet
from zabota.sla.models import Metric, Policy, Target
from zabota.sla.views_calendars import job_from, with_job
from zabota.tickets.choices import Channel, Kind, Priority
from zabota.web.auth import admin_required
from zabota.web.views.settings_common import actor, page, show_error

METRIC_LABELS = dict(Metric.choices)
CHANNEL_LABELS = dict(Channel.choices)
KIND_LABELS = dict(Kind.choices)
PRIORITY_LABELS = {int(p): p.label for p in Priority}


def _conditions(policy: Policy) -> list[str]:
    """One line per condition, e.g. "Tiers: Gold, Platinum"; none means every ticket."""
    parts = [
        (_("Tiers"), [t.name for t in policy.tiers.all()]),
        (_("Channels"), [str(CHANNEL_LABELS.get(c, c)) for c in policy.channels or []]),
        (_("Priorities"), [str(PRIORITY_LABELS.get(p, p)) for p in policy.priorities or []]),
        (_("Kinds"), [str(KIND_LABELS.get(k, k)) for k in policy.kinds or []]),
        (_("Inboxes"), [i.name for i in policy.inboxes.all()]),
        (_("Organizations"), [o.name for o in policy.organizations.all()]),
    ]
    return [f"{label}: {', '.join(values)}" for label, values in parts if values]


def _summary(policy: Policy) -> list[str]:
    """One line per target, e.g. "First response: 5 min (chat)"."""
    out = []
    for t in policy.targets.all():
        shown = TargetForm.initial_for(t.minutes)
        amount = (
            f"{shown['amount']} {({'minutes': _('min'), 'hours': _('h'), 'days': _('d')})[shown['unit']]}"
        )
        channel = f" ({t.channel})" if t.channel else ""
        business = "" if t.business_hours else " · 24/7"
        out.append(f"{METRIC_LABELS.get(t.metric, t.metric)}: {amount}{channel}{business}")
    return out


@admin_required
@require_http_methods(["GET"])
def policy_list(request: HttpRequest) -> HttpResponse:
    policies = list(
        Policy.objects.select_related("calendar")
        .prefetch_related(
            Prefetch("targets", queryset=Target.objects.order_by("metric", "channel")),
            "tiers",
            "inboxes",
            "organizations",
        )
        .annotate(escalation_count=Count("escalations"))
        .order_by("position", "id")
    )
    rows = [(p, _conditions(p), _summary(p)) for p in policies]
    return page(
        request, "sla/settings/policies.html", "sla-policies", {"rows": rows, "job": job_from(request)}
    )


def _forms(request: HttpRequest, policy: Policy | None) -> tuple[PolicyForm, Any, Any]:
    if request.method == "POST":
        return (
            PolicyForm(request.POST),
            TargetFormSet(request.POST, prefix="target"),
            EscalationFormSet(request.POST, prefix="escalation"),
        )
    if policy is None:
        initial: dict[str, Any] = {"is_active": True, "warning_percent": 75}
        targets = [{"metric": m, "business_hours": True, "unit": "hours"} for m in Metric.values]
        escalations: list[dict[str, Any]] = []
    else:
        initial = {
            "name": policy.name,
            "is_active": policy.is_active,
            "tiers": list(policy.tiers.all()),
            "channels": policy.channels,
            "priorities": [str(p) for p in policy.priorities],
            "kinds": policy.kinds,
            "inboxes": list(policy.inboxes.all()),
            "organizations": "\n".join(policy.organizations.order_by("name").values_list("name", flat=True)),
            "calendar": policy.calendar_id,
            "warning_percent": policy.warning_percent,
            "pause_on_hold": policy.pause_on_hold,
        }
        targets = [
            {
                "metric": t.metric,
                "channel": t.channel,
                "business_hours": t.business_hours,
                **TargetForm.initial_for(t.minutes),
            }
            for t in policy.targets.order_by("metric", "channel")
        ]
        escalations = [
            {"metric": r.metric, "action": r.action, "team": r.team_id, "agent": r.agent_id}
            for r in policy.escalations.order_by("position", "id")
        ]
    return (
        PolicyForm(initial=initial),
        TargetFormSet(initial=targets, prefix="target"),
        EscalationFormSet(initial=escalations, prefix="escalation"),
    )


@admin_required
@require_http_methods(["GET", "POST"])
def policy_edit(request: HttpRequest, policy_id: int | None = None) -> HttpResponse:
    """A new policy (no id) or an existing one."""
    policy = get_object_or_404(Policy, pk=policy_id) if policy_id is not None else None
    form, targets, escalations = _forms(request, policy)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid() and targets.is_valid() and escalations.is_valid():
            target_forms: list[TargetForm] = list(targets)
            escalation_forms: list[EscalationForm] = list(escalations)
            try:
                saved, job = config.save_policy(
                    actor=actor(request),
                    policy=policy,
                    name=form.cleaned_data["name"],
                    is_active=form.cleaned_data["is_active"],
                    conditions=form.conditions(),
                    calendar=form.cleaned_data["calendar"],
                    warning_percent=form.cleaned_data["warning_percent"],
                    pause_on_hold=form.cleaned_data["pause_on_hold"],
                    targets=[s for s in (f.spec() for f in target_forms) if s is not None],
                    escalations=[s for s in (f.spec() for f in escalation_forms) if s is not None],
                )
            except DomainError as exc:
                if exc.fields.get("targets"):
                    form.add_error(None, exc.message)
                elif exc.fields.get("escalations"):
                    form.add_error(None, exc.message)
                else:
                    show_error(form, exc)
            else:
                messages.success(request, _("Policy %(name)s is saved.") % {"name": saved.name})
                return redirect(with_job(reverse("settings-sla-policies"), job))
    return page(
        request,
        "sla/settings/policy_form.html",
        "sla-policies",
        {"policy": policy, "form": form, "targets": targets, "escalations": escalations},
        status=status,
    )


@admin_required
@require_POST
def policy_delete(request: HttpRequest, policy_id: int) -> HttpResponse:
    policy = get_object_or_404(Policy, pk=policy_id)
    name = policy.name
    job = config.delete_policy(actor=actor(request), policy=policy)
    messages.success(request, _("Policy %(name)s is deleted.") % {"name": name})
    return redirect(with_job(reverse("settings-sla-policies"), job))


@admin_required
@require_POST
def policy_move(request: HttpRequest, policy_id: int, direction: str) -> HttpResponse:
    if direction not in ("up", "down"):
        raise Http404("no such direction")
    policy = get_object_or_404(Policy, pk=policy_id)
    job = config.move_policy(actor=actor(request), policy=policy, up=direction == "up")
    return redirect(with_job(reverse("settings-sla-policies"), job))


urlpatterns: list[URLPattern] = [
    path("settings/sla/policies/", policy_list, name="settings-sla-policies"),
    path("settings/sla/policies/new/", policy_edit, name="settings-sla-policy-new"),
    path("settings/sla/policies/<int:policy_id>/", policy_edit, name="settings-sla-policy"),
    path("settings/sla/policies/<int:policy_id>/delete/", policy_delete, name="settings-sla-policy-delete"),
    path(
        "settings/sla/policies/<int:policy_id>/move/<str:direction>/",
        policy_move,
        name="settings-sla-policy-move",
    ),
]
