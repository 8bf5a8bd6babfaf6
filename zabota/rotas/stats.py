"""Numbers about support duty: the "days on support this year" tracker and a rota's leaderboard.

**Tracker** (``tracker``): every active agent and collaborator (managers and admins included),
their shift days this year on all rotas (done: up to today; planned: after today), against the
target: the largest ``yearly_target_days`` of the active rotas they are on, else of all active
rotas (2 when there is none). Who is below target is flagged. Two queries.

**Leaderboard** (``leaderboard``): for a rota and a date range, per person with shifts on it:
their shift days, the tickets they replied to publicly on those days, and the tickets they
solved on those days. A "day" is the local date in the rota's time zone (a shift crossing
midnight counts the day it starts). One aggregate query per table (Shift, Message, Activity):
rows grouped by person and local date, then summed over the person's shift days in Python, so
a ticket replied to on two shift days counts twice (once per day).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Max, Q
from django.db.models.functions import TruncDate

from zabota.accounts.models import Agent
from zabota.rotas.models import Rota, RotaMember, Shift
from zabota.tickets.choices import MessageKind, Status
from zabota.tickets.models import Activity, Message

DEFAULT_TARGET = 2


@dataclass(frozen=True)
class TrackerRow:
    agent: Agent
    done: int
    planned: int
    target: int

    @property
    def total(self) -> int:
        return self.done + self.planned

    @property
    def below_target(self) -> bool:
        return self.total < self.target


def tracker(year: int, today: date) -> list[TrackerRow]:
    """Everyone's days on support in ``year`` against their target, lowest first."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    counts = (
        Shift.objects.filter(date__gte=first, date__lte=last, agent__is_active=True)
        .values("agent_id")
        .annotate(
            done=Count("id", filter=Q(date__lte=today)),
            planned=Count("id", filter=Q(date__gt=today)),
        )
    )
    by_agent = {row["agent_id"]: (row["done"], row["planned"]) for row in counts}
    targets = dict(
        RotaMember.objects.filter(rota__is_active=True)
        .values("agent_id")
        .annotate(t=Max("rota__yearly_target_days"))
        .values_list("agent_id", "t")
    )
    default = Rota.objects.filter(is_active=True).aggregate(t=Max("yearly_target_days"))["t"]
    default = DEFAULT_TARGET if default is None else default
    rows = [
        TrackerRow(
            agent=agent,
            done=by_agent.get(agent.pk, (0, 0))[0],
            planned=by_agent.get(agent.pk, (0, 0))[1],
            target=targets.get(agent.pk, default),
        )
        for agent in Agent.objects.filter(is_active=True).order_by("name", "email")
    ]
    return sorted(rows, key=lambda r: (r.total - r.target, str(r.agent).lower()))


@dataclass(frozen=True)
class BoardRow:
    agent: Agent
    shift_days: int
    replied: int
    solved: int


def _per_day(rows: object) -> dict[tuple[int, date], int]:
    return {(r["who"], r["day"]): r["n"] for r in rows}  # type: ignore[attr-defined]


def leaderboard(rota: Rota, first: date, last: date) -> list[BoardRow]:
    """What each person did on their shift days of ``rota`` within [first, last], best first."""
    tz = rota.tz
    shift_days: dict[int, set[date]] = defaultdict(set)
    for agent_id, day in Shift.objects.filter(rota=rota, date__gte=first, date__lte=last).values_list(
        "agent_id", "date"
    ):
        shift_days[agent_id].add(day)
    if not shift_days:
        return []
    ids = list(shift_days)
    since = datetime.combine(first, time(0), tzinfo=tz)
    until = datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz)
    replies = _per_day(
        Message.objects.filter(
            author_agent_id__in=ids, kind=MessageKind.REPLY, created_at__gte=since, created_at__lt=until
        )
        .annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("author_agent_id", "day")
        .annotate(who=Max("author_agent_id"), n=Count("ticket_id", distinct=True))
        .values("who", "day", "n")
    )
    solves = _per_day(
        Activity.objects.filter(
            actor_agent_id__in=ids,
            verb="changed",
            field="status",
            after=Status.SOLVED.value,
            created_at__gte=since,
            created_at__lt=until,
        )
        .annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("actor_agent_id", "day")
        .annotate(who=Max("actor_agent_id"), n=Count("ticket_id", distinct=True))
        .values("who", "day", "n")
    )
    agents = Agent.objects.in_bulk(ids)
    rows = [
        BoardRow(
            agent=agents[agent_id],
            shift_days=len(days),
            replied=sum(replies.get((agent_id, d), 0) for d in days),
            solved=sum(solves.get((agent_id, d), 0) for d in days),
        )
        for agent_id, days in shift_days.items()
        if agent_id in agents
    ]
    return sorted(rows, key=lambda r: (-r.solved, -r.replied, -r.shift_days, str(r.agent).lower()))
