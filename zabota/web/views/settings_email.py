"""/settings/email/: the email channel's admin page. Counts of quarantined, held and unprocessed
mail and of this week's delivery reports; the quarantined messages (50 a page) with "re-process"
and "download original" (the raw .eml, as an attachment, nosniff). Admins only.

Queries: three whatever the page size (the counts, the page's count, the page's rows).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from zabota.channels.email import ingest
from zabota.channels.email.models import InboundEmail, InboundStatus
from zabota.channels.email.queries import any_inbound, quarantine_counts, quarantined
from zabota.channels.email.views import raw_download
from zabota.core.errors import DomainError, NotFound
from zabota.web.auth import admin_required
from zabota.web.views.settings_common import actor, page

PER_PAGE = 50


@admin_required
@require_GET
def quarantine(request: HttpRequest) -> HttpResponse:
    paginator = Paginator(quarantined(), PER_PAGE)
    rows = paginator.get_page(request.GET.get("page"))
    return page(
        request,
        "web/settings/email_quarantine.html",
        "email",
        {"counts": quarantine_counts(), "rows": rows},
    )


def outcome_text(outcome: ingest.Outcome) -> str:
    """What a person is told after re-processing a message."""
    if outcome.outcome == InboundStatus.CREATED:
        return _("The message opened ticket #%(number)s.") % {"number": outcome.ticket}
    if outcome.outcome == InboundStatus.THREADED:
        return _("The message was added to ticket #%(number)s.") % {"number": outcome.ticket}
    if outcome.outcome == InboundStatus.QUARANTINED:
        return _("The message is still quarantined: %(reason)s") % {"reason": outcome.reason}
    if outcome.outcome == InboundStatus.HELD:
        return _("The message is held for an agent on ticket #%(number)s.") % {"number": outcome.ticket}
    if outcome.outcome == InboundStatus.BOUNCE:
        return _("The message is a delivery report.")
    return _("The message was processed: %(outcome)s") % {"outcome": outcome.outcome}


@admin_required
@require_POST
def reprocess(request: HttpRequest, inbound_id: int) -> HttpResponse:
    if not InboundEmail.objects.filter(pk=inbound_id).exists():
        raise Http404
    try:
        outcome = ingest.reprocess(actor=actor(request), inbound_id=inbound_id)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        ok = outcome.outcome in (InboundStatus.CREATED, InboundStatus.THREADED)
        (messages.success if ok else messages.warning)(request, outcome_text(outcome))
    target = redirect("settings-email")
    if request.POST.get("page", "").isdigit():
        target["Location"] += f"?page={request.POST['page']}"
    return target


@admin_required
@require_GET
def download(request: HttpRequest, inbound_id: int) -> HttpResponseBase:
    try:
        inbound = any_inbound(inbound_id)
    except NotFound as exc:
        raise Http404 from exc
    return raw_download(inbound)


urlpatterns: list[URLPattern] = [
    path("settings/email/", quarantine, name="settings-email"),
    path("settings/email/<int:inbound_id>/reprocess/", reprocess, name="settings-email-reprocess"),
    path("settings/email/<int:inbound_id>/original.eml", download, name="settings-email-original"),
]
