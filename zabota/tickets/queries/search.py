"""Full-text search over the tickets an actor may see, and the texts of messages for snippets."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models.functions import Substr

from zabota.accounts.models import Agent
from zabota.core.errors import ValidationFailed
from zabota.core.search import backend, query_terms
from zabota.customers.models import Contact
from zabota.tickets.choices import MessageKind
from zabota.tickets.models import (
    Message,
    Ticket,
    TicketTag,
)
from zabota.tickets.queries.access import Actor, filter_visible, visibility_q
from zabota.tickets.queries.listing import TicketFilter, _cursor_decode, _cursor_encode, _filtered, load_rows

# --- Search ----------------------------------------------------------------------------------


@dataclass
class SearchResult:
    items: list[dict[str, Any]]  # rows from load_rows
    total: int
    total_is_capped: bool
    next_cursor: str | None


COUNT_CAP = 1000
SEARCH_SCAN_LIMIT = 20_000  # matches examined per page for an actor who may see few of them


def _narrow(ids: list[int], flt: TicketFilter | None) -> list[int]:
    """Those of ``ids`` (already visible) that ``flt`` keeps, in order: one primary-key query."""
    if flt is None or not ids:
        return ids
    if flt.matches_nothing():
        return []
    qs = _filtered(Ticket.objects.filter(id__in=ids), flt)
    if flt.status:
        qs = qs.filter(status__in=flt.status)
    if flt.team_ids is not None:
        qs = qs.filter(team_id__in=flt.team_ids)
    for name in flt.tag_names():
        tagged = TicketTag.objects.filter(tag__name=name)
        qs = qs.filter(id__in=tagged.values("ticket_id"))
    ok = set(qs.values_list("id", flat=True))
    return [i for i in ids if i in ok]


_NUMBER = re.compile(r"^\s*#?(\d{1,18})\s*$")


def _ticket_number(query: str) -> int | None:
    m = _NUMBER.match(query or "")
    return int(m.group(1)) if m else None


def _by_number(actor: Agent, number: int | None, flt: TicketFilter | None) -> list[int]:
    """[id] of the ticket numbered ``number`` when the actor may see it (and ``flt`` keeps it)."""
    if number is None:
        return []
    ids = list(Ticket.objects.filter(number=number).values_list("id", flat=True))
    return _narrow(filter_visible(actor, ids), flt)


def search_tickets(
    actor: Agent,
    query: str,
    *,
    cursor: str | None = None,
    limit: int = 25,
    sort: str = "newest",
    flt: TicketFilter | None = None,
) -> SearchResult:
    """Tickets matching every word of ``query`` that ``actor`` may see.

    Newest first by default: the engine walks its index backwards and stops after a page, so a
    word in a third of all tickets costs no more than a rare one. ``sort="relevance"`` ranks
    within the newest ``SEARCH_CANDIDATES`` matches (a bounded candidate set).

    ``flt`` (the search page's filters: status, assignee, team, tag ...) is applied to each
    visible batch by primary key, so it narrows the results without changing the walk; its
    ``sort`` is ignored.
    """
    if flt is not None:
        flt.validate()
    number = _ticket_number(query)
    # "#262" means the ticket numbered 262; a bare "262" is that ticket and the word as well.
    terms = [] if number is not None and query.strip().startswith("#") else query_terms(query)
    if not terms and number is None:
        raise ValidationFailed("the search query has no words", fields={"q": "empty"})
    if not terms:  # "#262": the ticket with that number, if the actor may see it
        hit = _by_number(actor, number, flt) if cursor is None else []
        return SearchResult(items=load_rows(hit), total=len(hit), total_is_capped=False, next_cursor=None)
    if sort not in ("newest", "relevance"):
        raise ValidationFailed("sort must be newest or relevance", fields={"sort": "invalid"})
    limit = max(1, min(limit, settings.API_PAGE_SIZE_MAX))
    engine = backend()
    q = visibility_q(actor)
    before = _cursor_decode(cursor, "i")[0] if cursor else None

    found: list[int] = []
    exhausted = False
    if sort == "relevance":
        candidates = _narrow(
            filter_visible(actor, engine.match_ids(terms, before_id=None, limit=settings.SEARCH_CANDIDATES)),
            flt,
        )
        ranked = engine.rank(terms, candidates)
        offset = max(0, before or 0)
        found = ranked[offset : offset + limit + 1]
        has_more = len(found) > limit
        found = found[:limit]
        next_cursor = _cursor_encode([offset + limit]) if has_more else None
    else:
        batch = limit + 1
        scanned = 0
        while len(found) <= limit and scanned < SEARCH_SCAN_LIMIT:
            ids = engine.match_ids(terms, before_id=before, limit=batch)
            if not ids:
                exhausted = True
                break
            scanned += len(ids)
            found += _narrow(filter_visible(actor, ids), flt)
            before = ids[-1]
            if len(ids) < batch:
                exhausted = True
                break
            batch = min(batch * 4, 5000)
        has_more = len(found) > limit or not exhausted
        found = found[:limit]
        # Continue after the last row shown; after the last id scanned when the scan stopped at
        # its cap with nothing (or too little) visible, so the client can keep paging.
        resume = found[-1] if len(found) == limit else before
        next_cursor = _cursor_encode([resume]) if has_more and resume is not None else None
    if q is None and flt is None:
        total = engine.count(terms, cap=COUNT_CAP + 1)
        capped = total > COUNT_CAP
    else:
        # Count what the actor may see among the first matches the engine finds (in any order,
        # the cheapest); with more matches than that, say "N+".
        first = engine.any_ids(terms, limit=COUNT_CAP + 1)
        capped = len(first) > COUNT_CAP
        total = len(_narrow(filter_visible(actor, first[:COUNT_CAP]), flt))
    if number is not None and cursor is None:
        # A number is also the ticket with that number: first, if the words did not find it.
        hit = [i for i in _by_number(actor, number, flt) if i not in found]
        if hit:
            found = (hit + found)[:limit]
            total += 1
    return SearchResult(
        items=load_rows(found),
        total=min(total, COUNT_CAP),
        total_is_capped=capped,
        next_cursor=next_cursor,
    )


def message_texts(
    actor: Actor, ticket_ids: Sequence[int], *, chars: int = 4000
) -> dict[int, list[tuple[str, str]]]:
    """The start (``chars``) of each message's text on tickets ``ticket_ids``, newest first:
    ``{ticket_id: [(kind, text), ...]}``, for search snippets. Public replies and, for agents,
    internal notes; never a note for a customer; never events. The caller passes ids the actor
    may see (search results); they are checked again here all the same. One query."""
    ids = filter_visible(actor, list(ticket_ids))
    kinds = [MessageKind.REPLY] if isinstance(actor, Contact) else [MessageKind.REPLY, MessageKind.NOTE]
    out: dict[int, list[tuple[str, str]]] = {i: [] for i in ids}
    rows = (
        Message.objects.filter(ticket_id__in=ids, kind__in=kinds)
        .order_by("-id")
        .annotate(head=Substr("body_text", 1, chars))
        .values_list("ticket_id", "kind", "head")[:2000]
    )
    for ticket_id, kind, head in rows:
        out[ticket_id].append((kind, head or ""))
    return out
