"""The clock rules as pure computation: which policy a ticket falls under, and its clock's
derived columns from its facts. No database writes here; ``zabota.sla.actions`` loads facts
(one ticket or a chunk of a million), calls ``compute`` and writes the result.

Times are epoch seconds (floats in, whole seconds out) so that a recompute of a million clocks
does not spend its time building datetime objects.

The rules, written down:
- First response runs from the ticket's creation until our first public reply (a ticket an
  agent opens on a customer's behalf starts with the agent's public message: answered).
- Next response runs from ``awaiting_since`` (the customer's oldest message not yet answered,
  after the first response) until our next public reply.
- Resolution runs while the ticket is new or open, and while on hold unless the policy's
  ``pause_on_hold``; it pauses while pending (the customer owes us) and stops when solved or
  closed. ``resolution_elapsed`` keeps the business time used, so reopening continues from it.
- While pending, the first and next response clocks don't run either. While on hold they do:
  "waiting on developers" is our hand-off, and the customer is still waiting for an answer.
- Team or assignee changes never touch a clock; a change of a condition field (priority, kind,
  channel, inbox, organization, tier) picks the policy again and recomputes the due times from
  the same facts.
- A target counted in business hours uses the policy's calendar (none = 24/7); a target with
  ``business_hours`` off counts every second.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from zabota.sla.calendar import ALWAYS_OPEN, BusinessCalendar
from zabota.sla.models import AlertKind, Metric, Policy, Target
from zabota.tickets.choices import Status

METRIC_BITS = {Metric.FIRST_RESPONSE: 1, Metric.NEXT_RESPONSE: 2, Metric.RESOLUTION: 4}
STOPPED = frozenset({Status.SOLVED, Status.CLOSED})

# (metric, alert kind, due time as whole epoch seconds)
AlertKey = tuple[str, str, int]
TargetCal = tuple[int, BusinessCalendar] | None
# first response, next response, resolution targets and the business-hours bits of a channel
Plan = tuple[TargetCal, TargetCal, TargetCal, int]


@dataclass
class PolicyRules:
    """One policy, ready for matching and computing (no queries after loading)."""

    id: int
    name: str
    is_active: bool
    tiers: frozenset[int]
    channels: frozenset[str]
    priorities: frozenset[int]
    kinds: frozenset[str]
    inboxes: frozenset[int]
    organizations: frozenset[int]
    calendar: BusinessCalendar
    warning_percent: int
    pause_on_hold: bool
    # (metric, channel) -> (seconds, business_hours); channel '' is the default
    targets: dict[tuple[str, str], tuple[int, bool]] = field(default_factory=dict)
    _plans: dict[str, Plan] = field(default_factory=dict)

    def matches(
        self, *, channel: str, priority: int, kind: str, inbox: int | None, org: int | None, tier: int | None
    ) -> bool:
        return (
            self.is_active
            and (not self.channels or channel in self.channels)
            and (not self.priorities or priority in self.priorities)
            and (not self.kinds or kind in self.kinds)
            and (not self.inboxes or inbox in self.inboxes)
            and (not self.organizations or org in self.organizations)
            and (not self.tiers or tier in self.tiers)
        )

    def target(self, metric: str, channel: str) -> tuple[int, BusinessCalendar] | None:
        """The metric's target for the channel (else its default): seconds and the calendar."""
        found = self.targets.get((metric, channel)) or self.targets.get((metric, ""))
        if found is None:
            return None
        seconds, business = found
        return seconds, (self.calendar if business else ALWAYS_OPEN)

    def plan(self, channel: str) -> Plan:
        """The three targets and the business-hours bits for a channel (memoised)."""
        found = self._plans.get(channel)
        if found is None:
            found = self._plans[channel] = (
                self.target(Metric.FIRST_RESPONSE, channel),
                self.target(Metric.NEXT_RESPONSE, channel),
                self.target(Metric.RESOLUTION, channel),
                self.business_bits(channel),
            )
        return found

    def business_bits(self, channel: str) -> int:
        bits = 0
        for metric, bit in METRIC_BITS.items():
            found = self.targets.get((metric, channel)) or self.targets.get((metric, ""))
            if found and found[1] and not self.calendar.always_open:
                bits |= bit
        return bits


class PolicyBook:
    """Every policy (active ones in order for matching; all by id, for the targets a clock was
    started under). Load once per recompute run: four queries whatever the number of tickets."""

    def __init__(self, policies: Iterable[Policy], targets: Iterable[Target]):
        by_policy: dict[int, dict[tuple[str, str], tuple[int, bool]]] = {}
        for t in targets:
            by_policy.setdefault(t.policy_id, {})[(t.metric, t.channel)] = (t.minutes * 60, t.business_hours)
        self.by_id: dict[int, PolicyRules] = {}
        self.ordered: list[PolicyRules] = []
        for p in policies:
            rules = PolicyRules(
                id=p.pk,
                name=p.name,
                is_active=p.is_active,
                tiers=frozenset(t.pk for t in p.tiers.all()),
                channels=frozenset(p.channels or []),
                priorities=frozenset(int(x) for x in p.priorities or []),
                kinds=frozenset(p.kinds or []),
                inboxes=frozenset(i.pk for i in p.inboxes.all()),
                organizations=frozenset(o.pk for o in p.organizations.all()),
                calendar=BusinessCalendar.for_calendar(p.calendar),
                warning_percent=p.warning_percent,
                pause_on_hold=p.pause_on_hold,
                targets=by_policy.get(p.pk, {}),
            )
            self.by_id[p.pk] = rules
            if p.is_active:
                self.ordered.append(rules)
        self._memo: dict[tuple[object, ...], PolicyRules | None] = {}

    @classmethod
    def load(cls) -> PolicyBook:
        policies = Policy.objects.select_related("calendar").prefetch_related(
            "tiers", "inboxes", "organizations"
        )
        return cls(list(policies), Target.objects.all())

    def match(
        self, *, channel: str, priority: int, kind: str, inbox: int | None, org: int | None, tier: int | None
    ) -> PolicyRules | None:
        """The first active policy whose conditions all hold (memoised per combination)."""
        key = (channel, priority, kind, inbox, org, tier)
        if key in self._memo:
            return self._memo[key]
        found = next(
            (
                p
                for p in self.ordered
                if p.matches(channel=channel, priority=priority, kind=kind, inbox=inbox, org=org, tier=tier)
            ),
            None,
        )
        if len(self._memo) < 200_000:
            self._memo[key] = found
        return found


@dataclass(slots=True)
class Facts:
    """What a clock runs on: the ticket's fields and the clock's facts (epoch seconds)."""

    ticket_id: int
    status: str
    priority: int
    kind: str
    channel: str
    inbox: int | None
    org: int | None
    tier: int | None
    created_at: float
    solved_at: float | None
    policy_id: int | None
    first_response_at: float | None
    awaiting_since: float | None
    resolution_elapsed: int
    resolution_running_since: float | None
    resolved_at: float | None
    responses_paused: bool


@dataclass(slots=True)
class Derived:
    """A clock's columns after ``compute`` (facts possibly brought in step with the status)."""

    policy_id: int | None
    resolution_elapsed: int
    resolution_running_since: float | None
    resolved_at: float | None
    responses_paused: bool
    first_response_due_at: int | None = None
    first_response_warn_at: int | None = None
    next_response_due_at: int | None = None
    next_response_warn_at: int | None = None
    resolution_due_at: int | None = None
    resolution_warn_at: int | None = None
    resolution_target: int | None = None
    business_metrics: int = 0
    due_at: int | None = None
    warn_at: int | None = None
    next_check_at: int | None = None
    # metric -> (warn, due) for the metrics whose clock is running now
    active: dict[str, tuple[int, int]] = field(default_factory=dict)


def resolution_should_run(status: str, pause_on_hold: bool) -> bool:
    return status in (Status.NEW, Status.OPEN) or (status == Status.ON_HOLD and not pause_on_hold)


def compute(f: Facts, book: PolicyBook, now: float, alerted: frozenset[AlertKey] | set[AlertKey]) -> Derived:
    """The clock's columns from its facts. ``now`` is used only to bring the resolution clock's
    facts in step with the status (pause, stop, resume); ``alerted`` holds the alerts already
    recorded for this ticket, so ``next_check_at`` never points at one that has fired."""
    policy = book.match(
        channel=f.channel, priority=f.priority, kind=f.kind, inbox=f.inbox, org=f.org, tier=f.tier
    )
    elapsed = f.resolution_elapsed
    running = f.resolution_running_since
    resolved = f.resolved_at
    pause_on_hold = policy.pause_on_hold if policy else False
    if f.status in STOPPED or not resolution_should_run(f.status, pause_on_hold):
        if running is not None:
            # The clock ran until now under the policy it was started with.
            old = book.by_id.get(f.policy_id) if f.policy_id else None
            found = old.target(Metric.RESOLUTION, f.channel) if old else None
            cal = found[1] if found else ALWAYS_OPEN
            elapsed += int(cal.between_ts(running, max(now, running)))
            running = None
        if f.status in STOPPED:
            resolved = resolved or f.solved_at or now
        else:
            resolved = None
    else:
        if running is None:
            running = now
        resolved = None
    d = Derived(
        policy_id=policy.id if policy else None,
        resolution_elapsed=elapsed,
        resolution_running_since=running,
        resolved_at=resolved,
        responses_paused=f.status == Status.PENDING,
    )
    if policy is None:
        return d
    pct = policy.warning_percent / 100
    unsolved = f.status not in STOPPED
    first, next_, resolution, d.business_metrics = policy.plan(f.channel)
    paused = d.responses_paused

    if first is not None:
        seconds, cal = first
        start = f.created_at
        d.first_response_due_at = due = int(cal.add_ts(start, seconds) + 0.5)
        d.first_response_warn_at = warn = int(cal.add_ts(start, seconds * pct) + 0.5)
        if unsolved and f.first_response_at is None and not paused:
            d.active[Metric.FIRST_RESPONSE] = (warn, due)
    if next_ is not None and f.awaiting_since is not None and unsolved:
        seconds, cal = next_
        start = f.awaiting_since
        d.next_response_due_at = due = int(cal.add_ts(start, seconds) + 0.5)
        d.next_response_warn_at = warn = int(cal.add_ts(start, seconds * pct) + 0.5)
        if not paused:
            d.active[Metric.NEXT_RESPONSE] = (warn, due)
    if resolution is not None:
        seconds, cal = resolution
        d.resolution_target = seconds
        if running is not None:
            d.resolution_due_at = due = int(cal.add_ts(running, seconds - elapsed) + 0.5)
            d.resolution_warn_at = warn = int(cal.add_ts(running, seconds * pct - elapsed) + 0.5)
            d.active[Metric.RESOLUTION] = (warn, due)

    checks: list[int] = []
    for metric, (warn, due) in d.active.items():
        d.due_at = due if d.due_at is None else min(d.due_at, due)
        d.warn_at = warn if d.warn_at is None else min(d.warn_at, warn)
        if fired(alerted, metric, AlertKind.BREACH, due, f.awaiting_since):
            continue
        if warn < due and not fired(alerted, metric, AlertKind.WARNING, due, f.awaiting_since):
            checks.append(warn)
        else:
            checks.append(due)
    d.next_check_at = min(checks) if checks else None
    return d


def fired(
    alerted: frozenset[AlertKey] | set[AlertKey],
    metric: str,
    kind: str,
    due: int,
    awaiting_since: float | None = None,
) -> bool:
    """Whether the alert of ``kind`` for ``metric`` due at ``due`` counts as recorded already.

    The first response and the resolution are one target per ticket whose due time still moves:
    the resolution's every time its clock resumes (pending, then the customer's answer), and
    both whenever the policy changes (an escalation raising the priority picks a stricter one).
    Once warned or breached they are not again. A next response is a target per customer message
    waiting (``awaiting_since``): breached once per wait, a breach due after the wait began
    being this wait's (an earlier wait's breach was answered before this one began). So neither
    a pause nor an escalation re-notifies people or re-runs the escalation rules.
    """
    kinds = {kind, AlertKind.BREACH}
    if metric in ONCE_PER_TICKET:
        return any(m == metric and k in kinds for m, k, _ in alerted)
    if any((metric, k, due) in alerted for k in kinds):
        return True
    return awaiting_since is not None and any(
        m == metric and k == AlertKind.BREACH and d > awaiting_since for m, k, d in alerted
    )


ONCE_PER_TICKET = frozenset({Metric.FIRST_RESPONSE, Metric.RESOLUTION})
