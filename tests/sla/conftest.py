"""SLA fixtures: calendars and policies.

Policies and calendars are written with the ORM here: their settings pages and config actions
belong to another part of the product (``zabota.sla.config``) and are tested there; these tests
are about the clocks. Every ticket is still created and changed through the ticket actions, so
the clocks run through the same listeners as in the product.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine

from zabota.sla import calendar as sla_calendar
from zabota.sla.models import Calendar, Metric, Policy, Target

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


def make_policy(
    name: str,
    *,
    first: int | None = 60,
    next_: int | None = 120,
    resolution: int | None = 480,
    calendar: Calendar | None = None,
    business_hours: bool = True,
    position: int = 0,
    **fields: object,
) -> Policy:
    """A policy with minutes-targets for every channel ('' channel)."""
    policy = Policy.objects.create(name=name, position=position, calendar=calendar, **fields)
    for metric, minutes in (
        (Metric.FIRST_RESPONSE, first),
        (Metric.NEXT_RESPONSE, next_),
        (Metric.RESOLUTION, resolution),
    ):
        if minutes is not None:
            Target.objects.create(
                policy=policy, metric=metric, channel="", minutes=minutes, business_hours=business_hours
            )
    return policy


@pytest.fixture
def standard_policy(db: None) -> Policy:
    """24/7: first response 1 h, next response 2 h, resolution 8 h; warn at 75 %."""
    return make_policy("Standard", position=10)


@pytest.fixture
def moscow_hours(db: None) -> Calendar:
    return Calendar.objects.create(
        name="Moscow office",
        timezone="Europe/Moscow",
        hours={str(d): [["09:00", "18:00"]] for d in range(5)},
        country="RU",
    )
