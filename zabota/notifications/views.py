"""Pages of the notifications context (thin): the list, open one, mark read.

Only the signed-in agent's own notifications: another agent's id is a 404, like a missing one.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from zabota.core.errors import NotFound, ValidationFailed
from zabota.notifications.actions import mark_all_read, mark_read
from zabota.notifications.queries import list_notifications
from zabota.web.auth import agent_required, current_agent


@agent_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    agent = current_agent(request)
    assert agent is not None
    unread_only = request.GET.get("unread") == "1"
    try:
        page = list_notifications(agent, cursor=request.GET.get("cursor"), unread_only=unread_only)
    except ValidationFailed as exc:
        raise Http404 from exc
    return render(
        request,
        "notifications/list.html",
        {"nav": "notifications", "page": page, "unread_only": unread_only},
    )


@agent_required
@require_GET
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Follow a notification: mark it read and go to its ticket."""
    agent = current_agent(request)
    assert agent is not None
    try:
        notification = mark_read(agent=agent, notification_id=notification_id)
    except NotFound as exc:
        raise Http404 from exc
    return HttpResponseRedirect(f"/tickets/{notification.ticket.number}/")


@agent_required
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    agent = current_agent(request)
    assert agent is not None
    try:
        mark_read(agent=agent, notification_id=notification_id)
    except NotFound as exc:
        raise Http404 from exc
    return HttpResponseRedirect("/notifications/")


@agent_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    agent = current_agent(request)
    assert agent is not None
    mark_all_read(agent=agent)
    return HttpResponseRedirect("/notifications/")
