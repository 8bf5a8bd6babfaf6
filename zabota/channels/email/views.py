"""The email channel in the agent workspace (htmx; thin: queries and ``ingest`` actions).

- ``/tickets/<number>/held-mail``: the box of mail held on a ticket (GET, refreshed live), with
  ``.../held-mail/<id>/accept`` ("let it in") and ``.../reject`` (POST). Agents and admins who
  can see the ticket; collaborators neither see the box nor act on it (403).
- ``/tickets/<number>/messages/<id>/original.eml``: the raw email a message came from, for any
  agent who can see the ticket (404 otherwise, or when the message did not come by email).

Downloads are attachments with nosniff and a sandboxing CSP: a browser never renders them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from zabota.accounts.models import Agent
from zabota.channels.email import ingest
from zabota.channels.email.models import InboundEmail
from zabota.channels.email.queries import held_for_ticket, held_on_ticket, original_of_message
from zabota.core.errors import DomainError, NotFound
from zabota.core.errors import PermissionDenied as DomainForbidden
from zabota.tickets.models import Ticket
from zabota.tickets.queries import visible_tickets
from zabota.web.auth import agent_required

HELD = "email_channel/held_mail.html"


def raw_download(inbound: InboundEmail) -> FileResponse:
    """The stored original as a download, never rendered by the browser."""
    try:
        handle = inbound.raw.open("rb")
    except OSError as exc:
        raise Http404("the original is missing") from exc
    response = FileResponse(
        handle, content_type="message/rfc822", as_attachment=True, filename=f"email-{inbound.pk}.eml"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def held_context(agent: Agent, ticket: Ticket, *, present: bool = True) -> dict[str, Any]:
    """What the held-mail box shows; ``present=False`` when the caller already knows there is
    none (then no query is made). Collaborators get nothing."""
    if agent.is_collaborator:
        return {"held_box": False}
    return {"held_box": True, "held": held_for_ticket(ticket) if present else [], "ticket": ticket}


def _me(request: HttpRequest) -> Agent:
    assert isinstance(request.user, Agent)
    return request.user


def _visible(agent: Agent, number: int) -> Ticket:
    ticket = visible_tickets(agent).filter(number=number).first()
    if ticket is None:
        raise Http404
    return ticket


@require_GET
@agent_required
def held_box(request: HttpRequest, number: int) -> HttpResponse:
    agent = _me(request)
    ticket = _visible(agent, number)
    return render(request, HELD, held_context(agent, ticket))


def _decide(request: HttpRequest, number: int, inbound_id: int, *, accept: bool) -> HttpResponse:
    agent = _me(request)
    if agent.is_collaborator:
        raise HttpForbidden
    try:
        inbound = held_on_ticket(agent, number, inbound_id)
    except NotFound as exc:
        raise Http404 from exc
    ticket = inbound.ticket
    assert ticket is not None
    error = ""
    try:
        if accept:
            ingest.accept_held(actor=agent, inbound_id=inbound.pk)
            notice = _("The message from %(sender)s is added to the ticket.")
        else:
            ingest.reject_held(actor=agent, inbound_id=inbound.pk)
            notice = _("The message from %(sender)s is rejected.")
    except DomainForbidden as exc:
        raise HttpForbidden from exc
    except NotFound as exc:
        raise Http404 from exc
    except DomainError as exc:
        notice, error = "", exc.message
    else:
        notice = notice % {"sender": inbound.from_address}
    if getattr(request, "htmx", False):
        context = held_context(agent, ticket)
        context.update(notice=notice, error=error)
        response = render(request, HELD, context)
        response["HX-Trigger"] = "ticket-refresh"
        return response
    if error:
        messages.error(request, error)
    else:
        messages.success(request, notice)
    return HttpResponseRedirect(f"/tickets/{ticket.number}/")


@require_POST
@agent_required
def accept(request: HttpRequest, number: int, inbound_id: int) -> HttpResponse:
    return _decide(request, number, inbound_id, accept=True)


@require_POST
@agent_required
def reject(request: HttpRequest, number: int, inbound_id: int) -> HttpResponse:
    return _decide(request, number, inbound_id, accept=False)


@require_GET
@agent_required
def original(request: HttpRequest, number: int, message_id: int) -> HttpResponseBase:
    try:
        inbound = original_of_message(_me(request), number, message_id)
    except NotFound as exc:
        raise Http404 from exc
    return raw_download(inbound)


urlpatterns: list[URLPattern] = [
    path("tickets/<int:number>/held-mail", held_box, name="ticket_held_mail"),
    path("tickets/<int:number>/held-mail/<int:inbound_id>/accept", accept, name="ticket_held_accept"),
    path("tickets/<int:number>/held-mail/<int:inbound_id>/reject", reject, name="ticket_held_reject"),
    path(
        "tickets/<int:number>/messages/<int:message_id>/original.eml",
        original,
        name="ticket_message_original",
    ),
]
