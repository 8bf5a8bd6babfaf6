"""Validation of ticket field values shared by creating and updating a ticket."""

from __future__ import annotations

import re
from typing import Any

from zabota.accounts.models import Agent, Role, Team
from zabota.core.errors import ValidationFailed
from zabota.customers.actions import coerce_typed
from zabota.tickets.choices import ErrorCode
from zabota.tickets.models import CustomFieldDefinition, Tag

_TAG = re.compile(r"^[\w][\w.:-]{0,63}$", re.UNICODE)


def normalise_tag(name: str) -> str:
    tag = (name or "").strip().lower().replace(" ", "-")
    if not _TAG.match(tag):
        raise ValidationFailed(
            f"{name!r} is not a valid tag (letters, digits, . : - _; up to 64)", fields={"tags": "invalid"}
        )
    return tag


def resolve_tags(names: list[str]) -> list[Tag]:
    wanted = sorted({normalise_tag(n) for n in names})
    if len(wanted) > 50:
        raise ValidationFailed("a ticket can have at most 50 tags", fields={"tags": "too_many"})
    existing = {t.name: t for t in Tag.objects.filter(name__in=wanted)}
    for name in wanted:
        if name not in existing:
            existing[name], _ = Tag.objects.get_or_create(name=name)
    return [existing[n] for n in wanted]


def custom_field_definitions() -> dict[str, CustomFieldDefinition]:
    return {d.key: d for d in CustomFieldDefinition.objects.all()}


def clean_custom_fields(
    values: dict[str, Any], defs: dict[str, CustomFieldDefinition] | None = None
) -> dict[str, Any]:
    if not values:
        return {}
    defs = defs if defs is not None else custom_field_definitions()
    clean: dict[str, Any] = {}
    for key, value in values.items():
        d = defs.get(key)
        if d is None:
            raise ValidationFailed(
                f"unknown custom field {key!r}", fields={f"custom_fields.{key}": "unknown"}
            )
        clean[key] = None if value is None else coerce_typed(d.type, value, d.choices, f"custom_fields.{key}")
    return clean


def check_assignee(assignee: Agent, team: Team | None) -> None:
    """An assignee must be active and able to see tickets of the ticket's team."""
    if not assignee.is_active:
        raise ValidationFailed(
            "that agent is deactivated", code=ErrorCode.NOT_ASSIGNABLE, fields={"assignee_id": "inactive"}
        )
    if assignee.role == Role.ADMIN or team is None:
        return
    is_member = team.members.filter(pk=assignee.pk).exists()
    if (team.restricted or assignee.role == Role.COLLABORATOR) and not is_member:
        raise ValidationFailed(
            f"{assignee} is not on team {team.name}",
            code=ErrorCode.NOT_ASSIGNABLE,
            fields={"assignee_id": "not_on_team"},
        )
