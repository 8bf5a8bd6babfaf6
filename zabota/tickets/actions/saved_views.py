"""Saved inbox views: create, change, delete. The filters are the inbox filter form's cleaned
values (see ``zabota.tickets.queues.saved_filter``); this module only checks ownership and
names, and keeps each agent's views in order."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max

from zabota.accounts.models import Agent
from zabota.core.errors import PermissionDenied, ValidationFailed
from zabota.tickets.models import SavedView
from zabota.tickets.queues import access_saved_view, may_edit_saved_view

MAX_SAVED_VIEWS = 50  # per agent


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name or len(name) > 100:
        raise ValidationFailed("a view's name must have 1 to 100 characters", fields={"name": "invalid"})
    return name


def _clean_filters(filters: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(filters, dict):
        raise ValidationFailed("filters must be an object", fields={"filters": "invalid"})
    return filters


def create_saved_view(*, actor: Agent, name: str, filters: dict[str, Any], shared: bool = False) -> SavedView:
    """A new view owned by ``actor``, listed after their other views."""
    name = _clean_name(name)
    filters = _clean_filters(filters)
    with transaction.atomic():
        mine = SavedView.objects.select_for_update().filter(owner=actor)
        if mine.count() >= MAX_SAVED_VIEWS:
            raise ValidationFailed(
                f"an agent can have at most {MAX_SAVED_VIEWS} saved views", fields={"name": "too_many"}
            )
        position = (mine.aggregate(m=Max("position"))["m"] or 0) + 1
        return SavedView.objects.create(
            owner=actor, name=name, filters=filters, shared=bool(shared), position=position
        )


def update_saved_view(
    *, actor: Agent, view_id: int, name: str, filters: dict[str, Any], shared: bool
) -> SavedView:
    """Change a view: only its owner (or an admin, for a shared view). Another agent's private
    view is NotFound, a shared view of someone else is PermissionDenied."""
    name = _clean_name(name)
    filters = _clean_filters(filters)
    with transaction.atomic():
        view = access_saved_view(actor, view_id)
        if not may_edit_saved_view(actor, view):
            raise PermissionDenied("only the owner can change this view")
        view.name, view.filters, view.shared = name, filters, bool(shared)
        view.save(update_fields=["name", "filters", "shared"])
    return view


def delete_saved_view(*, actor: Agent, view_id: int) -> None:
    with transaction.atomic():
        view = access_saved_view(actor, view_id)
        if not may_edit_saved_view(actor, view):
            raise PermissionDenied("only the owner can delete this view")
        view.delete()
