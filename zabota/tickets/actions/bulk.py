"""Bulk changes from the inbox: the same action applied to each selected ticket in turn.

Each ticket is changed by the ordinary action (``update_ticket``, ``merge_tickets``) in its own
transaction, so one refused ticket (invisible, an illegal status move, a merge across
requesters) is reported and the others still change. Nothing here writes rows itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from zabota.accounts.models import Agent
from zabota.core.errors import DomainError, NotFound
from zabota.tickets.actions.common import require_editor
from zabota.tickets.actions.merge import merge_tickets
from zabota.tickets.actions.update import UNSET, update_ticket
from zabota.tickets.queries import access_ticket_by_number, visible_tickets

MAX_BULK = 200


@dataclass
class BulkOutcome:
    """What happened to one selected ticket. ``number`` is None for a ticket the actor may not
    see (its number is not revealed); ``code`` is the domain error code when it was refused,
    with ``status`` the ticket's status before the attempt (for the message)."""

    ticket_id: int
    number: int | None
    ok: bool
    code: str = ""
    message: str = ""
    status: str = ""


def _visible(actor: Agent, ticket_ids: Sequence[int]) -> dict[int, tuple[int, str]]:
    rows = visible_tickets(actor).filter(id__in=list(ticket_ids)).values_list("id", "number", "status")
    return {pk: (number, status) for pk, number, status in rows}


def _refused(ticket_id: int, known: tuple[int, str] | None, exc: DomainError) -> BulkOutcome:
    number, status = known if known else (None, "")
    return BulkOutcome(ticket_id, number, False, code=exc.code, message=exc.message, status=status)


def bulk_update(
    *,
    actor: Agent,
    ticket_ids: Sequence[int],
    assignee: Agent | None = UNSET,
    status: str = UNSET,
    add_tags: list[str] = UNSET,
    remove_tags: list[str] = UNSET,
) -> list[BulkOutcome]:
    """Apply the given changes to each ticket; one outcome per ticket, in the given order.

    Raises PermissionDenied up front for an actor who may not change fields at all
    (a collaborator), since every ticket would be refused for the same reason.
    """
    require_editor(actor)
    ids = list(dict.fromkeys(ticket_ids))[:MAX_BULK]
    known = _visible(actor, ids)
    changes: dict[str, Any] = {}
    if assignee is not UNSET:
        changes["assignee"] = assignee
    if status is not UNSET:
        changes["status"] = status
    if add_tags is not UNSET:
        changes["add_tags"] = add_tags
    if remove_tags is not UNSET:
        changes["remove_tags"] = remove_tags
    outcomes: list[BulkOutcome] = []
    for ticket_id in ids:
        if ticket_id not in known:
            outcomes.append(_refused(ticket_id, None, NotFound(f"ticket {ticket_id} not found")))
            continue
        try:
            ticket = update_ticket(actor=actor, ticket_id=ticket_id, **changes)
        except DomainError as exc:
            outcomes.append(_refused(ticket_id, known[ticket_id], exc))
        else:
            outcomes.append(BulkOutcome(ticket_id, ticket.number, True, status=known[ticket_id][1]))
    return outcomes


def bulk_merge(
    *, actor: Agent, ticket_ids: Sequence[int], target_number: int | None = None
) -> tuple[int | None, list[BulkOutcome]]:
    """Merge the selected tickets into ticket ``target_number``, or into the first selected.

    Returns the target's number (None when the target is not found) and one outcome per source
    ticket. Each merge is its own transaction (``merge_tickets``).
    """
    require_editor(actor)
    ids = list(dict.fromkeys(ticket_ids))[:MAX_BULK]
    known = _visible(actor, ids)
    if target_number is not None:
        try:
            target = access_ticket_by_number(actor, target_number)
        except NotFound:
            return None, []
        target_id, number = target.pk, target.number
    else:
        first = next((i for i in ids if i in known), None)
        if first is None:
            return None, [_refused(i, None, NotFound(f"ticket {i} not found")) for i in ids]
        target_id, number = first, known[first][0]
    outcomes: list[BulkOutcome] = []
    for ticket_id in ids:
        if ticket_id == target_id:
            continue
        if ticket_id not in known:
            outcomes.append(_refused(ticket_id, None, NotFound(f"ticket {ticket_id} not found")))
            continue
        try:
            merge_tickets(actor=actor, source_id=ticket_id, target_id=target_id)
        except DomainError as exc:
            outcomes.append(_refused(ticket_id, known[ticket_id], exc))
        else:
            outcomes.append(BulkOutcome(ticket_id, known[ticket_id][0], True, status=known[ticket_id][1]))
    return number, outcomes
