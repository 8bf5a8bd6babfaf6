"""SLA demo data: two calendars, two policies and an escalation rule, then clocks for every open
ticket. Called by the demo command (and the ``sla_recompute`` benchmark); safe to run again.

- Calendars: "Moscow business hours" (Europe/Moscow, Monday to Friday 09:00-18:00, Russian
  public holidays) and "24/7".
- "Platinum and Gold" (tiers Platinum, Gold): first and next response by chat in 5 minutes
  (every minute counts), by email and other channels in 1 business hour; resolution in 8
  business hours; a first-response breach raises the priority one step.
- "Standard" (any ticket): chat in 15 minutes, others in 4 business hours; resolution in 3
  business days (27 business hours).

Written with the ORM rather than the settings actions: those record an admin and start a
recompute job per change; here one backfill at the end covers everything.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from zabota.core import clock
from zabota.customers.actions import create_tier
from zabota.customers.models import Tier
from zabota.sla.models import Calendar, EscalationAction, EscalationRule, Metric, Policy, Target
from zabota.tickets.choices import Channel

MOSCOW = "Moscow business hours"
ALWAYS = "24/7"

# policy -> [(metric, channel, minutes, business hours)]
TARGETS: dict[str, list[tuple[str, str, int, bool]]] = {
    "Platinum and Gold": [
        (Metric.FIRST_RESPONSE, Channel.CHAT, 5, False),
        (Metric.FIRST_RESPONSE, "", 60, True),
        (Metric.NEXT_RESPONSE, Channel.CHAT, 5, False),
        (Metric.NEXT_RESPONSE, "", 60, True),
        (Metric.RESOLUTION, "", 8 * 60, True),
    ],
    "Standard": [
        (Metric.FIRST_RESPONSE, Channel.CHAT, 15, False),
        (Metric.FIRST_RESPONSE, "", 4 * 60, True),
        (Metric.NEXT_RESPONSE, Channel.CHAT, 15, False),
        (Metric.NEXT_RESPONSE, "", 4 * 60, True),
        (Metric.RESOLUTION, "", 3 * 9 * 60, True),
    ],
}


def seed_policies() -> dict[str, Any]:
    """Create (or update) the demo calendars, policies, targets and escalation rule."""
    with transaction.atomic():
        now = clock.now()
        moscow, _ = Calendar.objects.update_or_create(
            name=MOSCOW,
            defaults={
                "timezone": "Europe/Moscow",
                "always_open": False,
                "hours": {str(d): [["09:00", "18:00"]] for d in range(5)},
                "country": "RU",
                "subdivision": "",
                "updated_at": now,
            },
        )
        Calendar.objects.update_or_create(
            name=ALWAYS, defaults={"timezone": "UTC", "always_open": True, "hours": {}, "updated_at": now}
        )
        have = {t.name for t in Tier.objects.filter(name__in=["Platinum", "Gold"])}
        if "Platinum" not in have:
            create_tier(actor=None, name="Platinum", rank=1, color="#7c3aed")
        if "Gold" not in have:
            create_tier(actor=None, name="Gold", rank=2, color="#d97706")
        policies = {}
        for position, name in enumerate(TARGETS, start=1):
            policy, _ = Policy.objects.update_or_create(
                name=name,
                defaults={"position": position, "is_active": True, "calendar": moscow, "updated_at": now},
            )
            for metric, channel, minutes, business in TARGETS[name]:
                Target.objects.update_or_create(
                    policy=policy,
                    metric=metric,
                    channel=channel,
                    defaults={"minutes": minutes, "business_hours": business},
                )
            policies[name] = policy
        policies["Platinum and Gold"].tiers.set(Tier.objects.filter(name__in=["Platinum", "Gold"]))
        EscalationRule.objects.get_or_create(
            policy=policies["Platinum and Gold"],
            metric=Metric.FIRST_RESPONSE,
            action=EscalationAction.RAISE_PRIORITY,
            defaults={"position": 1},
        )
    return {"calendars": 2, "policies": len(policies)}


def seed_demo(*, backfill: bool = True) -> dict[str, Any]:
    """The demo's SLA setup; with ``backfill``, every open ticket then gets its clock (tickets
    the bulk generator wrote bypassed the actions, so they have none yet)."""
    from zabota.sla.actions import backfill_clocks

    summary = seed_policies()
    if backfill:
        summary["clocks_created"] = backfill_clocks()
    return summary
