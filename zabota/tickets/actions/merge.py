"""Merging a duplicate ticket into another."""

from __future__ import annotations

from django.db import transaction

from zabota.core import clock
from zabota.core.errors import Conflict, IllegalTransition
from zabota.core.events import publish
from zabota.tickets.actions.common import Actor, agent_of, lock_ticket, record, require_editor
from zabota.tickets.choices import ErrorCode, Status
from zabota.tickets.events import TicketsMerged
from zabota.tickets.models import Follower, Message, Ticket, TicketTag
from zabota.tickets.search import reindex


def merge_tickets(*, actor: Actor, source_id: int, target_id: int) -> Ticket:
    """Move the source's messages, tags and followers to the target; close the source.

    Both tickets must have the same requester (409 otherwise): a merge never shows one
    customer's conversation to another.

    The source keeps its number and activity and points at the target (``merged_into``), so
    links to it still lead somewhere. Both timelines record the merge.
    """
    require_editor(actor)
    if source_id == target_id:
        raise Conflict("a ticket cannot be merged into itself", code=ErrorCode.MERGE_SELF)
    with transaction.atomic():
        # Lock in id order so two opposite merges cannot deadlock.
        first, second = sorted([source_id, target_id])
        locked = {t.pk: t for t in (lock_ticket(actor, first), lock_ticket(actor, second))}
        source, target = locked[source_id], locked[target_id]
        if source.merged_into_id is not None:
            raise IllegalTransition(f"ticket #{source.number} is already merged", code=ErrorCode.MERGED)
        if target.merged_into_id is not None or target.status == Status.CLOSED:
            raise IllegalTransition(
                f"ticket #{target.number} is closed; merge into an open ticket", code=ErrorCode.MERGED
            )
        if source.requester_id != target.requester_id:
            # Moving one customer's conversation onto another's ticket would show it to them.
            raise Conflict(
                f"tickets #{source.number} and #{target.number} have different requesters; "
                "only one customer's tickets can be merged",
                code=ErrorCode.MERGE_OTHER_REQUESTER,
            )
        now = clock.now()
        Message.objects.filter(ticket=source).update(ticket=target)
        have_tags = set(TicketTag.objects.filter(ticket=target).values_list("tag_id", flat=True))
        TicketTag.objects.bulk_create(
            [
                TicketTag(ticket=target, tag_id=t)
                for t in TicketTag.objects.filter(ticket=source).values_list("tag_id", flat=True)
                if t not in have_tags
            ]
        )
        for f in Follower.objects.filter(ticket=source):
            Follower.objects.get_or_create(ticket=target, agent_id=f.agent_id, contact_id=f.contact_id)
        before = source.status
        source.status = Status.CLOSED
        source.merged_into = target
        source.updated_at = now
        source.save(update_fields=["status", "merged_into", "updated_at"])
        target.updated_at = now
        target.save(update_fields=["updated_at"])
        record(
            source, actor, "merged_into", "status", before, {"status": Status.CLOSED, "ticket": target.number}
        )
        record(target, actor, "merged_from", "", None, {"ticket": source.number})
        reindex([source.pk, target.pk])
        a = agent_of(actor)
        publish(TicketsMerged(source_id=source.pk, target_id=target.pk, actor_agent_id=a.pk if a else None))
    return target
