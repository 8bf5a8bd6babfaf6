"""Incident pages of the agent workspace (htmx; thin: forms in, actions and queries out).

- ``/incidents/``: incidents on tickets the agent can see, unresolved first.
- ``/incidents/<number>/``: one incident (``number`` is its ticket's): the linked tickets as one
  list, "Add affected tickets" (a search whose results can be linked), the update to all
  affected customers with each update's progress, and solving (optionally with the linked).
- ``POST /incidents/mark/<number>`` marks a ticket as an incident (the ticket page's side panel).
- ``POST /incidents/link``: the inbox bulk bar's "Link to incident" (selected ids + a number).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from zabota.accounts.models import Agent
from zabota.core.errors import DomainError, NotFound
from zabota.tickets.actions import update_ticket
from zabota.tickets.choices import Channel, Status
from zabota.tickets.queries import access_ticket_by_number, search_tickets
from zabota.triage import actions, queries
from zabota.triage.actions.incidents import LinkOutcome, incident_of
from zabota.triage.choices import ErrorCode
from zabota.triage.forms import LinkForm, SolveForm, UpdateForm
from zabota.triage.models import Incident
from zabota.web.auth import agent_required

STATUS_LABELS = dict(Status.choices)
CHANNEL_LABELS = dict(Channel.choices)
SEARCH_LIMIT = 25


def _agent(request: HttpRequest) -> Agent:
    user = request.user
    assert isinstance(user, Agent)
    return user


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _incident(agent: Agent, number: int) -> Incident:
    try:
        ticket = access_ticket_by_number(agent, number)
        return incident_of(agent, ticket.pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _reason(o: LinkOutcome) -> str:
    return {
        ErrorCode.LINK_SELF: _("it is the incident itself"),
        ErrorCode.ALREADY_INCIDENT: _("it is an incident itself"),
        ErrorCode.LINKED_ELSEWHERE: _("it is part of another incident"),
        "ticket_merged": _("it is merged"),
        "illegal_transition": _("it cannot be solved from its status"),
    }.get(o.code, o.code)


def link_summary(outcomes: list[LinkOutcome], number: int) -> dict[str, Any]:
    """The bulk bar's summary (the same shape as the inbox's own)."""
    done = [o for o in outcomes if o.ok]
    problems = [
        _("#%(number)s: %(reason)s") % {"number": o.number, "reason": _reason(o)}
        for o in outcomes
        if not o.ok and o.number is not None
    ]
    hidden = sum(1 for o in outcomes if not o.ok and o.number is None)
    if hidden:
        problems.append(
            ngettext(
                "%(count)d selected ticket was not found.",
                "%(count)d selected tickets were not found.",
                hidden,
            )
            % {"count": hidden}
        )
    headline = ngettext(
        "%(count)d ticket linked to incident #%(number)s.",
        "%(count)d tickets linked to incident #%(number)s.",
        len(done),
    ) % {"count": len(done), "number": number}
    return {"headline": headline, "problems": problems, "ok": bool(done) and not problems}


def _page_context(agent: Agent, incident: Incident, request: HttpRequest, **extra: Any) -> dict[str, Any]:
    rows = [
        {
            **r,
            "status_label": STATUS_LABELS.get(r["status"], r["status"]),
            "channel_label": CHANNEL_LABELS.get(r["channel"], r["channel"]),
        }
        for r in queries.linked_rows(agent, incident)
    ]
    query = (request.GET.get("q") or "").strip()[:200]
    results: list[dict[str, Any]] = []
    if query:
        linked = {r["id"] for r in rows} | {incident.ticket_id}
        found = search_tickets(agent, query, limit=SEARCH_LIMIT).items
        results = [
            {**r, "status_label": STATUS_LABELS.get(r["status"], r["status"]), "linked": r["id"] in linked}
            for r in found
        ]
    return {
        "nav": "incidents",
        "incident": incident,
        "ticket": incident.ticket,
        "rows": rows,
        "open_linked": sum(1 for r in rows if r["status"] not in (Status.SOLVED, Status.CLOSED)),
        "query": query,
        "results": results,
        "updates": queries.updates(incident),
        "update_form": extra.pop("update_form", None) or UpdateForm(),
        "solve_form": SolveForm(),
        "may_send": agent.may_reply_publicly and not agent.is_collaborator,
        "may_manage": not agent.is_collaborator,
        **extra,
    }


@require_GET
@agent_required
def incident_list(request: HttpRequest) -> HttpResponse:
    agent = _agent(request)
    return render(
        request, "triage/incidents.html", {"nav": "incidents", "incidents": queries.open_incidents(agent)}
    )


@require_GET
@agent_required
def incident_page(request: HttpRequest, number: int) -> HttpResponse:
    agent = _agent(request)
    incident = _incident(agent, number)
    return render(request, "triage/incident.html", _page_context(agent, incident, request))


@require_GET
@agent_required
def panel(request: HttpRequest, number: int) -> HttpResponse:
    """The ticket page's incident box (loaded by htmx into the side panel): this ticket is an
    incident with N affected tickets, or part of incident #N, or may be marked as one."""
    agent = _agent(request)
    try:
        ticket = access_ticket_by_number(agent, number)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    info = queries.panel(agent, ticket.pk)
    return render(
        request,
        "triage/partials/ticket_incident.html",
        {
            "ticket": ticket,
            "info": info,
            "open_linked": info.open_linked,
            "may_manage": not agent.is_collaborator and ticket.merged_into_id is None,
        },
    )


@require_POST
@agent_required
def mark(request: HttpRequest, number: int) -> HttpResponse:
    agent = _agent(request)
    try:
        ticket = access_ticket_by_number(agent, number)
        actions.mark_incident(actor=agent, ticket_id=ticket.pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        messages.warning(request, exc.message)
        return redirect(f"/tickets/{number}/")
    messages.success(request, _("Ticket #%(number)s is now an incident.") % {"number": number})
    return redirect("incident", number)


@require_POST
@agent_required
def unmark(request: HttpRequest, number: int) -> HttpResponse:
    agent = _agent(request)
    incident = _incident(agent, number)
    try:
        actions.unmark_incident(actor=agent, ticket_id=incident.ticket_id)
    except DomainError as exc:
        messages.warning(request, exc.message)
        return redirect("incident", number)
    messages.success(request, _("Ticket #%(number)s is no longer an incident.") % {"number": number})
    return redirect(f"/tickets/{number}/")


@require_POST
@agent_required
def link(request: HttpRequest, number: int) -> HttpResponse:
    """Link the tickets checked in the incident page's search results."""
    agent = _agent(request)
    incident = _incident(agent, number)
    form = LinkForm(request.POST)
    ids = form.cleaned_data["ticket"] if form.is_valid() else []
    try:
        summary = link_summary(
            actions.link_tickets(actor=agent, incident_ticket_id=incident.ticket_id, ticket_ids=ids), number
        )
    except DomainError as exc:
        summary = {"headline": exc.message, "problems": [], "ok": False}
    level = messages.SUCCESS if summary["ok"] else messages.WARNING
    messages.add_message(request, level, " ".join([summary["headline"], *summary["problems"]]))
    return redirect("incident", number)


@require_POST
@agent_required
def bulk_link(request: HttpRequest) -> HttpResponse:
    """The inbox bulk bar's "Link to incident": answers with the bar's summary (htmx) or goes
    back to the inbox with a message."""
    agent = _agent(request)
    form = LinkForm(request.POST)
    number = form.cleaned_data.get("incident") if form.is_valid() else None
    summary: dict[str, Any]
    if not number:
        summary = {"headline": _("Enter the incident's ticket number."), "problems": [], "ok": False}
    else:
        try:
            ticket = access_ticket_by_number(agent, number)
            outcomes = actions.link_tickets(
                actor=agent, incident_ticket_id=ticket.pk, ticket_ids=form.cleaned_data["ticket"]
            )
        except NotFound:
            summary = {
                "headline": _("Ticket #%(number)s is not an incident you can see.") % {"number": number},
                "problems": [],
                "ok": False,
            }
        except DomainError as exc:
            summary = {"headline": exc.message, "problems": [], "ok": False}
        else:
            summary = link_summary(outcomes, number)
    if _is_htmx(request):
        response = render(request, "tickets/partials/inbox_bulk_summary.html", {"summary": summary})
        response["HX-Trigger"] = "live-inbox"
        return response
    level = messages.SUCCESS if summary["ok"] else messages.WARNING
    messages.add_message(request, level, " ".join([summary["headline"], *summary["problems"]]))
    return redirect("inbox")


@require_POST
@agent_required
def unlink(request: HttpRequest, number: int, ticket_number: int) -> HttpResponse:
    agent = _agent(request)
    incident = _incident(agent, number)
    try:
        ticket = access_ticket_by_number(agent, ticket_number)
        actions.unlink_ticket(actor=agent, incident_ticket_id=incident.ticket_id, ticket_id=ticket.pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        messages.warning(request, exc.message)
    else:
        messages.success(request, _("Ticket #%(number)s is unlinked.") % {"number": ticket_number})
    return redirect("incident", number)


@require_POST
@agent_required
def send(request: HttpRequest, number: int) -> HttpResponse:
    agent = _agent(request)
    incident = _incident(agent, number)
    form = UpdateForm(request.POST)
    if form.is_valid():
        try:
            actions.send_update(
                actor=agent, incident_ticket_id=incident.ticket_id, body_text=form.cleaned_data["body"]
            )
        except DomainError as exc:
            form.add_error("body", exc.message)
        else:
            messages.success(request, _("The update is on its way to every affected customer."))
            return redirect("incident", number)
    ctx = _page_context(agent, incident, request, update_form=form)
    return render(request, "triage/incident.html", ctx, status=422)


@require_GET
@agent_required
def progress(request: HttpRequest, number: int, update_id: int) -> HttpResponse:
    """One update's progress (polled by the page while deliveries are pending)."""
    agent = _agent(request)
    incident = _incident(agent, number)
    update = queries.update_progress(incident, update_id)
    if update is None:
        raise Http404("no such update")
    return render(request, "triage/partials/update.html", {"u": update, "incident": incident})


@require_POST
@agent_required
def solve(request: HttpRequest, number: int) -> HttpResponse:
    """Solve the incident ticket (unless it already is) and, if asked, its linked tickets."""
    agent = _agent(request)
    incident = _incident(agent, number)
    form = SolveForm(request.POST)
    also = form.is_valid() and form.cleaned_data["solve_linked"]
    try:
        if incident.ticket.status not in (Status.SOLVED, Status.CLOSED):
            update_ticket(actor=agent, ticket_id=incident.ticket_id, status=Status.SOLVED)
        outcomes = actions.solve_linked(incident, agent) if also else []
    except DomainError as exc:
        messages.warning(request, exc.message)
        return redirect("incident", number)
    solved = sum(1 for o in outcomes if o.ok)
    problems = [
        _("#%(number)s: %(reason)s") % {"number": o.number, "reason": _reason(o)}
        for o in outcomes
        if not o.ok and o.number is not None
    ]
    text = _("Incident #%(number)s is solved.") % {"number": number}
    if also:
        text += " " + ngettext(
            "%(count)d linked ticket solved.", "%(count)d linked tickets solved.", solved
        ) % {"count": solved}
    messages.add_message(
        request, messages.WARNING if problems else messages.SUCCESS, " ".join([text, *problems])
    )
    return redirect("incident", number)


urlpatterns: list[URLPattern] = [
    path("incidents/", incident_list, name="incidents"),
    path("incidents/link", bulk_link, name="incident-bulk-link"),
    path("incidents/mark/<int:number>", mark, name="incident-mark"),
    path("incidents/panel/<int:number>", panel, name="incident-panel"),
    path("incidents/<int:number>/", incident_page, name="incident"),
    path("incidents/<int:number>/unmark", unmark, name="incident-unmark"),
    path("incidents/<int:number>/link", link, name="incident-link"),
    path("incidents/<int:number>/unlink/<int:ticket_number>", unlink, name="incident-unlink"),
    path("incidents/<int:number>/updates", send, name="incident-send"),
    path("incidents/<int:number>/updates/<int:update_id>", progress, name="incident-update"),
    path("incidents/<int:number>/solve", solve, name="incident-solve"),
]
