"""Changing a ticket's fields: status (by the state machine), priority, kind, assignment, tags,
project, custom fields, snooze. One activity row per changed field."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from zabota.accounts.models import Agent, Team
from zabota.core import clock
from zabota.core.errors import IllegalTransition, ValidationFailed
from zabota.core.events import publish
from zabota.customers.models import Project
from zabota.tickets.actions.common import Actor, agent_of, lock_ticket, record, require_editor
from zabota.tickets.actions.fields import check_assignee, clean_custom_fields, normalise_tag, resolve_tags
from zabota.tickets.choices import TRANSITIONS, ErrorCode, Kind, Priority, Status
from zabota.tickets.events import TicketChanged
from zabota.tickets.models import Ticket, TicketTag
from zabota.tickets.search import reindex

UNSET: Any = object()


def check_transition(ticket: Ticket, new_status: str) -> None:
    if new_status not in Status.values:
        raise ValidationFailed(f"unknown status {new_status!r}", fields={"status": "invalid"})
    if ticket.merged_into_id is not None:
        raise IllegalTransition(f"ticket #{ticket.number} was merged and is closed", code=ErrorCode.MERGED)
    if new_status != ticket.status and new_status not in TRANSITIONS[ticket.status]:
        raise IllegalTransition(
            f"a ticket cannot go from {ticket.status} to {new_status}", code=ErrorCode.ILLEGAL_TRANSITION
        )


def apply_status(ticket: Ticket, new_status: str) -> None:
    """Set status and its timestamps (caller checked the transition and records activity)."""
    ticket.status = new_status
    if new_status == Status.SOLVED:
        ticket.solved_at = clock.now()
    elif new_status != Status.CLOSED:
        ticket.solved_at = None


def update_ticket(
    *,
    actor: Actor,
    ticket_id: int,
    subject: str = UNSET,
    status: str = UNSET,
    priority: int = UNSET,
    kind: str = UNSET,
    assignee: Agent | None = UNSET,
    team: Team | None = UNSET,
    project: Project | None = UNSET,
    tags: list[str] = UNSET,
    add_tags: list[str] = UNSET,
    remove_tags: list[str] = UNSET,
    custom_fields: dict[str, Any] = UNSET,
    snoozed_until: datetime | None = UNSET,
) -> Ticket:
    """Change only the given fields. Raises IllegalTransition (409) for a forbidden status move."""
    require_editor(actor)
    with transaction.atomic():
        ticket = lock_ticket(actor, ticket_id)
        changes: dict[str, tuple[Any, Any]] = {}

        def change(name: str, before: Any, after: Any) -> None:
            if before != after:
                changes[name] = (before, after)

        if subject is not UNSET:
            subject = (subject or "").strip()
            if not subject or len(subject) > 500:
                raise ValidationFailed("subject must have 1 to 500 characters", fields={"subject": "invalid"})
            change("subject", ticket.subject, subject)
            ticket.subject = subject
        if status is not UNSET:
            check_transition(ticket, status)
            change("status", ticket.status, status)
            apply_status(ticket, status)
        if priority is not UNSET:
            if priority not in Priority.values:
                raise ValidationFailed("unknown priority", fields={"priority": "invalid"})
            change("priority", Priority(ticket.priority).name.lower(), Priority(priority).name.lower())
            ticket.priority = priority
        if kind is not UNSET:
            if kind not in Kind.values:
                raise ValidationFailed(f"unknown kind {kind!r}", fields={"kind": "invalid"})
            change("kind", ticket.kind, kind)
            ticket.kind = kind
        if team is not UNSET:
            change("team", _ref(ticket.team), _ref(team))
            ticket.team = team
        if assignee is not UNSET:
            if assignee is not None:
                check_assignee(assignee, ticket.team)
            change("assignee", _ref(ticket.assignee), _ref(assignee))
            ticket.assignee = assignee
            if assignee is not None and ticket.status == Status.NEW and "status" not in changes:
                change("status", ticket.status, Status.OPEN)
                apply_status(ticket, Status.OPEN)
        elif team is not UNSET and ticket.assignee is not None:
            # Moving to a team the assignee can't work in hands the ticket to that team's queue.
            try:
                check_assignee(ticket.assignee, ticket.team)
            except ValidationFailed:
                change("assignee", _ref(ticket.assignee), None)
                ticket.assignee = None
        if project is not UNSET:
            if project is not None and project.organization_id != ticket.organization_id:
                raise ValidationFailed(
                    "the project belongs to another organization", fields={"project_id": "invalid"}
                )
            change("project", _ref(ticket.project), _ref(project))
            ticket.project = project
        if custom_fields is not UNSET:
            merged = {**ticket.custom_fields, **clean_custom_fields(custom_fields)}
            merged = {k: v for k, v in merged.items() if v is not None}
            change("custom_fields", ticket.custom_fields, merged)
            ticket.custom_fields = merged
        if snoozed_until is not UNSET:
            change(
                "snoozed_until",
                ticket.snoozed_until.isoformat() if ticket.snoozed_until else None,
                snoozed_until.isoformat() if snoozed_until else None,
            )
            ticket.snoozed_until = snoozed_until
        if tags is not UNSET or add_tags is not UNSET or remove_tags is not UNSET:
            _change_tags(ticket, tags, add_tags, remove_tags, change)

        if changes:
            ticket.updated_at = clock.now()
            ticket.save()
            for name, (before, after) in changes.items():
                record(ticket, actor, "changed", name, before, after)
            if "subject" in changes:
                reindex([ticket.pk])
            publish(TicketChanged(ticket_id=ticket.pk, changes=changes, actor_agent_id=_id(agent_of(actor))))
    return ticket


def _change_tags(ticket: Ticket, tags: Any, add: Any, remove: Any, change: Any) -> None:
    current = sorted(ticket.tags.values_list("name", flat=True))
    wanted = set(current) if tags is UNSET else {t.name for t in resolve_tags(tags)}
    if add is not UNSET:
        wanted |= {t.name for t in resolve_tags(add)}
    if remove is not UNSET:
        wanted -= {normalise_tag(t) for t in remove}
    if sorted(wanted) == current:
        return
    objs = resolve_tags(sorted(wanted))
    TicketTag.objects.filter(ticket=ticket).exclude(tag__in=objs).delete()
    have = set(TicketTag.objects.filter(ticket=ticket).values_list("tag_id", flat=True))
    TicketTag.objects.bulk_create([TicketTag(ticket=ticket, tag=t) for t in objs if t.pk not in have])
    change("tags", current, sorted(wanted))


def _ref(obj: Any) -> dict[str, Any] | None:
    if obj is None:
        return None
    return {"id": obj.pk, "name": str(obj)}


def _id(obj: Any) -> int | None:
    return obj.pk if obj is not None else None
