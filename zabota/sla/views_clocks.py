"""How SLA clocks are shown: on inbox rows, in the ticket page's side panel, and in the API.

Presentation only: the state of each metric comes from the engine (``zabota.sla.queries``:
``clock_state``, ``nearest``, ``ticket_clocks``). Callers pass tickets the actor may already see
(list rows, ``access_ticket``); nothing here widens visibility. Every function costs a fixed
number of queries whatever the number of tickets: one for a page's clocks, one more for the
API's breaches.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from zabota.core import clock
from zabota.sla.models import AlertKind, Metric, SlaAlert, TicketClock
from zabota.sla.queries import ClockState, MetricState, clock_state, nearest, ticket_clocks
from zabota.tickets.models import Ticket

STATE_LABELS = {
    ClockState.RUNNING: gettext_lazy("running"),
    ClockState.AT_RISK: gettext_lazy("at risk"),
    ClockState.BREACHED: gettext_lazy("breached"),
    ClockState.PAUSED: gettext_lazy("paused"),
    ClockState.DONE: gettext_lazy("done"),
}
MAX_BREACHES_SHOWN = 10


def span(seconds: int) -> str:
    """``3d 4h``, ``2h 05m``, ``4m 09s``: the same text the browser's countdown writes."""
    units = pgettext("sla clock units: days hours minutes seconds", "d h m s").split(" ")
    if len(units) != 4:
        units = ["d", "h", "m", "s"]
    s = abs(int(seconds))
    d, h, m, sec = s // 86400, (s % 86400) // 3600, (s % 3600) // 60, s % 60
    if d:
        return f"{d}{units[0]} {h}{units[1]}"
    if h:
        return f"{h}{units[1]} {m:02d}{units[2]}"
    return f"{m}{units[2]} {sec:02d}{units[3]}"


def left_text(state: MetricState) -> str:
    """What a clock says: time left, how late, paused with business time left, or done."""
    seconds = state.seconds_left
    if state.state == ClockState.DONE:
        if state.metric == Metric.RESOLUTION or seconds is None:
            return _("done")
        return _("met") if seconds >= 0 else _("met late by %(t)s") % {"t": span(seconds)}
    if state.state == ClockState.PAUSED:
        if seconds is None:
            return _("paused")
        return _("paused, %(t)s left") % {"t": span(max(seconds, 0))}
    if seconds is None:
        return ""
    if seconds < 0:
        return _("overdue by %(t)s") % {"t": span(seconds)}
    return _("%(t)s left") % {"t": span(seconds)}


def present_state(state: MetricState) -> dict[str, Any]:
    """A metric for a template: ``ticks`` is true when the browser should count it down."""
    ticking = state.state in (ClockState.RUNNING, ClockState.AT_RISK, ClockState.BREACHED)
    return {
        "metric": state.metric,
        "label": state.label,
        "state": state.state,
        "state_label": STATE_LABELS.get(state.state, state.state),
        "due_at": state.due_at,
        "seconds_left": state.seconds_left,
        "text": left_text(state),
        "ticks": ticking and state.due_at is not None,
        "business_hours": state.business_hours,
    }


def attach_row_clocks(rows: Sequence[dict[str, Any]], *, now: datetime | None = None) -> None:
    """Put each list row's nearest running clock in ``row["sla"]`` (None without one): one query
    for the whole page."""
    now = now or clock.now()
    clocks = ticket_clocks([r["id"] for r in rows])
    for row in rows:
        found = clocks.get(row["id"])
        state = nearest(clock_state(found, now)) if found is not None and found.policy_id else None
        row["sla"] = present_state(state) if state is not None else None


def panel(ticket: Ticket, *, now: datetime | None = None) -> dict[str, Any]:
    """The side panel's SLA section of one (visible) ticket: the policy, each clock, how long
    the customer has been waiting for us, past breaches. Two queries."""
    now = now or clock.now()
    ticket_id = ticket.pk
    found = ticket_clocks([ticket_id]).get(ticket_id)
    if found is None or found.policy_id is None:
        return {"has_sla": False}
    # Waiting on us: since their unanswered message, or since they wrote in when nobody has
    # answered yet. A hand-off (another team, on hold) changes neither.
    waiting_since = found.awaiting_since
    if waiting_since is None and found.first_response_at is None and found.resolved_at is None:
        waiting_since = ticket.created_at
    if found.responses_paused:
        waiting_since = None
    breaches = list(
        SlaAlert.objects.filter(ticket_id=ticket_id, kind=AlertKind.BREACH).order_by("-created_at", "-id")[
            :MAX_BREACHES_SHOWN
        ]
    )
    return {
        "has_sla": True,
        "policy": found.policy,
        "clocks": [present_state(s) for s in clock_state(found, now)],
        "breaches": breaches,
        "waiting_since": waiting_since,
        "waiting_for": span(int((now - waiting_since).total_seconds())) if waiting_since else "",
    }


# --- API -----------------------------------------------------------------------------------------


def _api_clock(tc: TicketClock | None, now: datetime) -> dict[str, Any]:
    if tc is None or tc.policy_id is None or tc.policy is None:
        return {"policy": None, "clocks": [], "breaches": []}
    return {
        "policy": {"id": tc.policy.pk, "name": tc.policy.name},
        "clocks": [
            {"metric": s.metric, "due_at": s.due_at, "seconds_left": s.seconds_left, "state": s.state}
            for s in clock_state(tc, now)
        ],
        "breaches": [],
    }


def api_sla(ticket_ids: Sequence[int], *, now: datetime | None = None) -> dict[int, dict[str, Any]]:
    """The API's ``sla`` object for each ticket: ``{policy, clocks, breaches}``. Two queries
    for any number of tickets (clocks with their policy; breaches)."""
    now = now or clock.now()
    ids = list(ticket_ids)
    clocks = ticket_clocks(ids)
    out = {i: _api_clock(clocks.get(i), now) for i in ids}
    if ids:
        for ticket_id, metric, at, due_at in (
            SlaAlert.objects.filter(ticket_id__in=ids, kind=AlertKind.BREACH)
            .order_by("created_at", "id")
            .values_list("ticket_id", "metric", "created_at", "due_at")
        ):
            out[ticket_id]["breaches"].append({"metric": metric, "at": at, "due_at": due_at})
    return out
