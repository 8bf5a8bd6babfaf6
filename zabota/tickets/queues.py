"""The inbox's views: the built-in queues and agents' saved views, as ``TicketFilter``s.

A view is a named ``TicketFilter``. Built-ins are fixed here (their filters depend on the agent:
"Mine" is the agent's own tickets, "My teams" their teams'); a saved view stores the inbox filter
form's cleaned values as JSON (``SavedView.filters``), turned back into a filter by
``saved_filter`` without touching the database, so counting every view of the sidebar costs one
query per view.

Reads of saved views are permission-scoped like tickets: an agent sees their own views and the
shared ones; another agent's private view is NotFound, the same as a missing one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Case, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zabota.accounts.models import Agent
from zabota.accounts.queries import team_ids_of
from zabota.core import clock
from zabota.core.errors import NotFound
from zabota.tickets.choices import Channel, Kind, Priority, Status
from zabota.tickets.models import SavedView
from zabota.tickets.queries import MAX_FILTER_TAGS, SLA_STATES, SORTS, TicketFilter, open_team_ids

ACTIVE = [Status.NEW.value, Status.OPEN.value]
UNSOLVED = [Status.NEW.value, Status.OPEN.value, Status.PENDING.value, Status.ON_HOLD.value]
SOLVED_RECENTLY = timedelta(days=7)
SIDEBAR_SAVED_VIEWS = 30  # saved views listed (and counted) in the sidebar


@dataclass(frozen=True)
class BuiltinView:
    slug: str
    label: Any  # a lazy translation
    default_sort: str


BUILTIN_VIEWS: tuple[BuiltinView, ...] = (
    BuiltinView("mine", _("Mine"), "queue"),
    BuiltinView("unassigned", _("Unassigned"), "queue"),
    BuiltinView("teams", _("My teams"), "queue"),
    BuiltinView("open", _("All open"), "queue"),
    BuiltinView("pending", pgettext_lazy("inbox view", "Pending"), "updated"),
    BuiltinView("on-hold", pgettext_lazy("inbox view", "On hold"), "updated"),
    BuiltinView("solved", _("Solved recently"), "updated"),
    # SLA: unsolved tickets whose nearest clock is past its warning time / its due time.
    BuiltinView("at-risk", _("At risk"), "due"),
    BuiltinView("breached", _("Breached"), "due"),
)
BUILTIN_BY_SLUG = {v.slug: v for v in BUILTIN_VIEWS}


def builtin_filter(agent: Agent, slug: str, *, sort: str | None = None) -> TicketFilter:
    """The filter of built-in view ``slug`` for ``agent`` (NotFound for an unknown slug)."""
    view = BUILTIN_BY_SLUG.get(slug)
    if view is None:
        raise NotFound(f"no inbox view {slug!r}")
    flt = TicketFilter(sort=sort if sort in SORTS else view.default_sort)
    if slug == "mine":
        flt.status, flt.assignee_id = list(UNSOLVED), agent.pk
    elif slug == "unassigned":
        flt.status, flt.unassigned = list(ACTIVE), True
    elif slug == "teams":
        open_team_ids(agent)  # one query that also fills the agent's team list
        flt.status, flt.team_ids = list(ACTIVE), list(team_ids_of(agent))
    elif slug == "open":
        flt.status = list(ACTIVE)
    elif slug == "pending":
        flt.status = [Status.PENDING.value]
    elif slug == "on-hold":
        flt.status = [Status.ON_HOLD.value]
    elif slug == "solved":
        flt.status, flt.solved_since = [Status.SOLVED.value], clock.now() - SOLVED_RECENTLY
    elif slug == "at-risk":
        flt.status, flt.sla = list(UNSOLVED), ["at_risk"]
    elif slug == "breached":
        flt.status, flt.sla = list(UNSOLVED), ["breached"]
    return flt


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value < 2**62 else None
    if isinstance(value, str) and value.isdigit() and len(value) < 19:
        return int(value) or None
    return None


def _strings(value: Any, allowed: list[str]) -> list[str]:
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, str) and v in allowed]


def _day(value: Any, *, next_day: bool = False) -> datetime | None:
    """The start of a YYYY-MM-DD day (of the next day, for an inclusive end) in the current
    timezone: the viewing agent's."""
    try:
        day = date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    if day is None or not 1900 <= day.year <= 9000:
        return None
    if next_day:
        day += timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, time.min))


def _moment(value: Any) -> datetime | None:
    """An ISO date and time (a naive one in the current timezone: the viewing agent's)."""
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    if moment is None or not 1900 <= moment.year <= 9000:
        return None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def saved_filter(agent: Agent, filters: dict[str, Any], *, sort: str | None = None) -> TicketFilter:
    """A ``TicketFilter`` from a saved view's JSON (the inbox filter form's cleaned values).

    Tolerant: a value that is no longer valid (a hand-edited row, a removed choice) is ignored
    rather than breaking the inbox. No queries, except "my teams" (the agent's team ids, cached).
    """
    data = filters if isinstance(filters, dict) else {}
    priorities = {p.name.lower(): int(p) for p in Priority}
    flt = TicketFilter(
        status=_strings(data.get("status"), list(Status.values)),
        priority=[priorities[p] for p in _strings(data.get("priority"), list(priorities))],
        kind=_strings(data.get("kind"), list(Kind.values)),
        channel=_strings(data.get("channel"), list(Channel.values)),
        tier_id=_int(data.get("tier")),
        organization_id=_int(data.get("organization")),
        project_id=_int(data.get("project")),
        requester_id=_int(data.get("requester")),
        inbox_id=_int(data.get("inbox")),
        created_since=_day(data.get("created_from")),
        created_before=_day(data.get("created_to"), next_day=True),
        updated_since=_day(data.get("updated_from")),
        updated_before=_day(data.get("updated_to"), next_day=True),
        sla=_strings(data.get("sla"), list(SLA_STATES)),
        sla_due_before=_moment(data.get("sla_due_before")),
    )
    tags = data.get("tag")  # a list; a single string in views saved before tags were a list
    for tag in [tags] if isinstance(tags, str) else tags if isinstance(tags, list) else []:
        if isinstance(tag, str) and tag.strip() and len(flt.tags) < MAX_FILTER_TAGS:
            flt.tags.append(tag.strip()[:64])
    key, value = data.get("custom_field"), data.get("custom_value")
    if isinstance(key, str) and isinstance(value, str | int | float | bool):
        flt.custom_fields = {key: value}
    assignee = data.get("assignee")
    if assignee == "me":
        flt.assignee_id = agent.pk
    elif assignee == "unassigned":
        flt.unassigned = True
    else:
        flt.assignee_id = _int(assignee)
    team = data.get("team")
    if team == "mine":
        open_team_ids(agent)  # one query that also fills the agent's team list
        flt.team_ids = list(team_ids_of(agent))
    else:
        flt.team_id = _int(team)
    wanted = sort or data.get("sort")
    flt.sort = wanted if isinstance(wanted, str) and wanted in SORTS else "queue"
    return flt


def visible_saved_views(agent: Agent) -> QuerySet[SavedView]:
    """The agent's own saved views and every shared one, in sidebar order (own first)."""
    own_first = Case(When(owner_id=agent.pk, then=Value(0)), default=Value(1))
    return SavedView.objects.filter(Q(owner_id=agent.pk) | Q(shared=True)).order_by(
        own_first, "position", "name", "id"
    )


def access_saved_view(agent: Agent, view_id: int) -> SavedView:
    """A saved view the agent may use (own or shared); NotFound otherwise."""
    view = visible_saved_views(agent).filter(pk=view_id).first()
    if view is None:
        raise NotFound(f"saved view {view_id} not found")
    return view


def may_edit_saved_view(agent: Agent, view: SavedView) -> bool:
    """The owner edits their view; an admin may also tidy up shared ones."""
    return view.owner_id == agent.pk or (view.shared and agent.is_admin)
