"""Planning a month of shifts: pure functions, no database (``plan_month``, ``check_day``).

**Periods.** One person a day: every day of the month is a period. Team per period: periods of
``period_days`` days counted from the 1st of the month (the last one is cut at the month's end).
With ``weekdays_only`` Saturdays and Sundays get no shift (a period keeps its calendar length).
Days before ``start`` (today, when re-generating) are not planned.

**Who.** For each period in order, ``people_per_shift`` people are chosen among the members who
have no day off on any of the period's working days and who are not already fixed on it. The
order is fairness: fewest shift days so far (this year on this rota, plus those planned in
this run) first; ties go to whoever was on support longest ago, then to the lowest id (so the
result is deterministic). Among the combinations in that order the first one that keeps every
constraint wins (among the first ``MAX_GROUPS``); when none does, the fairest one is taken and a
warning says which constraint broke. When too few people are free, the period gets fewer and a warning.

**Constraints** (``check_day``), for a shift of two or more people:
- never two juniors together;
- a person who is not technical is paired with at least one technical person.
A one-person shift has nobody to pair with, so these don't apply to it.

**Fixed people** (manual shifts kept when re-generating) fill places of their period first and
count toward its size.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.utils.translation import gettext as _

JUNIOR = "junior"
# Groups tried per period before taking the fairest with a warning: the fairest groups come
# first, and trying all of them grows as C(people, places) (eight of twenty-two: 320,000 a day).
MAX_GROUPS = 2_000


@dataclass(frozen=True)
class Person:
    """What planning knows about a rota member."""

    agent_id: int
    junior: bool = False
    technical: bool = True
    name: str = ""


@dataclass
class Plan:
    """The result: who is on which day, and the warnings (human sentences)."""

    days: dict[date, list[int]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def month_days(year: int, month: int) -> list[date]:
    first = date(year, month, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    return [first + timedelta(days=i) for i in range((following - first).days)]


def periods(year: int, month: int, *, period_days: int, weekdays_only: bool) -> list[list[date]]:
    """The month's periods (see the module docstring), each the list of its working days."""
    days = month_days(year, month)
    size = max(1, period_days)
    chunks = [days[i : i + size] for i in range(0, len(days), size)]
    result = []
    for chunk in chunks:
        working = [d for d in chunk if not (weekdays_only and d.weekday() >= 5)]
        if working:
            result.append(working)
    return result


def check_day(
    people: Iterable[Person], *, day: date | None = None, days_off: Mapping[int, set[date]] | None = None
) -> list[str]:
    """The constraints a group on one shift breaks (empty: none), as sentences."""
    group = list(people)
    problems = []
    if day is not None and days_off:
        for p in group:
            if day in days_off.get(p.agent_id, set()):
                problems.append(
                    _("%(name)s has a day off on %(day)s.") % {"name": p.name or p.agent_id, "day": day}
                )
    if len(group) >= 2:
        if sum(1 for p in group if p.junior) >= 2:
            problems.append(_("Two juniors are on support together."))
        if any(not p.technical for p in group) and not any(p.technical for p in group):
            problems.append(_("Nobody technical is paired with a less technical person."))
    return problems


def _group_ok(group: tuple[Person, ...]) -> bool:
    return not check_day(group)


def plan_month(
    *,
    year: int,
    month: int,
    people: list[Person],
    people_per_shift: int = 1,
    one_per_day: bool = True,
    period_days: int = 14,
    weekdays_only: bool = False,
    days_off: Mapping[int, set[date]] | None = None,
    counts: Mapping[int, int] | None = None,
    last_dates: Mapping[int, date] | None = None,
    fixed: Mapping[date, list[int]] | None = None,
    start: date | None = None,
) -> Plan:
    """Who is on support on each day of the month (see the module docstring).

    ``counts``: shift days each person already has (this year, this rota, not counting what is
    being re-planned); ``last_dates``: each person's last shift day before; ``fixed``: people
    already on a day (kept manual shifts); ``start``: the first day that may be planned.
    """
    days_off = days_off or {}
    fixed = fixed or {}
    tally = {p.agent_id: (counts or {}).get(p.agent_id, 0) for p in people}
    last = {p.agent_id: (last_dates or {}).get(p.agent_id, date.min) for p in people}
    by_id = {p.agent_id: p for p in people}
    size = max(1, people_per_shift)
    plan = Plan()
    chunks = periods(year, month, period_days=1 if one_per_day else period_days, weekdays_only=weekdays_only)
    for chunk in chunks:
        chunk = [d for d in chunk if start is None or d >= start]
        if not chunk:
            continue
        pinned = sorted({a for d in chunk for a in fixed.get(d, [])})
        need = max(0, size - len(pinned))
        free = [
            p
            for p in people
            if p.agent_id not in pinned and not any(d in days_off.get(p.agent_id, set()) for d in chunk)
        ]
        free.sort(key=lambda p: (tally[p.agent_id], last[p.agent_id], p.agent_id))
        pinned_people = tuple(by_id[a] for a in pinned if a in by_id)
        chosen: tuple[Person, ...] = ()
        if need:
            if len(free) < need:
                chosen = tuple(free)
                plan.warnings.append(
                    _("%(day)s: only %(free)d of %(need)d people are free.")
                    % {"day": chunk[0], "free": len(free), "need": need}
                )
            else:
                # Fairest first; a bounded search (see MAX_GROUPS) so that a rota where no
                # group keeps the rules never tries every combination of its people.
                options = itertools.islice(itertools.combinations(free, need), MAX_GROUPS)
                chosen = next((c for c in options if _group_ok(pinned_people + c)), ())
                if not chosen:
                    chosen = tuple(free[:need])
                    for problem in check_day(pinned_people + chosen):
                        plan.warnings.append(f"{chunk[0]}: {problem}")
        for day in chunk:
            on_day = list(fixed.get(day, []))
            for agent_id in on_day:
                if agent_id in tally:
                    tally[agent_id] += 1
                    last[agent_id] = day
            for p in chosen:
                if p.agent_id not in on_day:
                    on_day.append(p.agent_id)
                    tally[p.agent_id] += 1
                    last[p.agent_id] = day
            plan.days[day] = on_day
    return plan
