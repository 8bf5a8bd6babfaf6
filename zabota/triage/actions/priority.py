"""Priority rules (admins) and the automatic priority of a new ticket (the system).

``apply_automatic_priority`` runs once per ticket, from the TicketCreated listener. Later
events never call it, so an agent's change of priority is never overridden; it also leaves
alone a ticket an agent opened with a priority of their own choosing (not Normal), and one
whose priority an agent already changed.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.db.models import Max

from zabota.accounts.models import Agent
from zabota.core.errors import PermissionDenied, ValidationFailed
from zabota.customers.models import Tier
from zabota.tickets.actions import record_event, update_ticket
from zabota.tickets.choices import Kind, Priority
from zabota.tickets.models import Activity, Message, Ticket
from zabota.triage.matching import Decision, RuleSpec, TicketFacts, decide, stems
from zabota.triage.models import PriorityRule

MAX_KEYWORDS = 100
MAX_KEYWORD = 100


def _require_admin(actor: Agent | None) -> None:
    if actor is not None and not (actor.is_active and actor.is_admin):
        raise PermissionDenied("only admins manage priority rules")


def clean_keywords(keywords: Sequence[str]) -> list[str]:
    """Trimmed, distinct (case-insensitively), each at most 100 characters, at most 100."""
    out: list[str] = []
    seen: set[str] = set()
    for k in keywords:
        k = " ".join((k or "").split())
        if not k:
            continue
        if len(k) > MAX_KEYWORD:
            raise ValidationFailed("a keyword has at most 100 characters", fields={"keywords": "too_long"})
        if not stems(k):
            raise ValidationFailed(f"the keyword {k!r} has no words", fields={"keywords": "invalid"})
        if k.casefold() not in seen:
            seen.add(k.casefold())
            out.append(k)
    if len(out) > MAX_KEYWORDS:
        raise ValidationFailed("at most 100 keywords per rule", fields={"keywords": "too_many"})
    return out


def save_rule(
    *,
    actor: Agent | None,
    rule: PriorityRule | None = None,
    name: str,
    priority: int,
    tiers: Sequence[Tier] = (),
    kinds: Sequence[str] = (),
    keywords: Sequence[str] = (),
    is_active: bool = True,
) -> PriorityRule:
    """Create (at the end of the order) or change a rule. A rule needs at least one condition."""
    _require_admin(actor)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationFailed("a rule needs a name of at most 100 characters", fields={"name": "invalid"})
    if priority not in Priority.values:
        raise ValidationFailed("unknown priority", fields={"priority": "invalid"})
    bad = [k for k in kinds if k not in Kind.values]
    if bad:
        raise ValidationFailed(f"unknown kind {bad[0]!r}", fields={"kinds": "invalid"})
    words = clean_keywords(keywords)
    if not tiers and not kinds and not words:
        raise ValidationFailed(
            "choose at least one condition: a tier, a kind or a keyword", fields={"keywords": "required"}
        )
    with transaction.atomic():
        if rule is None:
            last = PriorityRule.objects.aggregate(m=Max("position"))["m"]
            rule = PriorityRule(position=(last or 0) + 1)
        rule.name = name
        rule.priority = int(priority)
        rule.kinds = sorted(set(kinds), key=Kind.values.index)
        rule.keywords = words
        rule.is_active = is_active
        rule.save()
        rule.tiers.set(tiers)
    return rule


def delete_rule(*, actor: Agent | None, rule: PriorityRule) -> None:
    _require_admin(actor)
    rule.delete()


def move_rule(*, actor: Agent | None, rule: PriorityRule, direction: str) -> None:
    """Swap a rule with its neighbour ("up" or "down"); positions are renumbered 1..n."""
    _require_admin(actor)
    with transaction.atomic():
        rules = list(PriorityRule.objects.select_for_update().order_by("position", "id"))
        i = next(n for n, r in enumerate(rules) if r.pk == rule.pk)
        j = i - 1 if direction == "up" else i + 1
        if 0 <= j < len(rules):
            rules[i], rules[j] = rules[j], rules[i]
        for n, r in enumerate(rules, start=1):
            if r.position != n:
                PriorityRule.objects.filter(pk=r.pk).update(position=n)


def active_specs() -> list[RuleSpec]:
    """The active rules in order, as plain values (two queries)."""
    rules = list(
        PriorityRule.objects.filter(is_active=True).prefetch_related("tiers").order_by("position", "id")
    )
    return [
        RuleSpec(
            id=r.pk,
            name=r.name,
            priority=r.priority,
            tier_ids=frozenset(t.pk for t in r.tiers.all()),
            kinds=frozenset(r.kinds or []),
            keywords=tuple(r.keywords or []),
        )
        for r in rules
    ]


def facts_of(ticket: Ticket) -> TicketFacts:
    first = (
        Message.objects.filter(ticket_id=ticket.pk).order_by("id").values_list("body_text", flat=True).first()
    ) or ""
    # The ticket's organization, else its requester's (as the SLA clocks count the tier).
    org = ticket.organization if ticket.organization_id else ticket.requester.organization
    tier = org.tier if org is not None else None
    return TicketFacts(
        tier_id=tier.pk if tier else None,
        tier_name=tier.name if tier else "",
        kind=ticket.kind,
        text=f"{ticket.subject}\n{first}",
    )


def _agent_chose(ticket: Ticket, opened_by_agent: bool) -> bool:
    """Whether an agent already set this ticket's priority (their choice is never overridden)."""
    if opened_by_agent and ticket.priority != Priority.NORMAL:
        return True
    return Activity.objects.filter(
        ticket_id=ticket.pk, verb="changed", field="priority", actor_agent__isnull=False
    ).exists()


def apply_automatic_priority(
    *, ticket_id: int, opened_by_agent: bool = False, specs: list[RuleSpec] | None = None
) -> Decision | None:
    """Apply the rules to a new ticket: set the winning priority (by the system) when it differs
    and put an event on the timeline saying why. Returns the decision (None: no rule matched,
    or an agent chose the priority). ``specs``: the active rules, when the caller has them."""
    if specs is None:
        specs = active_specs()  # first: with no rules, a new ticket costs one query here
    if not specs:
        return None
    ticket = (
        Ticket.objects.select_related("organization__tier", "requester__organization__tier")
        .filter(pk=ticket_id, merged_into__isnull=True)
        .first()
    )
    if ticket is None or _agent_chose(ticket, opened_by_agent):
        return None
    decision = decide(specs, facts_of(ticket))
    if decision is None:
        return None
    with transaction.atomic():
        if Ticket.objects.select_for_update().filter(pk=ticket_id).values_list(
            "priority", flat=True
        ).first() == (decision.priority):
            return decision  # already at that priority: nothing to say
        update_ticket(actor=None, ticket_id=ticket_id, priority=decision.priority)
        record_event(
            ticket_id=ticket_id,
            verb="priority_auto",
            after={
                "priority": Priority(decision.priority).name.lower(),
                "reasons": decision.reasons,
                "why": decision.why,
                "rule": decision.rule_name,
            },
        )
    return decision
