"""/settings/tiers/: customer tiers (name, unique rank where 1 is the most important, colour)."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from zabota.core.errors import DomainError
from zabota.customers.actions import delete_tier, save_tier
from zabota.customers.models import Organization, Tier
from zabota.web.auth import admin_required
from zabota.web.forms.settings import TierForm
from zabota.web.views.settings_common import actor, page, show_error


def _with_counts() -> list[Tier]:
    counts = dict(
        Organization.objects.filter(tier__isnull=False).values_list("tier").annotate(n=Count("id")).order_by()
    )
    tiers = list(Tier.objects.order_by("rank"))
    for tier in tiers:
        tier.organization_count = counts.get(tier.pk, 0)  # type: ignore[attr-defined]
    return tiers


@admin_required
@require_http_methods(["GET", "POST"])
def tier_list(request: HttpRequest) -> HttpResponse:
    form = TierForm(request.POST or None, prefix="new")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            tier = save_tier(actor=actor(request), name=data["name"], rank=data["rank"], color=data["color"])
        except DomainError as exc:
            show_error(form, exc)
        else:
            messages.success(request, _("Tier %(tier)s is created.") % {"tier": tier.name})
            return redirect("settings-tiers")
    return page(request, "web/settings/tiers.html", "tiers", {"tiers": _with_counts(), "form": form})


@admin_required
@require_http_methods(["GET", "POST"])
def tier_edit(request: HttpRequest, tier_id: int) -> HttpResponse:
    tier = get_object_or_404(Tier, pk=tier_id)
    form = TierForm(request.POST or None, initial={"name": tier.name, "rank": tier.rank, "color": tier.color})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            save_tier(
                actor=actor(request), tier=tier, name=data["name"], rank=data["rank"], color=data["color"]
            )
        except DomainError as exc:
            show_error(form, exc)
        else:
            messages.success(request, _("Tier %(tier)s is saved.") % {"tier": data["name"]})
            return redirect("settings-tiers")
    return page(request, "web/settings/tier_form.html", "tiers", {"form": form, "tier": tier})


@admin_required
@require_POST
def tier_delete(request: HttpRequest, tier_id: int) -> HttpResponse:
    tier = get_object_or_404(Tier, pk=tier_id)
    name = tier.name
    delete_tier(actor=actor(request), tier=tier)
    messages.success(request, _("Tier %(tier)s is deleted.") % {"tier": name})
    return redirect("settings-tiers")


urlpatterns: list[URLPattern] = [
    path("settings/tiers/", tier_list, name="settings-tiers"),
    path("settings/tiers/<int:tier_id>/", tier_edit, name="settings-tier"),
    path("settings/tiers/<int:tier_id>/delete/", tier_delete, name="settings-tier-delete"),
]
