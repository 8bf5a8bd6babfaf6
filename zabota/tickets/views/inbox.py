"""Agent workspace: the inbox (htmx; thin: forms in, actions and queries out).

- ``/inbox/`` is the built-in view "mine"; ``/inbox/<slug>/`` the other built-ins
  (``zabota.tickets.queues.BUILTIN_VIEWS``); ``/inbox/views/<id>/`` a saved view
  (``.../refine``: the filter page with its filters filled in);
  ``/inbox/filter/?...`` ad hoc filters (the filter form), which can be saved as a view.
- Every list takes ``?sort=`` and ``?cursor=`` (keyset paging, 50 a page). An htmx request
  aimed at ``#inbox-results`` gets only the list (live refresh, paging, sorting).
- ``/inbox/counts`` renders the sidebar with each view's capped count: one query per view,
  loaded separately so the page itself stays within its query budget.
- ``POST /inbox/bulk`` applies one bulk action to the selected tickets and answers with a
  summary (and ``HX-Trigger: live-inbox`` so the list and counts refresh).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from zabota.accounts.models import Agent
from zabota.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from zabota.sla.views_clocks import attach_row_clocks
from zabota.tickets import actions, queries
from zabota.tickets.actions.bulk import BulkOutcome
from zabota.tickets.choices import Priority, Status
from zabota.tickets.forms.inbox import (
    FILTER_KEYS,
    SORT_CHOICES,
    BulkForm,
    InboxFilterForm,
    SavedViewForm,
    agent_choices,
)
from zabota.tickets.queries import (
    CURSOR_MAX_CHARS,
    SORTS,
    TicketFilter,
    count_tickets,
    list_tickets,
    teams_for,
)
from zabota.tickets.queues import (
    ACTIVE,
    BUILTIN_BY_SLUG,
    BUILTIN_VIEWS,
    SIDEBAR_SAVED_VIEWS,
    UNSOLVED,
    access_saved_view,
    builtin_filter,
    may_edit_saved_view,
    saved_filter,
    visible_saved_views,
)
from zabota.web.auth import agent_required

PAGE_SIZE = 50
COUNT_CAP = 1000
RESULTS_ID = "inbox-results"
STATUS_LABELS = dict(Status.choices)
PRIORITY_KEYS = {int(p): p.name.lower() for p in Priority}
PRIORITY_LABELS = {int(p): p.label for p in Priority}
SORT_LABELS = dict(SORT_CHOICES)


def _agent(request: HttpRequest) -> Agent:
    user = request.user
    assert isinstance(user, Agent)  # agent_required
    return user


def htmx_target(request: HttpRequest) -> str | None:
    """The id of the element an htmx request will swap (None for a plain request)."""
    details = getattr(request, "htmx", None)  # django_htmx's middleware
    return (details.target or "") if details else None


def is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _not_found(exc: NotFound) -> Http404:
    return Http404(exc.message)


# --- Presenting rows -----------------------------------------------------------------------------


def present(row: dict[str, Any]) -> dict[str, Any]:
    """A ``load_rows`` row with the labels the template shows."""
    return {
        **row,
        "priority_key": PRIORITY_KEYS.get(row["priority"], "normal"),
        "priority_label": PRIORITY_LABELS.get(row["priority"], ""),
        "status_label": STATUS_LABELS.get(row["status"], row["status"]),
        "assignee_label": (row["assignee__name"] or row["assignee__email"]) if row["assignee_id"] else "",
        "tags": sorted(row.get("tags", [])),
    }


def _url(path_: str, params: dict[str, Any]) -> str:
    items = [(k, v) for k, v in params.items() if v not in (None, "", [])]
    flat: list[tuple[str, Any]] = []
    for k, v in items:
        flat += [(k, x) for x in v] if isinstance(v, list) else [(k, v)]
    return path_ + ("?" + urlencode(flat) if flat else "")


def _list_context(
    request: HttpRequest, agent: Agent, flt: TicketFilter, *, extra: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    """The rows of one page of ``flt`` and the links around it (paging, sorting).

    ``extra``: query parameters that define the list itself (the ad hoc filters), kept in every
    link; ``sort`` and ``cursor`` come from the request.
    """
    cursor = (request.GET.get("cursor") or "")[:CURSOR_MAX_CHARS] or None
    sort_refused = ""
    try:
        page = list_tickets(agent, flt, cursor=cursor, limit=PAGE_SIZE, snippets=True)
    except ValidationFailed as exc:
        # A stale or tampered cursor: show the first page rather than an error. A name sort on
        # too many tickets: the queue order, and say why.
        if exc.fields.get("sort") == "too_many":
            sort_refused = str(SORT_LABELS.get(flt.sort, flt.sort))
            flt.sort = "queue"
        cursor = None
        page = list_tickets(agent, flt, limit=PAGE_SIZE, snippets=True)
    base = dict(extra or {})
    here = request.path
    explicit_sort = request.GET.get("sort") in SORTS
    sort_param = flt.sort if explicit_sort else None
    sort_links = {s: _url(here, {**base, "sort": s}) for s in SORTS}
    rows = [present(r) for r in page.items]
    attach_row_clocks(rows)  # each row's nearest SLA clock: one query for the page
    return {
        "rows": rows,
        "sort": flt.sort,
        "sort_links": sort_links,
        "number_sort": "oldest" if flt.sort == "newest" else "newest",
        "next_url": _url(here, {**base, "sort": sort_param, "cursor": page.next_cursor})
        if page.next_cursor
        else None,
        "first_url": _url(here, {**base, "sort": sort_param}) if cursor else None,
        "list_url": _url(here, {**base, "sort": sort_param, "cursor": cursor}),
        "results_id": RESULTS_ID,
        "sort_refused": sort_refused,
        "name_sort_max": queries.listing.NAME_SORT_MAX,
    }


def _sidebar_context(agent: Agent, current: str) -> dict[str, Any]:
    saved = list(visible_saved_views(agent)[:SIDEBAR_SAVED_VIEWS])
    return {
        "builtin_views": [
            {"key": v.slug, "label": v.label, "url": _builtin_url(v.slug)} for v in BUILTIN_VIEWS
        ],
        "saved_views": [
            {
                "key": f"view-{v.pk}",
                "view": v,
                "label": v.name,
                "url": reverse("inbox-saved-view", args=[v.pk]),
                "shared": v.shared,
                "own": v.owner_id == agent.pk,
            }
            for v in saved
        ],
        "current": current,
    }


def _builtin_url(slug: str) -> str:
    return reverse("inbox") if slug == "mine" else reverse("inbox-view", args=[slug])


def _render_inbox(
    request: HttpRequest,
    agent: Agent,
    flt: TicketFilter,
    *,
    title: str,
    current: str,
    extra: dict[str, Any] | None = None,
    **context: Any,
) -> HttpResponse:
    ctx = _list_context(request, agent, flt, extra=extra)
    if htmx_target(request) == RESULTS_ID:
        return render(request, "tickets/partials/inbox_list.html", ctx)
    ctx.update(_sidebar_context(agent, current))
    agents = context.pop("agents", None)
    ctx.update(
        nav="inbox",
        title=title,
        current=current,
        may_bulk=not agent.is_collaborator,
        agents=agents if agents is not None else (agent_choices() if not agent.is_collaborator else []),
        status_choices=Status.choices,
        counts_url=_url(reverse("inbox-counts"), {"current": current}),
        **context,
    )
    return render(request, "tickets/pages/inbox.html", ctx)


# --- Pages ---------------------------------------------------------------------------------------


@require_GET
@agent_required
def inbox_page(request: HttpRequest, slug: str = "mine") -> HttpResponse:
    agent = _agent(request)
    if slug not in BUILTIN_BY_SLUG:
        raise Http404("no such inbox view")
    flt = builtin_filter(agent, slug, sort=request.GET.get("sort"))
    return _render_inbox(
        request,
        agent,
        flt,
        title=str(BUILTIN_BY_SLUG[slug].label),
        current=slug,
        customize_url=_url(reverse("inbox-filter"), {**BUILTIN_FORM[slug], "sort": flt.sort}),
    )


# The filter form's values closest to each built-in view (the starting point of a saved view;
# "solved recently" has no time condition in the form, so it starts from all solved tickets).
BUILTIN_FORM: dict[str, dict[str, Any]] = {
    "mine": {"status": list(UNSOLVED), "assignee": "me"},
    "unassigned": {"status": list(ACTIVE), "assignee": "unassigned"},
    "teams": {"status": list(ACTIVE), "team": "mine"},
    "open": {"status": list(ACTIVE)},
    "pending": {"status": ["pending"]},
    "on-hold": {"status": ["on_hold"]},
    "solved": {"status": ["solved"]},
    "at-risk": {"status": list(UNSOLVED), "sla": ["at_risk"]},
    "breached": {"status": list(UNSOLVED), "sla": ["breached"]},
}


@require_GET
@agent_required
def saved_view_page(request: HttpRequest, view_id: int) -> HttpResponse:
    agent = _agent(request)
    try:
        view = access_saved_view(agent, view_id)
    except NotFound as exc:
        raise _not_found(exc) from exc
    flt = saved_filter(agent, view.filters, sort=request.GET.get("sort"))
    return _render_inbox(
        request,
        agent,
        flt,
        title=view.name,
        current=f"view-{view.pk}",
        saved_view=view,
        may_edit=may_edit_saved_view(agent, view),
        customize_url=reverse("inbox-saved-view-refine", args=[view.pk]),
    )


@require_GET
@agent_required
def saved_view_refine(request: HttpRequest, view_id: int) -> HttpResponse:
    """The filter page with a saved view's filters filled in. A redirect of its own, so the
    view's page spends no queries on the names the form shows (organization, project, email)."""
    agent = _agent(request)
    try:
        view = access_saved_view(agent, view_id)
    except NotFound as exc:
        raise _not_found(exc) from exc
    return redirect(_url(reverse("inbox-filter"), _form_params(view.filters)))


def _form_params(filters: dict[str, Any]) -> dict[str, Any]:
    """Query parameters of the filter form for a saved view's JSON."""
    return {k: v for k, v in InboxFilterForm.initial_from(filters).items() if v not in (None, "", [])}


# The filter form's fields that a list link carries along (the sort travels on its own).
FILTER_PARAMS = tuple(k for k in FILTER_KEYS if k != "sort")


@require_GET
@agent_required
def filter_page(request: HttpRequest) -> HttpResponse:
    """Ad hoc filters from the query string; the results can be saved as a view."""
    agent = _agent(request)
    agents = agent_choices()
    # One query for the team choices that also primes the visibility rule's team caches.
    teams = [(t.pk, t.name) for t in teams_for(agent)]
    form = InboxFilterForm(request.GET, agents=agents, teams=teams)
    extra = {k: request.GET.getlist(k) for k in FILTER_PARAMS if request.GET.getlist(k)}
    if form.is_valid():
        filters = form.cleaned_filters()
        flt = saved_filter(agent, filters, sort=request.GET.get("sort"))
    else:
        filters = {}
        flt = TicketFilter(team_ids=[])  # show the errors and no rows
    query = urlencode([(k, v) for k, values in extra.items() for v in values])
    return _render_inbox(
        request,
        agent,
        flt,
        title=_("Filter tickets"),
        current="filter",
        extra=extra,
        filter_form=form,
        agents=agents,
        save_form=SavedViewForm(),
        filters_query=query + ("&" if query else "") + urlencode({"sort": flt.sort}),
    )


@require_GET
@agent_required
def counts(request: HttpRequest) -> HttpResponse:
    """The sidebar with each view's count, capped at ``COUNT_CAP`` ("1000+")."""
    agent = _agent(request)
    current = (request.GET.get("current") or "")[:40]
    ctx = _sidebar_context(agent, current)
    for item in ctx["builtin_views"]:
        item["count"], item["capped"] = count_tickets(
            agent, builtin_filter(agent, item["key"]), cap=COUNT_CAP
        )
    for item in ctx["saved_views"]:
        flt = saved_filter(agent, item["view"].filters)
        item["count"], item["capped"] = count_tickets(agent, flt, cap=COUNT_CAP)
    ctx["with_counts"] = True
    return render(request, "tickets/partials/inbox_views.html", ctx)


# --- Saved views ---------------------------------------------------------------------------------


def _filters_from_query(query: str) -> tuple[InboxFilterForm, dict[str, Any] | None]:
    form = InboxFilterForm(QueryDict(query[:4000]))
    return form, (form.cleaned_filters() if form.is_valid() else None)


@require_POST
@agent_required
def saved_view_create(request: HttpRequest) -> HttpResponse:
    """Save the filters of the ad hoc filter page (sent back as ``filters_query``) as a view."""
    agent = _agent(request)
    query = request.POST.get("filters_query", "")
    save_form = SavedViewForm(request.POST)
    filter_form, filters = _filters_from_query(query)
    if save_form.is_valid() and filters is not None:
        try:
            view = actions.create_saved_view(
                actor=agent,
                name=save_form.cleaned_data["name"],
                filters=filters,
                shared=save_form.cleaned_data["shared"],
            )
        except ValidationFailed as exc:
            save_form.add_error(
                "name",
                _("You have too many saved views.") if exc.fields.get("name") == "too_many" else exc.message,
            )
        else:
            messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
            return redirect("inbox-saved-view", view.pk)
    request.GET = QueryDict(query[:4000])  # re-render the filter page as it was
    return _render_inbox(
        request,
        agent,
        saved_filter(agent, filters or {}) if filters is not None else TicketFilter(team_ids=[]),
        title=_("Filter tickets"),
        current="filter",
        extra={k: request.GET.getlist(k) for k in FILTER_PARAMS if request.GET.getlist(k)},
        filter_form=filter_form,
        save_form=save_form,
        filters_query=query,
    )


@agent_required
def saved_view_edit(request: HttpRequest, view_id: int) -> HttpResponse:
    agent = _agent(request)
    try:
        view = access_saved_view(agent, view_id)
    except NotFound as exc:
        raise _not_found(exc) from exc
    if not may_edit_saved_view(agent, view):
        raise Http404("only the owner can edit this view")
    if request.method == "POST":
        save_form = SavedViewForm(request.POST)
        filter_form = InboxFilterForm(request.POST)
        if save_form.is_valid() and filter_form.is_valid():
            try:
                actions.update_saved_view(
                    actor=agent,
                    view_id=view.pk,
                    name=save_form.cleaned_data["name"],
                    filters=filter_form.cleaned_filters(),
                    shared=save_form.cleaned_data["shared"],
                )
            except (PermissionDenied, NotFound) as exc:
                raise Http404(exc.message) from exc
            messages.success(request, _("View saved."))
            return redirect("inbox-saved-view", view.pk)
    else:
        save_form = SavedViewForm(initial={"name": view.name, "shared": view.shared})
        filter_form = InboxFilterForm(initial=InboxFilterForm.initial_from(view.filters))
    return render(
        request,
        "tickets/pages/inbox_view_edit.html",
        {"nav": "inbox", "view": view, "save_form": save_form, "filter_form": filter_form},
    )


@require_POST
@agent_required
def saved_view_delete(request: HttpRequest, view_id: int) -> HttpResponse:
    agent = _agent(request)
    try:
        actions.delete_saved_view(actor=agent, view_id=view_id)
    except (NotFound, PermissionDenied) as exc:
        raise Http404(exc.message) from exc
    messages.success(request, _("View deleted."))
    return redirect("inbox")


# --- Bulk actions --------------------------------------------------------------------------------


def _reason(outcome: BulkOutcome, target_status: str = "") -> str:
    """Why one ticket was refused, in the agent's language."""
    code = outcome.code
    if code == "not_found":
        return _("not found")
    if code == "illegal_transition":
        return _("cannot move from %(before)s to %(after)s") % {
            "before": STATUS_LABELS.get(outcome.status, outcome.status),
            "after": STATUS_LABELS.get(target_status, target_status),
        }
    if code == "ticket_merged":
        return _("it is merged or closed")
    if code == "merge_other_requester":
        return _("it has a different requester")
    if code == "not_assignable":
        return _("that agent cannot work on this ticket's team")
    if code == "invalid":
        return _("the value is not valid")
    return outcome.message


def _summary(
    outcomes: list[BulkOutcome], *, target_status: str = "", merged_into: int | None = None
) -> dict[str, Any]:
    done = [o for o in outcomes if o.ok]
    refused = [o for o in outcomes if not o.ok]
    if merged_into is not None:
        headline = ngettext(
            "%(count)d ticket merged into #%(number)s.",
            "%(count)d tickets merged into #%(number)s.",
            len(done),
        ) % {"count": len(done), "number": merged_into}
    else:
        headline = ngettext("%(count)d ticket changed.", "%(count)d tickets changed.", len(done)) % {
            "count": len(done)
        }
    problems = []
    hidden = 0
    for o in refused:
        if o.number is None:
            hidden += 1
        else:
            problems.append(
                _("#%(number)s: %(reason)s") % {"number": o.number, "reason": _reason(o, target_status)}
            )
    if hidden:
        problems.append(
            ngettext(
                "%(count)d selected ticket was not found.",
                "%(count)d selected tickets were not found.",
                hidden,
            )
            % {"count": hidden}
        )
    return {"headline": headline, "problems": problems, "ok": bool(done) and not refused}


def _run_bulk(agent: Agent, form: BulkForm) -> dict[str, Any]:
    data = form.cleaned_data
    action, ids = data["action"], data["ticket"]
    if action == "merge":
        number, outcomes = actions.bulk_merge(actor=agent, ticket_ids=ids, target_number=data.get("target"))
        if number is None:
            return {"headline": _("The ticket to merge into was not found."), "problems": [], "ok": False}
        return _summary(outcomes, merged_into=number)
    changes: dict[str, Any] = {}
    if action == "assign_me":
        changes["assignee"] = agent
    elif action == "unassign":
        changes["assignee"] = None
    elif action == "assign":
        assignee = Agent.objects.filter(pk=data["assignee"], is_active=True).first()
        if assignee is None:
            return {"headline": _("That agent was not found."), "problems": [], "ok": False}
        changes["assignee"] = assignee
    elif action == "status":
        changes["status"] = data["status"]
    elif action == "add_tag":
        changes["add_tags"] = [data["tag"]]
    elif action == "remove_tag":
        changes["remove_tags"] = [data["tag"]]
    outcomes = actions.bulk_update(actor=agent, ticket_ids=ids, **changes)
    return _summary(outcomes, target_status=data.get("status") or "")


def _safe_next(request: HttpRequest, value: str) -> str:
    if value.startswith("/inbox/") and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return reverse("inbox")


@require_POST
@agent_required
def bulk(request: HttpRequest) -> HttpResponse:
    agent = _agent(request)
    form = BulkForm(request.POST)
    summary: dict[str, Any]
    if not form.is_valid():
        errors = [str(e) for errs in form.errors.values() for e in errs]
        summary = {"headline": _("Nothing was changed."), "problems": errors, "ok": False}
    else:
        try:
            summary = _run_bulk(agent, form)
        except PermissionDenied:
            summary = {"headline": _("You may not change tickets' fields."), "problems": [], "ok": False}
        except DomainError as exc:  # a refusal of the whole request, e.g. a bad tag
            summary = {"headline": _("Nothing was changed."), "problems": [exc.message], "ok": False}
    if is_htmx(request):
        response = render(request, "tickets/partials/inbox_bulk_summary.html", {"summary": summary})
        response["HX-Trigger"] = "live-inbox"
        return response
    level = messages.SUCCESS if summary["ok"] else messages.WARNING
    messages.add_message(request, level, " ".join([summary["headline"], *summary["problems"]]))
    return redirect(_safe_next(request, form.data.get("next", "")))


urlpatterns: list[URLPattern] = [
    path("inbox/", inbox_page, name="inbox"),
    path("inbox/counts", counts, name="inbox-counts"),
    path("inbox/filter/", filter_page, name="inbox-filter"),
    path("inbox/bulk", bulk, name="inbox-bulk"),
    path("inbox/views/new", saved_view_create, name="inbox-saved-view-create"),
    path("inbox/views/<int:view_id>/", saved_view_page, name="inbox-saved-view"),
    path("inbox/views/<int:view_id>/edit", saved_view_edit, name="inbox-saved-view-edit"),
    path("inbox/views/<int:view_id>/refine", saved_view_refine, name="inbox-saved-view-refine"),
    path("inbox/views/<int:view_id>/delete", saved_view_delete, name="inbox-saved-view-delete"),
    path("inbox/<slug:slug>/", inbox_page, name="inbox-view"),
]
