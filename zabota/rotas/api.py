"""HTTP API of rotas (thin: parse, call a query or an action).

- ``GET /rotas``: every rota (any agent; the feed token is never shown).
- ``GET /rotas/{rota_id}/shifts?since=&until=``: shifts of a date range (at most 366 days), each
  with its start and end in the rota's time zone.
- ``GET /rotas/on-shift?team_id=``: who is on shift in a team now; ``restricted`` is false when
  the team has no active rota (then shifts don't restrict routing).
- ``POST /rotas/{rota_id}/generate``: plan a month (admins and the team lead); the warnings back.
- ``POST /rotas/{rota_id}/swap``: exchange two shifts (editors, or a person on one of them).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from zabota.accounts.auth import actor
from zabota.accounts.models import Team
from zabota.core import clock
from zabota.core.errors import NotFound, ValidationFailed
from zabota.core.schemas import Out
from zabota.rotas import actions
from zabota.rotas.models import Rota
from zabota.rotas.queries import get_rota, on_shift_agent_ids, rotas_for, shifts_between

router = Router(tags=["rotas"])


class RotaOut(Out):
    id: int
    name: str
    team_id: int
    timezone: str
    shift_start: time
    shift_end: time
    pattern: str
    people_per_shift: int
    period_days: int
    weekdays_only: bool
    yearly_target_days: int
    is_active: bool


class ShiftOut(Out):
    id: int
    date: date
    agent_id: int
    agent: str
    starts_at: datetime
    ends_at: datetime
    is_generated: bool
    swapped_from_id: int | None


class OnShiftOut(Out):
    team_id: int
    restricted: bool
    agent_ids: list[int]


class GenerateIn(Schema):
    year: int = Field(..., ge=2000, le=2100)
    month: int = Field(..., ge=1, le=12)


class SwapIn(Schema):
    shift_id: int = Field(..., ge=1, le=2**31 - 1)
    other_shift_id: int = Field(..., ge=1, le=2**31 - 1)


class WarningsOut(Out):
    warnings: list[str]


class RangeIn(Schema):
    since: date | None = None
    until: date | None = None


def _rota(request: HttpRequest, rota_id: int) -> Rota:
    if not 1 <= rota_id <= 2**31 - 1:
        raise NotFound(f"rota {rota_id} not found")
    return get_rota(actor(request), rota_id)


@router.get("/rotas", response=list[RotaOut], summary="Rotas")
def list_rotas(request: HttpRequest) -> list[Rota]:
    return list(rotas_for(actor(request)).order_by("name", "id"))


@router.get("/rotas/on-shift", response=OnShiftOut, summary="Who is on shift in a team now")
def on_shift(request: HttpRequest, team_id: int = Query(..., ge=1, le=2**31 - 1)) -> dict[str, Any]:  # noqa: B008
    actor(request)
    if not Team.objects.filter(pk=team_id).exists():
        raise NotFound(f"team {team_id} not found")
    ids = on_shift_agent_ids(team_id=team_id, at=clock.now())
    return {"team_id": team_id, "restricted": ids is not None, "agent_ids": sorted(ids or [])}


@router.get(
    "/rotas/{rota_id}/shifts", response=list[ShiftOut], summary="Shifts of a date range (default: this month)"
)
def list_shifts(request: HttpRequest, rota_id: int, filters: Query[RangeIn]) -> list[dict[str, Any]]:
    rota = _rota(request, rota_id)
    for value in (filters.since, filters.until):
        if value is not None and not actions.FIRST_DAY <= value <= actions.LAST_DAY:
            raise ValidationFailed(
                f"dates run from {actions.FIRST_DAY} to {actions.LAST_DAY}", fields={"since": "range"}
            )
    today = actions.today_of(rota)
    since = filters.since or today.replace(day=1)
    until = filters.until or (since.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    if until < since or (until - since).days > 366:
        raise ValidationFailed("until must be after since, at most 366 days later", fields={"until": "range"})
    rows = []
    for shift in shifts_between(rota, since, until):
        start, end = rota.window(shift.date)
        rows.append(
            {
                "id": shift.pk,
                "date": shift.date,
                "agent_id": shift.agent_id,
                "agent": str(shift.agent),
                "starts_at": start,
                "ends_at": end,
                "is_generated": shift.is_generated,
                "swapped_from_id": shift.swapped_from_id,
            }
        )
    return rows


@router.post(
    "/rotas/{rota_id}/generate", response=WarningsOut, summary="Plan a month (admins, the team lead)"
)
def generate(request: HttpRequest, rota_id: int, payload: GenerateIn) -> dict[str, Any]:
    rota = _rota(request, rota_id)
    warnings = actions.generate_month(actor=actor(request), rota=rota, year=payload.year, month=payload.month)
    return {"warnings": warnings}


@router.post("/rotas/{rota_id}/swap", response=WarningsOut, summary="Swap two shifts")
def swap(request: HttpRequest, rota_id: int, payload: SwapIn) -> dict[str, Any]:
    rota = _rota(request, rota_id)
    warnings = actions.swap_shifts(
        actor=actor(request), rota=rota, shift_id=payload.shift_id, other_shift_id=payload.other_shift_id
    )
    return {"warnings": warnings}
