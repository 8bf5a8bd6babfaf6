"""/settings/inboxes/: inboxes with their portal branding (address, colour, logo, greeting) and
default team. The logo is checked by its content (PNG, JPEG or WebP, at most 1 MiB) in the
action; here it is shown back through a small view of its own, with nosniff."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from zabota.core.errors import DomainError
from zabota.tickets.actions.config import LOGO_TYPES, save_inbox
from zabota.tickets.models import Inbox
from zabota.web.auth import admin_required
from zabota.web.forms.settings import InboxForm
from zabota.web.views.settings_common import actor, page, show_error

_MIME_OF = {extension: mime for mime, extension in LOGO_TYPES.items()}


@admin_required
@require_GET
def inbox_list(request: HttpRequest) -> HttpResponse:
    inboxes = Inbox.objects.select_related("default_team").order_by("name")
    return page(request, "web/settings/inboxes.html", "inboxes", {"inboxes": inboxes})


def _save(request: HttpRequest, form: InboxForm, inbox: Inbox | None) -> HttpResponse | None:
    data = form.cleaned_data
    try:
        saved = save_inbox(
            actor=actor(request),
            inbox=inbox,
            name=data["name"],
            slug=data["slug"],
            email=data["email"],
            color=data["color"],
            portal_greeting=data["portal_greeting"],
            default_team=data["default_team"],
            logo=data["logo"] or None,
            remove_logo=data["remove_logo"],
        )
    except DomainError as exc:
        show_error(form, exc)
        return None
    messages.success(request, _("Inbox %(inbox)s is saved.") % {"inbox": saved.name})
    return redirect("settings-inboxes")


@admin_required
@require_http_methods(["GET", "POST"])
def inbox_new(request: HttpRequest) -> HttpResponse:
    form = InboxForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        response = _save(request, form, None)
        if response is not None:
            return response
    return page(request, "web/settings/inbox_form.html", "inboxes", {"form": form, "inbox": None})


@admin_required
@require_http_methods(["GET", "POST"])
def inbox_edit(request: HttpRequest, inbox_id: int) -> HttpResponse:
    inbox = get_object_or_404(Inbox, pk=inbox_id)
    initial = {
        "name": inbox.name,
        "slug": inbox.slug or "",
        "email": inbox.email,
        "color": inbox.color,
        "portal_greeting": inbox.portal_greeting,
        "default_team": inbox.default_team_id,
    }
    form = InboxForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        response = _save(request, form, inbox)
        if response is not None:
            return response
    return page(request, "web/settings/inbox_form.html", "inboxes", {"form": form, "inbox": inbox})


@admin_required
@require_GET
def inbox_logo(request: HttpRequest, inbox_id: int) -> HttpResponseBase:
    inbox = get_object_or_404(Inbox, pk=inbox_id)
    if not inbox.logo:
        raise Http404("no logo")
    mime = _MIME_OF.get(inbox.logo.name.rsplit(".", 1)[-1].lower())
    if mime is None:
        raise Http404("no logo")
    try:
        handle = inbox.logo.open("rb")
    except OSError as exc:
        raise Http404("no logo") from exc
    response = FileResponse(handle, content_type=mime)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=300"
    return response


urlpatterns: list[URLPattern] = [
    path("settings/inboxes/", inbox_list, name="settings-inboxes"),
    path("settings/inboxes/new/", inbox_new, name="settings-inbox-new"),
    path("settings/inboxes/<int:inbox_id>/", inbox_edit, name="settings-inbox"),
    path("settings/inboxes/<int:inbox_id>/logo", inbox_logo, name="settings-inbox-logo"),
]
