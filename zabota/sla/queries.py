"""Reads of the SLA context: a clock's state per metric, the clocks of a page of tickets, the
policy that applies to a ticket, and alerts.

These take tickets the caller has already been allowed to see (``access_ticket`` /
``visible_tickets`` in ``zabota.tickets.queries``); nothing here widens what an actor sees.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from zabota.sla.models import Metric, Policy, SlaAlert, TicketClock
from zabota.sla.rules import METRIC_BITS, PolicyBook
from zabota.tickets.models import Ticket


class ClockState:
    """The states a metric's clock can be in (plain strings, for templates and the API)."""

    RUNNING = "running"
    PAUSED = "paused"
    DONE = "done"
    AT_RISK = "at_risk"
    BREACHED = "breached"


@dataclass(frozen=True)
class MetricState:
    """One metric of a ticket's clock as people see it.

    ``seconds_left`` is wall-clock seconds until ``due_at`` for a running clock (negative when
    breached); for a paused or finished resolution clock it is the business seconds of the target
    not used; for a finished response it is the margin it was met by (negative when late).
    """

    metric: str
    due_at: datetime | None
    warn_at: datetime | None
    state: str
    seconds_left: int | None
    business_hours: bool

    @property
    def label(self) -> str:
        return str(Metric(self.metric).label)


def _running(metric: str, due: datetime, warn: datetime | None, now: datetime, bh: bool) -> MetricState:
    left = int((due - now).total_seconds())
    if now >= due:
        state = ClockState.BREACHED
    elif warn is not None and now >= warn:
        state = ClockState.AT_RISK
    else:
        state = ClockState.RUNNING
    return MetricState(metric, due, warn, state, left, bh)


def clock_state(clock: TicketClock, now: datetime) -> list[MetricState]:
    """The ticket's metrics that have a target, in the order first response, next response,
    resolution. A response clock that was never needed (no customer message waiting, or a
    ticket solved without a reply) is left out."""
    bits = clock.business_metrics
    out: list[MetricState] = []
    bh = bool(bits & METRIC_BITS[Metric.FIRST_RESPONSE])
    due, warn = clock.first_response_due_at, clock.first_response_warn_at
    if due is not None:
        if clock.first_response_at is not None:
            margin = int((due - clock.first_response_at).total_seconds())
            out.append(MetricState(Metric.FIRST_RESPONSE, due, warn, ClockState.DONE, margin, bh))
        elif clock.resolved_at is None:
            if clock.responses_paused:
                left = int((due - now).total_seconds())
                out.append(MetricState(Metric.FIRST_RESPONSE, due, warn, ClockState.PAUSED, left, bh))
            else:
                out.append(_running(Metric.FIRST_RESPONSE, due, warn, now, bh))
    bh = bool(bits & METRIC_BITS[Metric.NEXT_RESPONSE])
    due, warn = clock.next_response_due_at, clock.next_response_warn_at
    if due is not None and clock.awaiting_since is not None and clock.resolved_at is None:
        if clock.responses_paused:
            left = int((due - now).total_seconds())
            out.append(MetricState(Metric.NEXT_RESPONSE, due, warn, ClockState.PAUSED, left, bh))
        else:
            out.append(_running(Metric.NEXT_RESPONSE, due, warn, now, bh))
    bh = bool(bits & METRIC_BITS[Metric.RESOLUTION])
    if clock.resolution_target is not None:
        left_business = clock.resolution_target - clock.resolution_elapsed
        if clock.resolved_at is not None:
            out.append(MetricState(Metric.RESOLUTION, None, None, ClockState.DONE, left_business, bh))
        elif clock.resolution_running_since is None or clock.resolution_due_at is None:
            out.append(MetricState(Metric.RESOLUTION, None, None, ClockState.PAUSED, left_business, bh))
        else:
            out.append(
                _running(Metric.RESOLUTION, clock.resolution_due_at, clock.resolution_warn_at, now, bh)
            )
    return out


def nearest(states: Iterable[MetricState]) -> MetricState | None:
    """The running metric due first (for a list row), else None."""
    running = [
        s
        for s in states
        if s.due_at is not None and s.state in (ClockState.RUNNING, ClockState.AT_RISK, ClockState.BREACHED)
    ]
    return min(running, key=lambda s: s.due_at or datetime.max) if running else None


def ticket_clocks(ticket_ids: Iterable[int]) -> dict[int, TicketClock]:
    """The clocks of these tickets (with their policy), in one query; tickets without a clock are
    missing from the result."""
    ids = list(ticket_ids)
    if not ids:
        return {}
    return {c.ticket_id: c for c in TicketClock.objects.filter(ticket_id__in=ids).select_related("policy")}


def policy_for(ticket: Ticket) -> Policy | None:
    """The first active policy whose conditions match the ticket (tier is the ticket's
    organization's tier, or its requester's organization's when the ticket has none)."""
    org_id = ticket.organization_id
    if org_id is None:
        org_id = ticket.requester.organization_id
    tier_id = None
    if org_id is not None:
        from zabota.customers.models import Organization

        tier_id = Organization.objects.filter(pk=org_id).values_list("tier_id", flat=True).first()
    rules = PolicyBook.load().match(
        channel=ticket.channel,
        priority=ticket.priority,
        kind=ticket.kind,
        inbox=ticket.inbox_id,
        org=org_id,
        tier=tier_id,
    )
    return Policy.objects.filter(pk=rules.id).first() if rules else None


def ticket_alerts(ticket_id: int) -> QuerySet[SlaAlert]:
    """A ticket's warnings and breaches, newest first."""
    return (
        SlaAlert.objects.filter(ticket_id=ticket_id).select_related("policy").order_by("-created_at", "-id")
    )
