"""The ticket lists: one filter definition (``TicketFilter``) for the inbox, saved views and the API,
keyset-paged lists and counts, and the rows the lists show."""

from __future__ import annotations

import base64
import heapq
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import CharField, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.fields.json import KeyTransform
from django.db.models.functions import Coalesce, Concat, NullIf, Substr

from zabota.accounts.models import Agent, Role
from zabota.core import clock
from zabota.core.errors import ValidationFailed
from zabota.tickets.choices import Channel, CustomFieldType, Kind, MessageKind, Priority, Status
from zabota.tickets.models import (
    CustomFieldDefinition,
    Message,
    Tag,
    Ticket,
    TicketTag,
)
from zabota.tickets.queries.access import open_team_ids, visible_tickets

# --- Listing ---------------------------------------------------------------------------------

SORTS = ("queue", "newest", "oldest", "updated", "status", "assignee", "requester", "due")
# "due": the nearest SLA due time first (``TicketClock.due_at``, index ``sla_clock_due``), then the
# tickets with no running clock (newest-first ids do not matter there: oldest first). Read as two
# index ranges in turn, see ``_fetch_by_due``.
# SLA states a list can filter on (``TicketFilter.sla``), any of them: "breached" (a running
# clock's due time has passed), "at_risk" (past its warning time, not yet due), "paused" (a
# policy applies but the clocks wait: the ticket is pending, or on hold under a pausing policy),
# "none" (no policy applies).
SLA_STATES = ("at_risk", "breached", "paused", "none")
# "status": the workflow order (new, open, pending, on hold, solved, closed), each status in queue
# order: one index range per status (``ticket_status_queue``), read in turn until a page is full.
STATUS_ORDER: tuple[str, ...] = tuple(Status.values)
# Sorts by a person's name (then id). No index can serve them (the name lives on another table),
# so they are bounded instead: a view with more than ``NAME_SORT_MAX`` tickets is refused
# (``ValidationFailed`` on ``sort``, code "too_many") after one capped count, and a view within
# the bound is joined and sorted whole, which costs a few milliseconds at that size.
NAME_SORTS = ("assignee", "requester")
NAME_SORT_MAX = 5000
MAX_FILTER_TAGS = 10
MAX_CUSTOM_FIELD_CONDITIONS = 5
_CUSTOM_KEY = re.compile(r"^[-\w]{1,64}$")


@dataclass
class TicketFilter:
    """One filter definition for every ticket list: the API's list, the inbox's built-in and
    saved views, and (as a post-filter) search.

    ``team_ids`` is None for "any team"; an empty list matches nothing (an agent on no team
    has an empty "My teams"). ``solved_since`` keeps tickets solved at or after that moment.
    ``tag`` and ``tags``: the ticket carries every one of them. ``custom_fields``: key -> value,
    each an equality on that custom field (text, choice, number, integer, yes/no, date as text).
    Date bounds: ``*_since`` inclusive, ``*_before`` exclusive.
    ``sla``: tickets in any of these SLA states (``SLA_STATES``); ``sla_due_before``: tickets
    whose nearest SLA due time is before that moment.
    """

    status: list[str] = field(default_factory=list)
    priority: list[int] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    channel: list[str] = field(default_factory=list)
    assignee_id: int | None = None
    unassigned: bool = False
    team_id: int | None = None
    team_ids: list[int] | None = None
    tag: str | None = None
    tags: list[str] = field(default_factory=list)
    tier_id: int | None = None
    organization_id: int | None = None
    inbox_id: int | None = None
    requester_id: int | None = None
    project_id: int | None = None
    custom_fields: dict[str, Any] = field(default_factory=dict)
    created_since: datetime | None = None
    created_before: datetime | None = None
    updated_since: datetime | None = None
    updated_before: datetime | None = None
    solved_since: datetime | None = None
    sla: list[str] = field(default_factory=list)
    sla_due_before: datetime | None = None
    sort: str = "newest"

    def tag_names(self) -> list[str]:
        """Every tag the tickets must carry, normalised, each once."""
        names = [self.tag] if self.tag else []
        return list(dict.fromkeys(n.strip().lower() for n in [*names, *self.tags] if n and n.strip()))

    def validate(self) -> None:
        bad = [s for s in self.status if s not in Status.values]
        if bad:
            raise ValidationFailed(f"unknown status {bad[0]!r}", fields={"status": "invalid"})
        bad = [k for k in self.kind if k not in Kind.values]
        if bad:
            raise ValidationFailed(f"unknown kind {bad[0]!r}", fields={"kind": "invalid"})
        bad = [c for c in self.channel if c not in Channel.values]
        if bad:
            raise ValidationFailed(f"unknown channel {bad[0]!r}", fields={"channel": "invalid"})
        bad = [s for s in self.sla if s not in SLA_STATES]
        if bad:
            raise ValidationFailed(f"sla must be one of {', '.join(SLA_STATES)}", fields={"sla": "invalid"})
        if self.sort not in SORTS:
            raise ValidationFailed(f"sort must be one of {', '.join(SORTS)}", fields={"sort": "invalid"})
        if any(len(name) > 64 for name in self.tag_names()):
            raise ValidationFailed("a tag has at most 64 characters", fields={"tag": "invalid"})
        if len(self.tag_names()) > MAX_FILTER_TAGS:
            raise ValidationFailed(f"at most {MAX_FILTER_TAGS} tags", fields={"tag": "too_many"})
        if len(self.custom_fields) > MAX_CUSTOM_FIELD_CONDITIONS:
            raise ValidationFailed(
                f"at most {MAX_CUSTOM_FIELD_CONDITIONS} custom field conditions",
                fields={"custom_field": "too_many"},
            )
        for key, value in self.custom_fields.items():
            if not isinstance(key, str) or not _CUSTOM_KEY.match(key):
                raise ValidationFailed("a custom field key is not valid", fields={"custom_field": "invalid"})
            if not isinstance(value, str | int | float | bool) or (
                isinstance(value, str) and len(value) > 2000
            ):
                raise ValidationFailed(
                    f"custom field {key!r}: the value is not valid", fields={"custom_field": "invalid"}
                )

    def matches_nothing(self) -> bool:
        return self.team_ids is not None and not self.team_ids


# A cursor's longest form is a name sort's: a name of up to 254 characters (UTF-8, in base64).
CURSOR_MAX_CHARS = 1000


def custom_field_condition(key: str, raw: str) -> tuple[str, Any]:
    """A filter condition on custom field ``key`` from its text (a query parameter, a form
    field): (key, the value typed as the field's definition says). One query."""
    definition = CustomFieldDefinition.objects.filter(key=key).values_list("type", "choices").first()
    if definition is None:
        raise ValidationFailed(f"unknown custom field {key!r}", fields={"custom_field": "unknown"})
    return key, custom_field_value(key, definition[0], definition[1], raw)


def custom_field_value(key: str, type_: str, choices: list[Any] | None, raw: str) -> Any:
    """The text ``raw`` as a value of a custom field of ``type_``, or ValidationFailed.

    Yes/no takes true/false, yes/no, 1/0 (and да/нет); a choice must be one of the field's
    choices; a date is YYYY-MM-DD; a number or an integer is parsed as one.
    """
    text = (raw or "").strip()

    def bad(why: str) -> ValidationFailed:
        return ValidationFailed(f"custom field {key!r}: {why}", fields={"custom_value": "invalid"})

    if type_ == CustomFieldType.BOOLEAN:
        truth = {
            "true": True,
            "yes": True,
            "1": True,
            "да": True,
            "false": False,
            "no": False,
            "0": False,
            "нет": False,
        }
        if text.lower() not in truth:
            raise bad("must be true or false")
        return truth[text.lower()]
    if type_ == CustomFieldType.INTEGER:
        try:
            number = int(text)
        except ValueError as exc:
            raise bad("must be a whole number") from exc
        if not -(2**62) < number < 2**62:
            raise bad("is out of range")
        return number
    if type_ == CustomFieldType.NUMBER:
        try:
            value = float(text)
        except ValueError as exc:
            raise bad("must be a number") from exc
        if value != value or value in (float("inf"), float("-inf")):
            raise bad("must be a finite number")
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if type_ == CustomFieldType.DATE:
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError as exc:
            raise bad("must be a date YYYY-MM-DD") from exc
    if type_ == CustomFieldType.CHOICE and text not in [str(c) for c in choices or []]:
        raise bad("is not one of the field's choices")
    if not text or len(text) > 2000:
        raise bad("must be 1 to 2000 characters")
    return text


def _cursor_encode(values: Sequence[Any]) -> str:
    raw = json.dumps(list(values), default=str, ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _cursor_decode(cursor: str, kinds: str) -> list[Any]:
    """The values of a cursor, checked against ``kinds`` ("i" an integer, "d" a timestamp, "s"
    a name), so a tampered cursor is a 422, never a database error."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != len(kinds):
            raise ValueError
        out: list[Any] = []
        for kind, value in zip(kinds, values, strict=True):
            if kind == "i":
                if isinstance(value, bool) or not isinstance(value, int) or not -(2**62) < value < 2**62:
                    raise ValueError
                out.append(value)
            elif kind == "s":
                if not isinstance(value, str) or len(value) > 300 or "\x00" in value:
                    raise ValueError
                out.append(value)
            else:
                out.append(clock.checked(datetime.fromisoformat(value)))
        return out
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise ValidationFailed("cursor is not valid", fields={"cursor": "invalid"}) from exc


@dataclass
class Page:
    items: list[dict[str, Any]]  # rows from load_rows
    next_cursor: str | None


def _sees_whole_range(actor: Agent, flt: TicketFilter) -> bool:
    """True when every ticket the filter selects is visible anyway, so the query needs no
    visibility clause and stays one index range: a team the actor sees entirely, or tickets
    assigned to the actor themselves."""
    if not actor.is_active:
        return False
    if flt.assignee_id is not None and flt.assignee_id == actor.pk and not flt.unassigned:
        return True
    teams = [flt.team_id] if flt.team_id is not None else (flt.team_ids or [])
    if not teams:
        return False
    return actor.role == Role.ADMIN or set(teams) <= open_team_ids(actor)


def _filtered(qs: QuerySet[Ticket], flt: TicketFilter) -> QuerySet[Ticket]:
    """``qs`` narrowed by every condition of ``flt`` except status, tag and team_ids (those
    decide the index ranges, see ``_ranges``)."""
    if flt.priority:
        qs = qs.filter(priority__in=flt.priority)
    if flt.kind:
        qs = qs.filter(kind__in=flt.kind)
    if flt.channel:
        qs = qs.filter(channel__in=flt.channel)
    if flt.unassigned:
        qs = qs.filter(assignee__isnull=True)
    elif flt.assignee_id is not None:
        qs = qs.filter(assignee_id=flt.assignee_id)
    if flt.team_id is not None:
        qs = qs.filter(team_id=flt.team_id)
    if flt.organization_id is not None:
        qs = qs.filter(organization_id=flt.organization_id)
    if flt.tier_id is not None:
        qs = qs.filter(organization__tier_id=flt.tier_id)
    if flt.inbox_id is not None:
        qs = qs.filter(inbox_id=flt.inbox_id)
    if flt.requester_id is not None:
        qs = qs.filter(requester_id=flt.requester_id)
    if flt.project_id is not None:
        qs = qs.filter(project_id=flt.project_id)
    for i, (key, value) in enumerate(sorted(flt.custom_fields.items())):
        # KeyTransform, not ``custom_fields__<key>``: a key named like a lookup ("contains")
        # must still mean the key. Not indexed: a narrowing condition on the view's ranges.
        name = f"custom_field_{i}"
        qs = qs.alias(**{name: KeyTransform(key, "custom_fields")}).filter(**{name: value})
    if flt.created_since is not None:
        qs = qs.filter(created_at__gte=flt.created_since)
    if flt.created_before is not None:
        qs = qs.filter(created_at__lt=flt.created_before)
    if flt.updated_since is not None:
        qs = qs.filter(updated_at__gte=flt.updated_since)
    if flt.updated_before is not None:
        qs = qs.filter(updated_at__lt=flt.updated_before)
    if flt.solved_since is not None:
        # A ticket is touched when it is solved, so updated_at >= solved_at: the redundant
        # bound lets the planner read "solved recently" as a short range of the updated_at index.
        qs = qs.filter(solved_at__gte=flt.solved_since, updated_at__gte=flt.solved_since)
    if flt.sla:
        qs = qs.filter(sla_q(flt.sla, clock.now()))
    if flt.sla_due_before is not None:
        qs = qs.filter(sla__due_at__lt=flt.sla_due_before)
    return qs


def sla_q(states: Sequence[str], now: datetime) -> Q:
    """Tickets in any of the SLA ``states`` (``SLA_STATES``) at ``now``, on the ticket's clock
    row (``zabota.sla.models.TicketClock``, reached as ``sla``)."""
    q = Q(pk__in=[])
    for state in dict.fromkeys(states):
        if state == "breached":  # the same instants as zabota.sla.queries.clock_state
            q |= Q(sla__due_at__lte=now)
        elif state == "at_risk":
            q |= Q(sla__warn_at__lte=now, sla__due_at__gt=now)
        elif state == "paused":
            q |= Q(sla__policy__isnull=False, sla__resolved_at__isnull=True, sla__due_at__isnull=True) & (
                Q(sla__responses_paused=True) | Q(sla__resolution_running_since__isnull=True)
            )
        elif state == "none":
            q |= Q(sla__isnull=True) | Q(sla__policy__isnull=True)
    return q


def _base_queryset(actor: Agent, flt: TicketFilter) -> QuerySet[Ticket]:
    # A team filter on a team the actor sees entirely needs no visibility clause: keeping the
    # query to one index range is what makes a team queue fast.
    qs = Ticket.objects.all() if _sees_whole_range(actor, flt) else visible_tickets(actor)
    return _filtered(qs, flt)


# Index ranges read separately and merged: up to this many statuses (or team x status pairs);
# beyond it one IN range, so a page costs a bounded number of queries whatever the filter.
MAX_RANGES = 4
RARE_TAG = 5000  # a tag on fewer tickets than this is read from the tag's side

TagPlan = list[tuple[int, bool]]  # (tag id, rare) for every tag the filter asks for


def _tag_plan(flt: TicketFilter) -> TagPlan | None:
    """The filter's tags as (id, rare) pairs, in one query whatever their number; None when one
    of them does not exist (nothing carries it, so the filter matches nothing).

    Rare: on fewer than ``RARE_TAG`` tickets, i.e. the tag has no ``RARE_TAG``-th ticket: a
    correlated subquery per tag that reads at most that many entries of ``tickettag_tag_ticket``.
    """
    names = flt.tag_names()
    if not names:
        return []
    nth = (
        TicketTag.objects.filter(tag_id=OuterRef("pk"))
        .order_by("ticket_id")
        .values("ticket_id")[RARE_TAG - 1 : RARE_TAG]
    )
    found = list(Tag.objects.filter(name__in=names).annotate(nth=Subquery(nth)).values_list("id", "nth"))
    if len(found) < len(names):
        return None
    return [(tag_id, nth is None) for tag_id, nth in found]


def _with_tags(qs: QuerySet[Ticket], tags: TagPlan) -> QuerySet[Ticket]:
    """``qs`` narrowed to tickets carrying every tag of ``tags``."""
    for i, (tag_id, rare) in enumerate(tags):
        tagged = TicketTag.objects.filter(tag_id=tag_id)
        if rare:
            # A rare tag: start from its few tickets.
            qs = qs.filter(id__in=tagged.values("ticket_id"))
        else:
            # A common tag: walk the queue in order and test each ticket for the tag, stopping
            # after ``n``. A scalar subquery on purpose: planners turn EXISTS into a semi-join
            # that hashes every ticket carrying the tag before sorting any of them.
            has_tag = Subquery(tagged.filter(ticket_id=OuterRef("pk")).values("tag_id")[:1])
            qs = qs.alias(**{f"has_tag_{i}": has_tag}).filter(**{f"has_tag_{i}__isnull": False})
    return qs


def _ranges(
    base: QuerySet[Ticket],
    flt: TicketFilter,
    tags: TagPlan,
    *,
    combined: bool = False,
    split_teams: bool = True,
) -> list[QuerySet[Ticket]] | None:
    """The index ranges to read for ``flt`` (merged by the caller), or None when the filter
    matches nothing (an empty team list). ``combined``: one queryset covering every range, for
    an unordered count. ``tags``: the filter's tags (``_tag_plan``)."""
    if flt.matches_nothing():
        return None
    statuses = list(dict.fromkeys(flt.status))
    if statuses and flt.solved_since is not None:
        # "Solved recently" is a short range of the updated_at index (see _filtered), while the
        # solved range of the status index is most of the table: comparing an expression of
        # the status keeps the planner off that index.
        ranges: list[QuerySet[Ticket]] = [
            base.alias(status_value=Concat("status", Value(""), output_field=CharField())).filter(
                status_value__in=statuses
            )
        ]
    elif combined or len(statuses) > MAX_RANGES or flt.sort != "queue":
        # Only the queue order is an index order within a status (and team); for the other
        # orders one IN range walked in id or updated_at order finds a page soonest.
        ranges = [base.filter(status__in=statuses) if statuses else base]
    else:
        ranges = [base.filter(status=s) for s in statuses] or [base]
    if flt.team_ids is not None:
        teams = sorted(set(flt.team_ids))
        split = split_teams and flt.sort == "queue" and not combined
        if len(teams) == 1 or (split and len(teams) * len(ranges) <= MAX_RANGES):
            ranges = [qs.filter(team_id=t) for qs in ranges for t in teams]
        else:
            ranges = [qs.filter(team_id__in=teams) for qs in ranges]
    return [_with_tags(qs, tags) for qs in ranges]


def _name_label(sort: str) -> Any:
    """The name a name sort orders by: the assignee's (their email when they have no name;
    "" when unassigned, so unassigned tickets come first) or the requester's."""
    if sort == "assignee":
        return Coalesce(
            NullIf(F("assignee__name"), Value("")), F("assignee__email"), Value(""), output_field=CharField()
        )
    return Coalesce(F("requester__name"), Value(""), output_field=CharField())


def _keyset(sort: str, cursor: str | None) -> tuple[list[str], Q | None]:
    if sort == "queue":
        order = ["-priority", "id"]
        if cursor:
            p, i = _cursor_decode(cursor, "ii")
            return order, Q(priority__lt=p) | Q(priority=p, id__gt=i)
        return order, None
    if sort == "oldest":
        order = ["id"]
        return order, (Q(id__gt=_cursor_decode(cursor, "i")[0]) if cursor else None)
    if sort == "updated":
        order = ["-updated_at", "-id"]
        if cursor:
            u, i = _cursor_decode(cursor, "di")
            return order, Q(updated_at__lt=u) | Q(updated_at=u, id__lt=i)
        return order, None
    if sort in NAME_SORTS:
        order = ["sort_label", "id"]
        if cursor:
            label, i = _cursor_decode(cursor, "si")
            return order, Q(sort_label__gt=label) | Q(sort_label=label, id__gt=i)
        return order, None
    order = ["-id"]
    return order, (Q(id__lt=_cursor_decode(cursor, "i")[0]) if cursor else None)


# What a page is sorted and paged by: (id, priority, updated_at, status[, sort_label]).
KEY_FIELDS = ("id", "priority", "updated_at", "status")
KeyRow = tuple[Any, ...]


def _cursor_for(sort: str, key: KeyRow) -> str:
    if sort == "queue":
        return _cursor_encode([key[1], key[0]])
    if sort == "updated":
        return _cursor_encode([key[2].isoformat(), key[0]])
    if sort == "status":
        return _cursor_encode([STATUS_ORDER.index(key[3]), key[1], key[0]])
    if sort in NAME_SORTS:
        return _cursor_encode([key[4], key[0]])
    if sort == "due":
        due = key[4]
        return _cursor_encode([0 if due is not None else 1, due.isoformat() if due else _NO_DUE, key[0]])
    return _cursor_encode([key[0]])


def _sort_key(sort: str, key: KeyRow) -> tuple[Any, ...]:
    """Sort key of a ``KEY_FIELDS`` tuple, matching the SQL order (used to merge the ranges of
    the queue order, the only order read as several ranges at once)."""
    ticket_id, priority, updated_at = key[0], key[1], key[2]
    if sort == "queue":
        return (-priority, ticket_id)
    if sort == "oldest":
        return (ticket_id,)
    if sort == "updated":
        return (-updated_at.timestamp(), -ticket_id)
    return (-ticket_id,)


def list_tickets(
    actor: Agent,
    flt: TicketFilter,
    *,
    cursor: str | None = None,
    limit: int = 50,
    snippets: bool = False,
) -> Page:
    """A page of tickets with everything a list row shows, in a constant number of queries.

    With several statuses (or teams), each is read as its own index range in sort order and the
    ranges are merged here: one short range scan per status instead of sorting every match.
    ``snippets=True`` adds each row's ``snippet`` (see ``load_rows``) at no extra query.
    A name sort (``NAME_SORTS``) on a view of more than ``NAME_SORT_MAX`` tickets is a
    ValidationFailed on ``sort`` with code "too_many".
    """
    flt.validate()
    limit = max(1, min(limit, settings.API_PAGE_SIZE_MAX))
    tags = _tag_plan(flt)
    if tags is None or flt.matches_nothing():
        return Page(items=[], next_cursor=None)
    if flt.sort in NAME_SORTS:
        _, too_many = _count(actor, flt, tags, cap=NAME_SORT_MAX)
        if too_many:
            raise ValidationFailed(
                f"more than {NAME_SORT_MAX} tickets to sort by {flt.sort}: narrow the filter",
                fields={"sort": "too_many"},
            )
    if flt.sort == "status":
        keys = _fetch_by_status(actor, flt, tags, cursor, limit + 1)
    elif flt.sort == "due":
        keys = _fetch_by_due(actor, flt, tags, cursor, limit + 1)
    else:
        order, after = _keyset(flt.sort, cursor)
        base = _base_queryset(actor, flt)
        fields: tuple[str, ...] = KEY_FIELDS
        if flt.sort in NAME_SORTS:
            base = base.annotate(sort_label=_name_label(flt.sort))
            fields = (*KEY_FIELDS, "sort_label")
        if after is not None:
            base = base.filter(after)
        ranges = _ranges(base, flt, tags)
        assert ranges is not None  # matches_nothing() was checked above
        keys = _fetch_keys(ranges, order, flt.sort, limit + 1, fields)
    has_more = len(keys) > limit
    keys = keys[:limit]
    return Page(
        items=load_rows([k[0] for k in keys], snippets=snippets),
        next_cursor=_cursor_for(flt.sort, keys[-1]) if has_more and keys else None,
    )


_NO_DUE = "1970-01-01T00:00:00+00:00"  # the cursor's due time once past the tickets with one


def _fetch_by_due(actor: Agent, flt: TicketFilter, tags: TagPlan, cursor: str | None, n: int) -> list[KeyRow]:
    """The first ``n`` keys in "due" order: tickets whose clock has a due time, nearest first,
    then tickets without one by id. Two queries at most; the cursor says which part it is in
    (``[part, due_at, id]``). Keys end with the due time, for the cursor.

    The first part walks the clocks' ``sla_clock_due`` index in order and tests each clock's
    ticket against the filter by primary key (a scalar subquery, like a common tag in
    ``_with_tags``), stopping after ``n``: the order comes from the index whatever the view."""
    from zabota.sla.models import TicketClock  # the SLA context's table; no import cycle at load

    part, after_due, after_id = 0, None, None
    if cursor:
        part, after_due, after_id = _cursor_decode(cursor, "idi")
    found: list[KeyRow] = []
    if part == 0:
        ranges = _ranges(_base_queryset(actor, flt), flt, tags, combined=True)
        assert ranges is not None
        match = Subquery(ranges[0].filter(pk=OuterRef("ticket_id")).values("id")[:1])
        clocks = TicketClock.objects.filter(due_at__isnull=False)
        if after_due is not None:
            clocks = clocks.filter(Q(due_at__gt=after_due) | Q(due_at=after_due, ticket_id__gt=after_id))
        rows = (
            clocks.alias(match=match)
            .filter(match__isnull=False)
            .order_by("due_at", "ticket_id")
            .values_list("ticket_id", "due_at")[:n]
        )
        found = [(ticket_id, None, None, None, due) for ticket_id, due in rows]
        after_id = None
    if len(found) < n:
        base = _base_queryset(actor, flt).filter(Q(sla__isnull=True) | Q(sla__due_at__isnull=True))
        if part == 1 and after_id is not None:
            base = base.filter(id__gt=after_id)
        ranges = _ranges(base, flt, tags)
        assert ranges is not None
        found += _fetch_keys(ranges, ["id"], "oldest", n - len(found), (*KEY_FIELDS, "sla__due_at"))
    return found


def _fetch_by_status(
    actor: Agent, flt: TicketFilter, tags: TagPlan, cursor: str | None, n: int
) -> list[KeyRow]:
    """The first ``n`` keys in status order: each status of the filter (every status when it
    has none) is its own index range in queue order (``ticket_status_queue``, or a team's or
    assignee's queue index), at most ``n`` rows each, read together in one UNION ALL query and
    concatenated here in workflow order. One query whatever the number of statuses."""
    start, after = 0, None
    if cursor:
        rank, p, i = _cursor_decode(cursor, "iii")
        start, after = rank, Q(priority__lt=p) | Q(priority=p, id__gt=i)
    parts: list[QuerySet[Any]] = []
    for rank, status in enumerate(STATUS_ORDER):
        if rank < start or (flt.status and status not in flt.status):
            continue
        one = replace(flt, status=[status], sort="queue")
        base = _base_queryset(actor, one)
        if after is not None and rank == start:
            base = base.filter(after)
        ranges = _ranges(base, one, tags, split_teams=False)
        assert ranges is not None
        parts += [qs.order_by("-priority", "id").values_list("id", "priority", "status")[:n] for qs in ranges]
    if not parts:
        return []
    compiled = [part.query.sql_with_params() for part in parts]
    # Each part is wrapped in a derived table: SQLite refuses LIMIT on a bare compound member.
    sql = " UNION ALL ".join(f"SELECT * FROM ({q}) AS part_{i}" for i, (q, _) in enumerate(compiled))
    with connection.cursor() as db:
        db.execute(sql, [p for _, params in compiled for p in params])
        found = db.fetchall()
    found.sort(key=lambda r: (STATUS_ORDER.index(r[2]), -r[1], r[0]))
    return [(ticket_id, priority, None, status) for ticket_id, priority, status in found[:n]]


def _count(actor: Agent, flt: TicketFilter, tags: TagPlan, *, cap: int) -> tuple[int, bool]:
    ranges = _ranges(_base_queryset(actor, flt), flt, tags, combined=True)
    if ranges is None:
        return 0, False
    n = ranges[0].order_by()[: cap + 1].count()
    return min(n, cap), n > cap


def count_tickets(actor: Agent, flt: TicketFilter, *, cap: int = 1000) -> tuple[int, bool]:
    """How many tickets ``flt`` selects for ``actor``, counted up to ``cap``: (count, capped).

    One query (two with tags): the ranges are ORed into one unordered, limited count, which
    stops after ``cap + 1`` matches whatever the table size.
    """
    flt.validate()
    tags = _tag_plan(flt)
    if tags is None:
        return 0, False
    return _count(actor, flt, tags, cap=cap)


ROW_FIELDS = (
    "id",
    "number",
    "subject",
    "status",
    "priority",
    "kind",
    "channel",
    "created_at",
    "updated_at",
    "requester_id",
    "requester__name",
    "organization_id",
    "organization__name",
    "organization__tier_id",
    "organization__tier__name",
    "organization__tier__rank",
    "organization__tier__color",
    "assignee_id",
    "assignee__name",
    "assignee__email",
    "team_id",
    "team__name",
)


SNIPPET_CHARS = 120


def load_rows(ids: Sequence[int], *, snippets: bool = False) -> list[dict[str, Any]]:
    """What a list row shows for each ticket id, in the given order: two queries for any number.

    Plain values, not model instances: building a few hundred related instances per page costs
    more than the database does. ``snippets=True`` adds ``snippet``: the start of the latest
    public reply's text, read by a correlated subquery in the same query (one indexed lookup
    per row of the page, never a scan).
    """
    if not ids:
        return []
    qs = Ticket.objects.filter(id__in=ids)
    fields: tuple[str, ...] = ROW_FIELDS
    if snippets:
        latest = (
            Message.objects.filter(ticket_id=OuterRef("pk"), kind=MessageKind.REPLY)
            .order_by("-id")
            .annotate(head=Substr("body_text", 1, SNIPPET_CHARS + 40))
            .values("head")[:1]
        )
        qs = qs.annotate(snippet=Subquery(latest))
        fields = (*ROW_FIELDS, "snippet")
    rows = {r["id"]: r for r in qs.values(*fields)}
    for r in rows.values():
        r["tags"] = []
        if snippets:
            r["snippet"] = _snippet(r["snippet"] or "")
    for ticket_id, name in TicketTag.objects.filter(ticket_id__in=ids).values_list("ticket_id", "tag__name"):
        rows[ticket_id]["tags"].append(name)
    return [rows[i] for i in ids if i in rows]


def _snippet(text: str) -> str:
    """One line of at most ``SNIPPET_CHARS`` characters, cut at a word boundary."""
    text = " ".join(text.split())
    if len(text) <= SNIPPET_CHARS:
        return text
    cut = text[:SNIPPET_CHARS].rsplit(" ", 1)[0] or text[:SNIPPET_CHARS]
    return cut + "…"


def _fetch_keys(
    ranges: list[QuerySet[Ticket]], order: list[str], sort: str, n: int, fields: tuple[str, ...]
) -> list[KeyRow]:
    """The first ``n`` keys in ``order``: one ordered index range each, merged."""
    if n <= 0:
        return []
    runs = [list(qs.order_by(*order).values_list(*fields)[:n]) for qs in ranges]
    return runs[0] if len(runs) == 1 else list(heapq.merge(*runs, key=lambda r: _sort_key(sort, r)))[:n]


def priority_value(name: str) -> int:
    try:
        return int(Priority.from_name(name))
    except KeyError as exc:
        raise ValidationFailed(f"unknown priority {name!r}", fields={"priority": "invalid"}) from exc
