"""The per-minute SLA job: fire the warnings and breaches that are due, once each.

``check_due`` reads only clocks whose ``next_check_at`` has come (an index range, never a scan
of every ticket). Each clock is claimed with a conditional UPDATE that moves its
``next_check_at`` a few minutes ahead (a lease), so two workers never fire the same clock and a
worker that dies mid-way leaves the clock to be retried. Each warning and breach is recorded
once in ``SlaAlert`` (a unique constraint; a duplicate insert is caught), and only a newly
recorded alert goes on the timeline, notifies people and runs escalation rules. The clock is
then recomputed, which points ``next_check_at`` at its next unfired warning or due time.

Scheduled every minute in ``zabota/config/tasks.py``, so an alert fires at most 60 s late.

Who is told: the ticket's assignee and its team's lead (agents only: customers never hear of
SLA alerts). Escalation rules of the ticket's policy run on a breach, in their order: raise the
priority one step, reassign to a team or a person, or notify a person.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction

from zabota.accounts.models import Team
from zabota.core import clock
from zabota.core.errors import DomainError
from zabota.notifications.actions import notify
from zabota.notifications.models import NotificationKind
from zabota.sla import rules
from zabota.sla.actions import recompute
from zabota.sla.models import AlertKind, EscalationAction, EscalationRule, Metric, SlaAlert, TicketClock
from zabota.tickets.actions import record_event, update_ticket
from zabota.tickets.choices import Priority
from zabota.tickets.models import Ticket

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
BATCH = 500


def _active(c: TicketClock) -> list[tuple[str, datetime | None, datetime]]:
    """(metric, warn, due) of each clock that is running now."""
    out: list[tuple[str, datetime | None, datetime]] = []
    if c.resolved_at is not None:
        return out
    if not c.responses_paused:
        if c.first_response_at is None and c.first_response_due_at is not None:
            out.append((Metric.FIRST_RESPONSE, c.first_response_warn_at, c.first_response_due_at))
        if c.awaiting_since is not None and c.next_response_due_at is not None:
            out.append((Metric.NEXT_RESPONSE, c.next_response_warn_at, c.next_response_due_at))
    if c.resolution_running_since is not None and c.resolution_due_at is not None:
        out.append((Metric.RESOLUTION, c.resolution_warn_at, c.resolution_due_at))
    return out


def _record_alert(c: TicketClock, metric: str, kind: str, due: datetime, now: datetime) -> bool:
    """Insert the alert; False when it was already recorded (by us earlier or another worker)."""
    try:
        with transaction.atomic():
            SlaAlert.objects.create(
                ticket_id=c.ticket_id,
                metric=metric,
                kind=kind,
                due_at=due,
                policy_id=c.policy_id,
                created_at=now,
            )
    except IntegrityError:
        return False
    return True


def _tell(ticket: Ticket, kind: str) -> None:
    """Notify the assignee and the team's lead (never a customer: only agents get these)."""
    lead_id = (
        Team.objects.filter(pk=ticket.team_id).values_list("lead_id", flat=True).first()
        if ticket.team_id
        else None
    )
    notify(agent_ids=[i for i in (ticket.assignee_id, lead_id) if i], kind=kind, ticket_id=ticket.pk)


def _escalate(ticket: Ticket, policy_id: int | None, metric: str) -> None:
    """Run the policy's escalation rules for a breach of ``metric``, in order."""
    if policy_id is None:
        return
    rules = EscalationRule.objects.filter(policy_id=policy_id, metric__in=[metric, ""]).order_by(
        "position", "id"
    )
    for rule in rules:
        try:
            if rule.action == EscalationAction.RAISE_PRIORITY:
                current = Ticket.objects.values_list("priority", flat=True).get(pk=ticket.pk)
                if current < Priority.URGENT:
                    update_ticket(actor=None, ticket_id=ticket.pk, priority=current + 1)
            elif rule.action == EscalationAction.ASSIGN_TEAM and rule.team is not None:
                # To the team's queue, unless the assignee works in that team already.
                assignee_id = Ticket.objects.values_list("assignee_id", flat=True).get(pk=ticket.pk)
                if assignee_id and rule.team.members.filter(pk=assignee_id).exists():
                    update_ticket(actor=None, ticket_id=ticket.pk, team=rule.team)
                else:
                    update_ticket(actor=None, ticket_id=ticket.pk, team=rule.team, assignee=None)
            elif rule.action == EscalationAction.ASSIGN_AGENT and rule.agent is not None:
                update_ticket(actor=None, ticket_id=ticket.pk, assignee=rule.agent)
            elif rule.action == EscalationAction.NOTIFY_AGENT and rule.agent_id is not None:
                notify(agent_ids=[rule.agent_id], kind=NotificationKind.ESCALATED, ticket_id=ticket.pk)
        except DomainError as exc:
            # E.g. the person can't work in the ticket's team: the other rules still run.
            logger.warning("escalation rule %s on ticket %s failed: %s", rule.pk, ticket.pk, exc)


def _fire(c: TicketClock, now: datetime) -> int:
    fired = 0
    policy_name = c.policy.name if c.policy else ""
    alerted = {
        (metric, kind, int(due.timestamp() + 0.5))
        for metric, kind, due in SlaAlert.objects.filter(ticket_id=c.ticket_id).values_list(
            "metric", "kind", "due_at"
        )
    }
    for metric, warn, due in _active(c):
        if due <= now:
            kind = AlertKind.BREACH
        elif warn is not None and warn <= now:
            kind = AlertKind.WARNING
        else:
            continue
        since = c.awaiting_since.timestamp() if c.awaiting_since else None
        if rules.fired(alerted, metric, kind, int(due.timestamp() + 0.5), since):
            continue  # e.g. a resolution target missed before a pause: told once
        # One transaction per alert: if telling people fails, the alert is not recorded either
        # and the next run tries again (escalations' own events go out after this commits).
        with transaction.atomic():
            if not _record_alert(c, metric, kind, due, now):
                continue
            fired += 1
            verb = "sla_breach" if kind == AlertKind.BREACH else "sla_warning"
            record_event(
                ticket_id=c.ticket_id,
                verb=verb,
                after={"metric": metric, "due_at": due.isoformat(), "policy": policy_name},
            )
            ticket = Ticket.objects.filter(pk=c.ticket_id).first()
            if ticket is None:
                continue
            breach = kind == AlertKind.BREACH
            _tell(ticket, NotificationKind.SLA_BREACH if breach else NotificationKind.SLA_WARNING)
            if breach:
                _escalate(ticket, c.policy_id, metric)
    return fired


def check_due(now: datetime | None = None) -> int:
    """Fire every warning and breach whose time has come; returns how many alerts fired."""
    now = now or clock.now()
    fired = 0
    seen: set[int] = set()
    while True:
        rows = TicketClock.objects.filter(next_check_at__lte=now).order_by("next_check_at", "ticket_id")
        due = [r for r in rows.values_list("ticket_id", "next_check_at")[:BATCH] if r[0] not in seen]
        if not due:
            # Nothing left, or only clocks this run already handled (never loop on them).
            break
        for ticket_id, next_check_at in due:
            seen.add(ticket_id)
            # The claim: only the worker whose UPDATE matched the value it read goes on.
            claimed = TicketClock.objects.filter(ticket_id=ticket_id, next_check_at=next_check_at).update(
                next_check_at=now + LEASE
            )
            if not claimed:
                continue
            c = TicketClock.objects.select_related("policy").filter(ticket_id=ticket_id).first()
            if c is None:
                continue
            try:
                fired += _fire(c, now)
            except Exception:
                # Logged and retried on the next run (the clock points at the alert again);
                # one broken ticket never stops the others.
                logger.exception("SLA alerts of ticket %s failed", ticket_id)
            recompute([ticket_id], now=now)
    return fired
