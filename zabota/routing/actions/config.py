"""Agents' status, capacity and skills; teams' routing settings."""

from __future__ import annotations

import re

from django.db import transaction
from django.utils.translation import gettext as _

from zabota.accounts.models import Agent, Team
from zabota.core import clock
from zabota.core.errors import PermissionDenied, ValidationFailed
from zabota.core.events import publish
from zabota.routing.choices import AreaSource, Availability, ErrorCode, RoutingMode
from zabota.routing.events import AgentStatusChanged, TeamRoutingChanged
from zabota.routing.models import AgentStatus, TeamRouting
from zabota.tickets.models import CustomFieldDefinition

_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
MAX_SKILLS = 50


def _require_admin(actor: Agent) -> None:
    if not actor.is_admin:
        raise PermissionDenied(_("Only admins change routing settings."), code="admin_only")


def set_status(*, actor: Agent, agent: Agent, status: str) -> AgentStatus:
    """Set ``agent``'s availability. Agents change their own; admins anyone's.

    Going away hands back the agent's unanswered tickets, becoming available routes the queues
    of their teams (both by listeners of AgentStatusChanged, after commit).
    """
    if actor.pk != agent.pk and not actor.is_admin:
        raise PermissionDenied(_("You may change only your own status."), code=ErrorCode.NOT_YOURS)
    if status not in Availability.values:
        raise ValidationFailed(_("Unknown status."), fields={"status": "invalid"})
    with transaction.atomic():
        row, _created = AgentStatus.objects.select_for_update().get_or_create(agent=agent)
        before = row.status if not _created else Availability.AVAILABLE
        if row.status != status or _created:
            row.status = status
            row.changed_at = clock.now()
            row.save(update_fields=["status", "changed_at"])
        if before != status:
            publish(
                AgentStatusChanged(agent_id=agent.pk, before=before, after=status, actor_agent_id=actor.pk)
            )
    return row


def _clean_list(values: list[str], field: str, *, languages: bool = False) -> list[str]:
    cleaned: list[str] = []
    for raw in values:
        value = str(raw or "").strip().lower()
        if not value:
            continue
        if languages and not _LANGUAGE.match(value):
            raise ValidationFailed(
                _("%(value)s is not a language code such as en or ru.") % {"value": value},
                fields={field: "invalid"},
            )
        if len(value) > 64:
            raise ValidationFailed(_("A product area has at most 64 characters."), fields={field: "too_long"})
        if value not in cleaned:
            cleaned.append(value)
    if len(cleaned) > MAX_SKILLS:
        raise ValidationFailed(_("Too many values."), fields={field: "too_many"})
    return cleaned


def save_agent_routing(
    *, actor: Agent, agent: Agent, capacity: int | None, languages: list[str], areas: list[str]
) -> AgentStatus:
    """Set an agent's capacity (None: no limit) and skills. Admins only."""
    _require_admin(actor)
    if capacity is not None and not 0 <= capacity <= 10_000:
        raise ValidationFailed(_("Capacity must be between 0 and 10000."), fields={"capacity": "invalid"})
    langs = _clean_list(languages, "languages", languages=True)
    area_list = _clean_list(areas, "areas")
    with transaction.atomic():
        row, _created = AgentStatus.objects.select_for_update().get_or_create(agent=agent)
        row.capacity = capacity
        row.languages = langs
        row.areas = area_list
        row.save(update_fields=["capacity", "languages", "areas"])
    return row


def save_team_routing(
    *,
    actor: Agent,
    team: Team,
    mode: str,
    match_language: bool = False,
    area_source: str = AreaSource.NONE,
    area_field: str = "",
) -> TeamRouting:
    """Set a team's routing mode and skill matching. Admins only. A team now routing
    automatically routes its queue (a listener, after commit)."""
    _require_admin(actor)
    if mode not in RoutingMode.values:
        raise ValidationFailed(_("Unknown routing mode."), fields={"mode": "invalid"})
    if area_source not in AreaSource.values:
        raise ValidationFailed(_("Unknown source of product areas."), fields={"area_source": "invalid"})
    area_field = (area_field or "").strip() if area_source == AreaSource.CUSTOM_FIELD else ""
    if (
        area_source == AreaSource.CUSTOM_FIELD
        and not CustomFieldDefinition.objects.filter(key=area_field).exists()
    ):
        raise ValidationFailed(
            _("Choose a custom field that exists."),
            code=ErrorCode.UNKNOWN_FIELD,
            fields={"area_field": "unknown"},
        )
    with transaction.atomic():
        row, _created = TeamRouting.objects.select_for_update().get_or_create(team=team)
        row.mode = mode
        row.match_language = bool(match_language)
        row.area_source = area_source
        row.area_field = area_field
        row.updated_at = clock.now()
        row.save(update_fields=["mode", "match_language", "area_source", "area_field", "updated_at"])
        publish(TeamRoutingChanged(team_id=team.pk, mode=mode))
    return row
