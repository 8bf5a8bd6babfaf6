"""Agent workspace: the search page ``/search/?q=`` (htmx; thin: forms in, queries out).

Results come from ``search_tickets`` (permission-scoped, newest first or by relevance) with the
page's filters as a post-filter; each result shows its subject and the best-matching message
passage with the matching words marked (``zabota.tickets.highlight``). An empty query shows the
form and a hint, never an error.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.views.decorators.http import require_GET

from zabota.accounts.models import Agent
from zabota.core.errors import ValidationFailed
from zabota.core.search import query_terms
from zabota.tickets.forms.search import SearchForm
from zabota.tickets.highlight import best_passage, highlight
from zabota.tickets.queries import message_texts, search_tickets
from zabota.tickets.views.inbox import htmx_target, present
from zabota.web.auth import agent_required

PAGE_SIZE = 25
RESULTS_ID = "search-results"
FORM_KEYS = ("q", "status", "assignee", "team", "tag", "sort")


@require_GET
@agent_required
def search_page(request: HttpRequest) -> HttpResponse:
    agent = request.user
    assert isinstance(agent, Agent)
    form = SearchForm(request.GET)
    ctx: dict[str, Any] = {"nav": "search", "form": form, "results_id": RESULTS_ID, "searched": False}
    query = form.query() if form.is_valid() else (request.GET.get("q") or "")[:500]
    ctx["search_query"] = query
    terms = query_terms(query)
    if form.is_valid() and terms:
        ctx.update(_results(request, agent, form, query, terms))
    elif query.strip() and not terms:
        ctx["hint"] = "no_words"
    elif not form.is_valid():
        ctx["hint"] = "invalid"
    else:
        ctx["hint"] = "empty"
    if htmx_target(request) == RESULTS_ID:
        return render(request, "tickets/partials/search_results.html", ctx)
    return render(request, "tickets/pages/search.html", ctx)


def _results(
    request: HttpRequest, agent: Agent, form: SearchForm, query: str, terms: list[str]
) -> dict[str, Any]:
    flt = form.ticket_filter(agent)
    sort = form.sort_value()
    cursor = (request.GET.get("cursor") or "")[:200] or None
    try:
        result = search_tickets(agent, query, cursor=cursor, limit=PAGE_SIZE, sort=sort, flt=flt)
    except ValidationFailed:  # a stale or tampered cursor: start again
        cursor = None
        result = search_tickets(agent, query, limit=PAGE_SIZE, sort=sort, flt=flt)
    texts = message_texts(agent, [r["id"] for r in result.items])
    items = []
    for row in result.items:
        found = best_passage(texts.get(row["id"], []), terms)
        items.append(
            {
                **present(row),
                "subject_html": highlight(row["subject"], terms),
                "passage_kind": found[0] if found else "",
                "passage": found[1] if found else "",
            }
        )
    params = [(k, request.GET.get(k, "")) for k in FORM_KEYS if request.GET.get(k)]
    base = "/search/?" + urlencode(params)
    return {
        "searched": True,
        "items": items,
        "total": result.total,
        "total_is_capped": result.total_is_capped,
        "next_url": base + "&" + urlencode({"cursor": result.next_cursor}) if result.next_cursor else None,
        "first_url": base if cursor else None,
        "filtered": form.has_filters(),
    }


urlpatterns: list[URLPattern] = [path("search/", search_page, name="search")]
