"""Incidents: marking an outage ticket, linking the tickets it affects, one update to all their
customers, and solving them together.

Who may: active agents and admins (not collaborators, not customers), and only on tickets they
can see (``access_ticket``): an invisible ticket is refused as not found, like everywhere else.

An update is a public reply, through ``tickets.actions.reply``, on the incident ticket and on
every linked ticket, so each customer gets it on their own channel (email through the outbox,
the portal, ...). ``send_update`` writes the update and one pending delivery row per ticket and
publishes ``IncidentUpdateQueued``; ``deliver_update`` (a task) posts each pending delivery in
its own transaction together with its reply, so a retried or duplicated task never posts twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from zabota.accounts.models import Agent
from zabota.core import clock
from zabota.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from zabota.core.events import publish
from zabota.notifications.actions import notify
from zabota.notifications.models import NotificationKind
from zabota.tickets.actions import record_event, reply, update_ticket
from zabota.tickets.choices import Status
from zabota.tickets.models import Ticket
from zabota.tickets.queries import access_ticket, filter_visible
from zabota.triage.choices import DeliveryState, ErrorCode, UpdateState
from zabota.triage.events import IncidentUpdateQueued
from zabota.triage.models import Incident, IncidentDelivery, IncidentLink, IncidentUpdate

MAX_LINK = 500  # tickets linked in one request
MAX_UPDATE = 20_000  # characters of an update


@dataclass(frozen=True)
class LinkOutcome:
    """One ticket of a link request: linked, or why not (``number`` None: not found)."""

    ticket_id: int
    number: int | None
    ok: bool
    code: str = ""


def require_incident_agent(actor: object) -> Agent:
    """Incidents are managed by active agents and admins; collaborators and customers may not."""
    if not isinstance(actor, Agent) or not actor.is_active or actor.is_collaborator:
        raise PermissionDenied("only agents manage incidents", code=ErrorCode.NOT_ALLOWED)
    return actor


def incident_of(actor: Agent, ticket_id: int, *, for_update: bool = False) -> Incident:
    """The incident on a ticket ``actor`` can see (NotFound if invisible, not an incident)."""
    ticket = access_ticket(actor, ticket_id)
    qs = Incident.objects.select_related("ticket")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    incident = qs.filter(ticket_id=ticket.pk).first()
    if incident is None:
        raise NotFound(f"ticket #{ticket.number} is not an incident", code=ErrorCode.NOT_INCIDENT)
    return incident


def mark_incident(*, actor: Agent, ticket_id: int) -> Incident:
    """Mark a ticket as an incident (idempotent). A ticket linked to another incident may not."""
    require_incident_agent(actor)
    with transaction.atomic():
        ticket = access_ticket(actor, ticket_id, for_update=True)
        existing = Incident.objects.filter(ticket=ticket).first()
        if existing is not None:
            return existing
        if IncidentLink.objects.filter(ticket=ticket).exists():
            raise ValidationFailed(
                f"ticket #{ticket.number} is already part of an incident", code=ErrorCode.INCIDENT_LINKED
            )
        if ticket.merged_into_id is not None:
            raise ValidationFailed(f"ticket #{ticket.number} was merged", fields={"ticket": "merged"})
        incident = Incident.objects.create(ticket=ticket, created_by=actor, created_at=clock.now())
        if ticket.status in (Status.SOLVED, Status.CLOSED):
            incident.resolved_at = ticket.solved_at or clock.now()
            incident.save(update_fields=["resolved_at"])
        record_event(ticket_id=ticket.pk, verb="incident_marked", after={}, actor=actor)
    return incident


def unmark_incident(*, actor: Agent, ticket_id: int) -> None:
    """Stop treating a ticket as an incident: its links go (each linked ticket gets an event)."""
    require_incident_agent(actor)
    with transaction.atomic():
        incident = incident_of(actor, ticket_id, for_update=True)
        number = incident.ticket.number
        linked = list(incident.links.values_list("ticket_id", flat=True))
        incident.delete()
        for tid in linked:
            record_event(ticket_id=tid, verb="incident_unlinked", after={"incident": number}, actor=actor)
        record_event(ticket_id=ticket_id, verb="incident_unmarked", after={}, actor=actor)


def link_tickets(*, actor: Agent, incident_ticket_id: int, ticket_ids: Sequence[int]) -> list[LinkOutcome]:
    """Link the given tickets to the incident; one outcome per distinct id, in order.

    Refused per ticket: not visible to ``actor`` (reported as not found), the incident ticket
    itself, another incident, a ticket linked to another incident. Already linked: ok.
    """
    require_incident_agent(actor)
    ids = list(dict.fromkeys(int(i) for i in ticket_ids))[:MAX_LINK]
    out: list[LinkOutcome] = []
    with transaction.atomic():
        incident = incident_of(actor, incident_ticket_id, for_update=True)
        visible = set(filter_visible(actor, ids))
        numbers = dict(Ticket.objects.filter(pk__in=visible).values_list("pk", "number"))
        merged = set(
            Ticket.objects.filter(pk__in=visible, merged_into__isnull=False).values_list("pk", flat=True)
        )
        incidents = set(Incident.objects.filter(ticket_id__in=visible).values_list("ticket_id", flat=True))
        links = dict(
            IncidentLink.objects.filter(ticket_id__in=visible).values_list("ticket_id", "incident_id")
        )
        fresh: list[int] = []
        for tid in ids:
            number = numbers.get(tid)
            if number is None:
                out.append(LinkOutcome(tid, None, False, "not_found"))
            elif tid == incident.ticket_id:
                out.append(LinkOutcome(tid, number, False, ErrorCode.LINK_SELF))
            elif tid in incidents:
                out.append(LinkOutcome(tid, number, False, ErrorCode.ALREADY_INCIDENT))
            elif tid in merged:
                out.append(LinkOutcome(tid, number, False, "ticket_merged"))
            elif tid in links:
                same = links[tid] == incident.pk
                out.append(LinkOutcome(tid, number, same, "" if same else ErrorCode.LINKED_ELSEWHERE))
            else:
                fresh.append(tid)
                out.append(LinkOutcome(tid, number, True))
        try:
            with transaction.atomic():
                IncidentLink.objects.bulk_create(
                    [
                        IncidentLink(incident=incident, ticket_id=t, linked_by=actor, created_at=clock.now())
                        for t in fresh
                    ]
                )
        except IntegrityError as exc:  # linked elsewhere at the same moment: the caller may retry
            raise ValidationFailed("a ticket was linked by someone else meanwhile; try again") from exc
        # The number only: an agent who sees a linked ticket may not see the incident's own
        # (a restricted team's) ticket, and the timeline's data is in the API.
        after = {"incident": incident.ticket.number}
        for tid in fresh:
            record_event(ticket_id=tid, verb="incident_linked", after=after, actor=actor)
        if fresh:
            record_event(
                ticket_id=incident.ticket_id,
                verb="incident_tickets_linked",
                after={"tickets": sorted(numbers[t] for t in fresh)},
                actor=actor,
            )
    return out


def unlink_ticket(*, actor: Agent, incident_ticket_id: int, ticket_id: int) -> None:
    """Remove one ticket from the incident (NotFound if it is not linked or not visible)."""
    require_incident_agent(actor)
    with transaction.atomic():
        incident = incident_of(actor, incident_ticket_id, for_update=True)
        ticket = access_ticket(actor, ticket_id)
        deleted, _ = IncidentLink.objects.filter(incident=incident, ticket=ticket).delete()
        if not deleted:
            raise NotFound(f"ticket #{ticket.number} is not linked to this incident")
        record_event(
            ticket_id=ticket.pk,
            verb="incident_unlinked",
            after={"incident": incident.ticket.number},
            actor=actor,
        )


def send_update(*, actor: Agent, incident_ticket_id: int, body_text: str) -> IncidentUpdate:
    """Queue one public reply to the incident ticket and every linked ticket.

    Tickets closed or merged meanwhile, or that ``actor`` cannot see, are skipped at once (with
    the reason); the rest stay pending until the task posts them. Notes are never involved: the
    text only ever becomes public replies.
    """
    require_incident_agent(actor)
    if not actor.may_reply_publicly:
        raise PermissionDenied("public replies are not enabled for you", code=ErrorCode.NOT_ALLOWED)
    text = (body_text or "").replace("\x00", "").strip()
    if not text:
        raise ValidationFailed("the update is empty", fields={"body": "required"})
    if len(text) > MAX_UPDATE:
        raise ValidationFailed("the update is too long", fields={"body": "too_long"})
    with transaction.atomic():
        incident = incident_of(actor, incident_ticket_id, for_update=True)
        ids = [incident.ticket_id, *incident.links.values_list("ticket_id", flat=True)]
        visible = set(filter_visible(actor, ids))
        states = dict(Ticket.objects.filter(pk__in=ids).values_list("pk", "status"))
        merged = set(
            Ticket.objects.filter(pk__in=ids, merged_into__isnull=False).values_list("pk", flat=True)
        )
        now = clock.now()
        update = IncidentUpdate.objects.create(
            incident=incident, author=actor, body_text=text, total=len(ids), created_at=now
        )
        rows = []
        for tid in ids:
            reason = ""
            if tid not in visible:
                reason = "not_visible"
            elif tid in merged:
                reason = "merged"
            elif states.get(tid) == Status.CLOSED:
                reason = "closed"
            rows.append(
                IncidentDelivery(
                    update=update,
                    ticket_id=tid,
                    state=DeliveryState.SKIPPED if reason else DeliveryState.PENDING,
                    reason=reason,
                    done_at=now if reason else None,
                )
            )
        IncidentDelivery.objects.bulk_create(rows)
        publish(IncidentUpdateQueued(update_id=update.pk))
    return update


def _deliver_one(update: IncidentUpdate, author: Agent, delivery_id: int) -> None:
    """Post one pending delivery, with its reply, in one transaction (or mark it skipped)."""
    with transaction.atomic():
        delivery = (
            IncidentDelivery.objects.select_for_update()
            .filter(pk=delivery_id, state=DeliveryState.PENDING)
            .first()
        )
        if delivery is None:
            return  # another run took it
        row = Ticket.objects.filter(pk=delivery.ticket_id).values_list("channel", "assignee_id").first()
        channel, assignee_id = row if row else ("api", None)
        try:
            with transaction.atomic():
                message = reply(
                    actor=author, ticket_id=delivery.ticket_id, body_text=update.body_text, channel=channel
                )
        except DomainError as exc:
            delivery.state = DeliveryState.SKIPPED
            delivery.reason = str(getattr(exc, "code", "") or "refused")[:200]
        else:
            delivery.state = DeliveryState.SENT
            delivery.message = message
            if assignee_id is not None:  # the ticket's assignee learns a reply went out on it
                notify(
                    agent_ids=[assignee_id],
                    kind=NotificationKind.INCIDENT,
                    ticket_id=delivery.ticket_id,
                    message_id=message.pk,
                    actor_agent_id=author.pk,
                    actor_name=str(author),
                )
        delivery.done_at = clock.now()
        delivery.save(update_fields=["state", "reason", "message", "done_at"])


def deliver_update(*, update_id: int) -> IncidentUpdate | None:
    """Post every pending delivery of an update (idempotent: safe to run again or twice)."""
    update = IncidentUpdate.objects.select_related("author").filter(pk=update_id).first()
    if update is None:
        return None
    if update.state == UpdateState.QUEUED:
        IncidentUpdate.objects.filter(pk=update.pk, state=UpdateState.QUEUED).update(
            state=UpdateState.SENDING
        )
    pending = list(
        IncidentDelivery.objects.filter(update=update, state=DeliveryState.PENDING).values_list(
            "pk", flat=True
        )
    )
    for delivery_id in pending:
        _deliver_one(update, update.author, delivery_id)
    if not IncidentDelivery.objects.filter(update=update, state=DeliveryState.PENDING).exists():
        IncidentUpdate.objects.filter(pk=update.pk).exclude(state=UpdateState.DONE).update(
            state=UpdateState.DONE, finished_at=clock.now()
        )
    update.refresh_from_db()
    return update


def solve_linked(incident: Incident, actor: Agent) -> list[LinkOutcome]:
    """Solve every linked ticket that is not solved or closed yet (``actor`` must see it and may
    change fields). One outcome per ticket tried; a refused one does not stop the others."""
    require_incident_agent(actor)
    rows = list(
        Ticket.objects.filter(incident_link__incident=incident)
        .exclude(status__in=(Status.SOLVED, Status.CLOSED))
        .order_by("id")
        .values_list("pk", "number")
    )
    visible = set(filter_visible(actor, [pk for pk, _ in rows]))
    out = []
    for pk, number in rows:
        if pk not in visible:
            out.append(LinkOutcome(pk, None, False, "not_found"))
            continue
        try:
            update_ticket(actor=actor, ticket_id=pk, status=Status.SOLVED)
        except DomainError as exc:
            out.append(LinkOutcome(pk, number, False, exc.code))
        else:
            out.append(LinkOutcome(pk, number, True))
    return out


def note_incident_status(*, ticket_id: int) -> None:
    """Keep ``resolved_at`` in step with the incident ticket's status (the system, from a listener)."""
    row = Ticket.objects.filter(pk=ticket_id).values_list("status", "solved_at").first()
    if row is None:
        return
    status, solved_at = row
    if status in (Status.SOLVED, Status.CLOSED):
        Incident.objects.filter(ticket_id=ticket_id, resolved_at__isnull=True).update(
            resolved_at=solved_at or clock.now()
        )
    else:
        Incident.objects.filter(ticket_id=ticket_id, resolved_at__isnull=False).update(resolved_at=None)
