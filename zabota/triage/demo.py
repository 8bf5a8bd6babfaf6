"""Triage demo data: a sensible default set of priority rules. Safe to run again (rules are
matched by name and updated). Called by the demo command (the lead wires it).

- "Outage words" -> Urgent: "outage", "down", "not working", "cannot log in", "не работает",
  "сбой", "упал", "недоступен" (word forms match: "не работают", "упала", "outages").
- "Platinum problems" -> Urgent: tier Platinum, kind problem or complaint.
- "Platinum and Gold" -> High: tier Platinum or Gold.
- "Feedback and ideas" -> Low: kind feedback or feature request.

The highest matching priority wins, so a Gold customer's outage is Urgent and a Platinum
customer's idea is High.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from zabota.customers.actions import create_tier
from zabota.customers.models import Tier
from zabota.tickets.choices import Kind, Priority
from zabota.triage.actions import save_rule
from zabota.triage.models import PriorityRule

RULES: list[dict[str, Any]] = [
    {
        "name": "Outage words",
        "priority": Priority.URGENT,
        "keywords": [
            "outage",
            "down",
            "not working",
            "cannot log in",
            "не работает",
            "сбой",
            "упал",
            "недоступен",
        ],
    },
    {
        "name": "Platinum problems",
        "priority": Priority.URGENT,
        "tiers": ["Platinum"],
        "kinds": [Kind.PROBLEM, Kind.COMPLAINT],
    },
    {"name": "Platinum and Gold", "priority": Priority.HIGH, "tiers": ["Platinum", "Gold"]},
    {"name": "Feedback and ideas", "priority": Priority.LOW, "kinds": [Kind.FEEDBACK, Kind.FEATURE_REQUEST]},
]


def seed_demo() -> dict[str, Any]:
    """Create or update the default rules (and the tiers they name, if missing)."""
    with transaction.atomic():
        have = set(Tier.objects.filter(name__in=["Platinum", "Gold"]).values_list("name", flat=True))
        if "Platinum" not in have:
            create_tier(actor=None, name="Platinum", rank=1, color="#7c3aed")
        if "Gold" not in have:
            create_tier(actor=None, name="Gold", rank=2, color="#d97706")
        for spec in RULES:
            save_rule(
                actor=None,
                rule=PriorityRule.objects.filter(name=spec["name"]).first(),
                name=spec["name"],
                priority=spec["priority"],
                tiers=list(Tier.objects.filter(name__in=spec.get("tiers", []))),
                kinds=spec.get("kinds", []),
                keywords=spec.get("keywords", []),
            )
    return {"priority_rules": len(RULES)}
