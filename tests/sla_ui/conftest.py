"""SLA presentation fixtures: a Gold policy made through the settings action (the way an admin
makes it), frozen time, and the calendar cache emptied around each test."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine

from zabota.accounts.models import Agent
from zabota.customers.models import Tier
from zabota.sla import calendar as sla_calendar
from zabota.sla.config import Conditions, TargetSpec, save_policy
from zabota.sla.models import Metric, Policy

# A Monday, 10:00 UTC.
MONDAY = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fresh_calendar_cache() -> Iterator[None]:
    sla_calendar.invalidate()
    yield
    sla_calendar.invalidate()


@pytest.fixture
def frozen() -> Iterator[time_machine.Coordinates]:
    """Time stands still at MONDAY until the test moves it."""
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


def no_conditions(**kwargs: object) -> Conditions:
    values: dict[str, object] = {
        "tiers": [],
        "channels": [],
        "priorities": [],
        "kinds": [],
        "inboxes": [],
        "organizations": [],
    }
    values.update(kwargs)
    return Conditions(**values)  # type: ignore[arg-type]


def every_minute_policy(
    admin: Agent, name: str = "Gold care", *, first: int = 60, tiers: list[Tier] | None = None
) -> Policy:
    """24/7 targets: first response ``first`` minutes, next response 2 h, resolution 8 h."""
    policy, _job = save_policy(
        actor=admin,
        name=name,
        conditions=no_conditions(tiers=tiers or []),
        calendar=None,
        targets=[
            TargetSpec(Metric.FIRST_RESPONSE, "", first, business_hours=False),
            TargetSpec(Metric.NEXT_RESPONSE, "", 120, business_hours=False),
            TargetSpec(Metric.RESOLUTION, "", 480, business_hours=False),
        ],
    )
    return policy
