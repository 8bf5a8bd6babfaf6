"""Reads of rotas and shifts.

For routing (``zabota.routing``):

- ``on_shift_agent_ids(team_id=, at=)``: the ids of the agents on shift at ``at`` on the team's
  active rotas; **None** when the team has no active rota (shifts then don't restrict who
  receives tickets); an empty set when it has one but nobody is on shift.
- ``shifts_ending(since, until)``: the shifts whose end falls in ``(since, until]``, as
  :class:`EndedShift` (team, agent, end). A job that runs every minute can pass the previous
  run's time and now to find the agents whose shift just ended.

A shift of local date D runs from D at ``shift_start`` to ``shift_end`` the same day, or the
next day when the end is at or before the start (so a 22:00-06:00 rota's Monday shift ends on
Tuesday morning), in the rota's time zone. Both queries read one or two queries whatever the
number of rotas.

For the pages: rotas, members, a month of shifts, the "days on support this year" tracker and
the leaderboard of what people did on their shift days (``zabota.rotas.stats``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Q, QuerySet

from zabota.accounts.models import Agent
from zabota.rotas.models import DayOff, Rota, RotaMember, Shift, ShiftLog


def _local_dates(rotas: list[Rota], start: datetime, end: datetime) -> set[date]:
    """Local dates of shifts that may overlap [start, end] in any of ``rotas``."""
    days: set[date] = set()
    for rota in rotas:
        first = start.astimezone(rota.tz).date() - timedelta(days=1)
        last = end.astimezone(rota.tz).date()
        day = first
        while day <= last:
            days.add(day)
            day += timedelta(days=1)
    return days


def on_shift_agent_ids(*, team_id: int, at: datetime) -> set[int] | None:
    """Who is on shift in the team at ``at``; None when the team has no active rota."""
    rotas = {r.pk: r for r in Rota.objects.filter(team_id=team_id, is_active=True)}
    if not rotas:
        return None
    days = _local_dates(list(rotas.values()), at, at)
    on: set[int] = set()
    for rota_id, agent_id, day in Shift.objects.filter(rota_id__in=list(rotas), date__in=days).values_list(
        "rota_id", "agent_id", "date"
    ):
        start, end = rotas[rota_id].window(day)
        if start <= at < end:
            on.add(agent_id)
    return on


def on_shift_by_rota(rotas: list[Rota], at: datetime) -> dict[int, list[Agent]]:
    """Who is on shift at ``at`` on each of the active ``rotas`` (one query)."""
    active = {r.pk: r for r in rotas if r.is_active}
    result: dict[int, list[Agent]] = defaultdict(list)
    if not active:
        return result
    days = _local_dates(list(active.values()), at, at)
    shifts = Shift.objects.filter(rota_id__in=list(active), date__in=days).select_related("agent")
    for shift in shifts.order_by("agent__name", "id"):
        start, end = active[shift.rota_id].window(shift.date)
        if start <= at < end:
            result[shift.rota_id].append(shift.agent)
    return result


@dataclass(frozen=True)
class EndedShift:
    """A shift that ended: whose, on which team, and when."""

    shift_id: int
    rota_id: int
    team_id: int
    agent_id: int
    ended_at: datetime


def shifts_ending(since: datetime, until: datetime) -> list[EndedShift]:
    """Shifts of active rotas whose end falls in ``(since, until]``, ordered by end."""
    rotas = {r.pk: r for r in Rota.objects.filter(is_active=True)}
    if not rotas:
        return []
    days = _local_dates(list(rotas.values()), since - timedelta(days=1), until)
    found: list[EndedShift] = []
    rows = Shift.objects.filter(rota_id__in=list(rotas), date__in=days).values_list(
        "pk", "rota_id", "agent_id", "date"
    )
    for pk, rota_id, agent_id, day in rows:
        rota = rotas[rota_id]
        _, end = rota.window(day)
        if since < end <= until:
            found.append(EndedShift(pk, rota_id, rota.team_id, agent_id, end))
    return sorted(found, key=lambda e: (e.ended_at, e.shift_id))


def can_edit(actor: Agent, rota: Rota) -> bool:
    """Admins and the lead of the rota's team change a rota and its shifts."""
    return actor.is_active and (
        actor.is_admin or (rota.team.lead_id is not None and rota.team.lead_id == actor.pk)
    )


def rotas_for(actor: Agent) -> QuerySet[Rota]:
    """Rotas any active agent may look at (rotas are not secret inside the workspace)."""
    if not actor.is_active:
        return Rota.objects.none()
    return Rota.objects.select_related("team").annotate(member_count=Count("members", distinct=True))


def get_rota(actor: Agent, rota_id: int) -> Rota:
    from zabota.core.errors import NotFound

    rota = rotas_for(actor).filter(pk=rota_id).first()
    if rota is None:
        raise NotFound("rota")
    return rota


def members_of(rota: Rota) -> list[RotaMember]:
    return list(
        RotaMember.objects.filter(rota=rota).select_related("agent").order_by("agent__name", "agent__email")
    )


def shifts_between(rota: Rota, first: date, last: date) -> list[Shift]:
    return list(
        Shift.objects.filter(rota=rota, date__gte=first, date__lte=last)
        .select_related("agent", "swapped_from")
        .order_by("date", "agent__name", "id")
    )


def days_off_between(agent_ids: list[int], first: date, last: date) -> dict[int, set[date]]:
    """Each agent's days off within [first, last], in one query."""
    result: dict[int, set[date]] = defaultdict(set)
    rows = DayOff.objects.filter(agent_id__in=agent_ids, start_date__lte=last, end_date__gte=first)
    for row in rows:
        day = max(row.start_date, first)
        while day <= min(row.end_date, last):
            result[row.agent_id].add(day)
            day += timedelta(days=1)
    return result


def days_off_of(agent_ids: list[int], since: date) -> list[DayOff]:
    return list(DayOff.objects.filter(agent_id__in=agent_ids, end_date__gte=since).select_related("agent"))


def recent_log(rota: Rota, limit: int = 20) -> list[ShiftLog]:
    return list(ShiftLog.objects.filter(rota=rota).select_related("actor", "agent", "other_agent")[:limit])


def my_shifts(actor: Agent, since: date, limit: int = 10) -> list[Shift]:
    """The actor's next shifts on active rotas."""
    return list(
        Shift.objects.filter(agent=actor, date__gte=since, rota__is_active=True)
        .select_related("rota", "swapped_from")
        .order_by("date")[:limit]
    )


def shift_counts(rota: Rota, first: date, last: date, *, exclude: Q | None = None) -> dict[int, int]:
    """Shift days per agent on ``rota`` within [first, last], in one query."""
    qs = Shift.objects.filter(rota=rota, date__gte=first, date__lte=last)
    if exclude is not None:
        qs = qs.exclude(exclude)
    return dict(qs.values("agent_id").annotate(n=Count("id")).values_list("agent_id", "n"))
