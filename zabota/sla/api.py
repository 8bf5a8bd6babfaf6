"""HTTP API of the SLA context, and the ``sla`` object tickets carry in the tickets API.

- ``GET /sla/policies``: the policies in the order they are tried, with targets (any agent: a
  policy is no secret to the people working under it).
- ``GET /sla/recompute-jobs/{job_id}``: a background recomputation's progress (admins).

``TicketSla`` is the shape of ``sla`` on every ticket of ``GET /tickets`` and
``GET /tickets/{id}`` (filled by ``zabota.sla.views_clocks.api_sla``): the policy, each clock
with its due time, seconds left (negative when breached) and state, and past breaches. The SLA
filters and the "due" sort of ``GET /tickets`` are the one ``TicketFilter``'s.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Router

from zabota.accounts.auth import actor
from zabota.core.errors import NotFound, PermissionDenied
from zabota.core.schemas import Out
from zabota.sla.models import Policy, RecomputeJob, Target

router = Router(tags=["sla"])

MetricName = Literal["first_response", "next_response", "resolution"]
ClockStateName = Literal["running", "paused", "done", "at_risk", "breached"]


class SlaPolicyRef(Out):
    id: int
    name: str


class SlaClock(Out):
    metric: MetricName
    due_at: datetime | None
    seconds_left: int | None
    state: ClockStateName


class SlaBreach(Out):
    metric: MetricName
    at: datetime
    due_at: datetime


class TicketSla(Out):
    """A ticket's SLA: no policy means no clocks."""

    policy: SlaPolicyRef | None
    clocks: list[SlaClock]
    breaches: list[SlaBreach]


class SlaTargetOut(Out):
    metric: MetricName
    channel: str
    minutes: int
    business_hours: bool


class SlaPolicyOut(Out):
    id: int
    name: str
    position: int
    is_active: bool
    calendar: SlaPolicyRef | None
    warning_percent: int
    pause_on_hold: bool
    channels: list[str]
    priorities: list[int]
    kinds: list[str]
    tier_ids: list[int]
    targets: list[SlaTargetOut]


class RecomputeJobOut(Out):
    id: int
    reason: str
    total: int
    done: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str


@router.get("/sla/policies", response=list[SlaPolicyOut], summary="SLA policies in order")
def policies(request: HttpRequest) -> list[dict[str, Any]]:
    actor(request)
    out = []
    for p in (
        Policy.objects.select_related("calendar")
        .prefetch_related(Prefetch("targets", queryset=Target.objects.order_by("metric", "channel")), "tiers")
        .order_by("position", "id")
    ):
        out.append(
            {
                "id": p.pk,
                "name": p.name,
                "position": p.position,
                "is_active": p.is_active,
                "calendar": {"id": p.calendar.pk, "name": p.calendar.name} if p.calendar else None,
                "warning_percent": p.warning_percent,
                "pause_on_hold": p.pause_on_hold,
                "channels": list(p.channels or []),
                "priorities": list(p.priorities or []),
                "kinds": list(p.kinds or []),
                "tier_ids": sorted(t.pk for t in p.tiers.all()),
                "targets": [
                    {
                        "metric": t.metric,
                        "channel": t.channel,
                        "minutes": t.minutes,
                        "business_hours": t.business_hours,
                    }
                    for t in p.targets.all()
                ],
            }
        )
    return out


@router.get(
    "/sla/recompute-jobs/{job_id}", response=RecomputeJobOut, summary="Progress of an SLA recomputation"
)
def recompute_job(request: HttpRequest, job_id: int) -> RecomputeJob:
    if not actor(request).is_admin:
        raise PermissionDenied("only admins can see SLA recomputations")
    job = RecomputeJob.objects.filter(pk=job_id).first()
    if job is None:
        raise NotFound(f"recompute job {job_id} not found")
    return job
