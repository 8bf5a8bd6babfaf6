"""Pages of the customer portal (thin: parse a form, call an action or a query, render).

Sign-in: ``home``/``brand_home`` (ask for a link), ``link`` (GET confirms, POST signs in: mail
scanners prefetch GETs). Signed-in pages: ``requests`` (the list), ``request_page`` (one
request and the reply form), ``new_request``, ``attachment`` (download) and
``attachment_preview`` (raster images inline), ``logout``. Branding:
``brand_css`` and ``brand_logo`` (a stylesheet and an image, since the CSP forbids inline style).
"""

from __future__ import annotations

import logging
from typing import Any

import filetype
from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zabota.core.errors import DomainError, NotFound
from zabota.portal import actions, queries
from zabota.portal.forms import MAX_FILES, NewRequestForm, PreferencesForm, ReplyForm, SignInForm
from zabota.portal.models import PortalLink
from zabota.portal.session import (
    INBOX_KEY,
    contact_language,
    contact_required,
    current_contact,
    remember_next,
    sign_in,
    sign_out,
)
from zabota.tickets.actions import reply
from zabota.tickets.choices import Channel, Status
from zabota.tickets.models import Inbox

logger = logging.getLogger(__name__)

LOGO_TYPES = {"image/png", "image/jpeg", "image/webp", "image/gif"}
# Types a browser could run or render as a document: always downloaded as opaque bytes.
ACTIVE_TYPES = ("text/html", "image/svg+xml", "application/xhtml+xml", "text/xml", "application/xml")


def _render(
    request: HttpRequest, template: str, brand: queries.Brand, status: int = 200, **context: Any
) -> HttpResponse:
    context.update(
        brand=brand,
        contact=getattr(request, "portal_contact", None),
        max_size=settings.ATTACHMENT_MAX_BYTES,
        max_files=MAX_FILES,
        link_minutes=actions.link_minutes(),
    )
    return render(request, f"portal/{template}", context, status=status)


def _session_brand(request: HttpRequest) -> queries.Brand:
    inbox = queries.inbox_by_id(request.session.get(INBOX_KEY)) or queries.default_inbox()
    return queries.brand_of(inbox)


# --- Sign-in -----------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    return _sign_in_page(request, queries.default_inbox())


@never_cache
@require_http_methods(["GET", "POST"])
def brand_home(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        inbox = queries.inbox_by_slug(slug)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    return _sign_in_page(request, inbox)


def _sign_in_page(request: HttpRequest, inbox: Inbox | None) -> HttpResponse:
    brand = queries.brand_of(inbox)
    if current_contact(request) is not None:
        if inbox is not None:
            request.session[INBOX_KEY] = inbox.pk
        return redirect("portal:requests")
    if request.method == "GET":
        remember_next(request, request.GET.get("next", ""))
        return _render(request, "sign_in.html", brand, form=SignInForm())
    form = SignInForm(request.POST)
    if not form.is_valid():
        return _render(request, "sign_in.html", brand, status=400, form=form)
    actions.request_sign_in_link(
        email=form.cleaned_data["email"], inbox=inbox, ip=get_client_ip_address(request)
    )
    # The same answer for every address, known or not, limited or not.
    return _render(request, "sign_in_sent.html", brand)


@never_cache
@require_http_methods(["GET", "POST"])
def link(request: HttpRequest, token: str) -> HttpResponse:
    pending: PortalLink | None = queries.pending_link(token)
    brand = queries.brand_of(pending.inbox if pending else queries.default_inbox())
    if pending is None:
        return _invalid_link(request, brand)
    if request.method == "GET":
        # The confirmation speaks the contact's language: we know who the link is for.
        language = contact_language(pending.contact, request)
        with translation.override(language):
            response = _render(request, "link.html", brand, link=pending)
        response.headers["Content-Language"] = language
        response.headers["Referrer-Policy"] = "no-referrer"
        return response
    try:
        used = actions.use_sign_in_link(token=token)
    except actions.LinkInvalid:
        return _invalid_link(request, brand)
    next_url = sign_in(request, used)
    return redirect(next_url or "portal:requests")


def _invalid_link(request: HttpRequest, brand: queries.Brand) -> HttpResponse:
    response = _render(request, "link_invalid.html", brand, status=410)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    brand = _session_brand(request)
    sign_out(request)
    if brand.slug:
        return redirect("portal:brand", slug=brand.slug)
    return redirect("portal:home")


# --- The contact's requests --------------------------------------------------------------------


@require_GET
@contact_required
def requests(request: HttpRequest) -> HttpResponse:
    contact = request.portal_contact  # type: ignore[attr-defined]
    show = request.GET.get("show", "open")
    if show not in queries.FILTERS:
        show = "open"
    page = queries.my_tickets_page(contact, show, request.GET.get("page"))
    rows = [
        {
            "ticket": t,
            "state": queries.CUSTOMER_STATUS.get(t.status, "open"),
            "by_someone_else": t.requester_id != contact.pk,
        }
        for t in page.object_list
    ]
    return _render(
        request, "requests.html", _session_brand(request), nav="requests", page=page, rows=rows, show=show
    )


@require_http_methods(["GET", "POST"])
@contact_required
def request_page(request: HttpRequest, number: int) -> HttpResponse:
    contact = request.portal_contact  # type: ignore[attr-defined]
    try:
        ticket = queries.ticket_for(contact, number)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    form = ReplyForm()
    status = 200
    if request.method == "POST":
        form = ReplyForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                message = reply(
                    actor=contact,
                    ticket_id=ticket.pk,
                    body_text=form.cleaned_data["body"],
                    channel=Channel.PORTAL,
                    attachments=form.uploads(),
                )
            except NotFound as exc:
                raise Http404(str(exc)) from exc
            except DomainError as exc:
                logger.info("portal reply refused on ticket %s: %s", ticket.pk, exc.message)
                form.add_error(None, _("Your reply could not be added to this request."))
            else:
                messages.success(request, _("Your reply has been sent."))
                return redirect(f"{request.path}#message-{message.pk}")
        status = 400
    return _render(
        request,
        "request.html",
        _session_brand(request),
        status=status,
        ticket=ticket,
        state=queries.CUSTOMER_STATUS.get(ticket.status, "open"),
        thread=queries.public_messages(ticket),
        merged_into=queries.merged_into_number(contact, ticket),
        preview_types=queries.PREVIEW_TYPES,
        can_reply=ticket.status != Status.CLOSED and ticket.merged_into_id is None,
        form=form,
    )


@require_http_methods(["GET", "POST"])
@contact_required
def new_request(request: HttpRequest) -> HttpResponse:
    contact = request.portal_contact  # type: ignore[attr-defined]
    brand = _session_brand(request)
    form = NewRequestForm()
    status = 200
    if request.method == "POST":
        status = 400
        form = NewRequestForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                ticket = actions.open_request(
                    contact=contact,
                    subject=form.cleaned_data["subject"],
                    body=form.cleaned_data["body"],
                    inbox=brand.inbox,
                    attachments=form.uploads(),
                )
            except actions.TooManyRequests:
                form.add_error(
                    None, _("You have opened many requests in the last hour. Please try again later.")
                )
                status = 429
            except DomainError as exc:
                logger.info("portal request refused for contact %s: %s", contact.pk, exc.message)
                form.add_error(None, _("Your request could not be sent. Check it and try again."))
            else:
                messages.success(request, _("Thank you. We have received your request."))
                return redirect("portal:request", number=ticket.number)
    return _render(request, "new_request.html", brand, status=status, nav="new", form=form)


@require_http_methods(["GET", "POST"])
@contact_required
def preferences(request: HttpRequest) -> HttpResponse:
    contact = request.portal_contact  # type: ignore[attr-defined]
    status = 200
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            try:
                actions.save_preferences(
                    contact=contact,
                    locale=form.cleaned_data["locale"],
                    timezone=form.cleaned_data["timezone"],
                )
            except DomainError as exc:
                logger.info("portal preferences refused for contact %s: %s", contact.pk, exc.message)
                form.add_error(None, _("Your preferences could not be saved."))
            else:
                with translation.override(form.cleaned_data["locale"]):
                    messages.success(request, _("Your preferences have been saved."))
                return redirect("portal:preferences")
        status = 400
    else:
        form = PreferencesForm(
            initial={"locale": contact.locale or "en", "timezone": contact.timezone or "UTC"}
        )
    return _render(
        request, "preferences.html", _session_brand(request), status=status, nav="preferences", form=form
    )


@require_GET
@contact_required
def attachment(request: HttpRequest, attachment_id: int) -> HttpResponseBase:
    contact = request.portal_contact  # type: ignore[attr-defined]
    try:
        att = queries.customer_attachment(contact, attachment_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    content_type = att.content_type or "application/octet-stream"
    if content_type.split(";")[0].strip().lower() in ACTIVE_TYPES:
        content_type = "application/octet-stream"
    response = FileResponse(
        att.file.open("rb"), as_attachment=True, filename=att.name, content_type=content_type
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


@require_GET
@contact_required
def attachment_preview(request: HttpRequest, attachment_id: int) -> HttpResponseBase:
    """An image attachment shown inline (raster images only, never SVG or HTML)."""
    contact = request.portal_contact  # type: ignore[attr-defined]
    try:
        att = queries.customer_attachment(contact, attachment_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    if not queries.is_previewable(att):
        raise Http404("no preview for this file")
    response = FileResponse(att.file.open("rb"), content_type=att.content_type)
    response.headers["Content-Disposition"] = "inline"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


# --- Branding assets ---------------------------------------------------------------------------


@require_GET
def brand_css(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        brand = queries.brand_of(queries.inbox_by_slug(slug))
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    css = f":root {{ --brand: {brand.color}; --brand-text: {brand.text_color}; }}\n"
    response = HttpResponse(css, content_type="text/css; charset=utf-8")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@require_GET
def brand_logo(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        inbox = queries.inbox_by_slug(slug)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    if not inbox.logo:
        raise Http404("no logo")
    try:
        with inbox.logo.open("rb") as f:
            data = f.read(5 * 1024 * 1024 + 1)
    except (OSError, ValueError) as exc:
        raise Http404("logo missing") from exc
    kind = filetype.guess(data)
    # Only raster images we recognise by their bytes: never SVG, never what the name claims.
    if kind is None or kind.mime not in LOGO_TYPES or len(data) > 5 * 1024 * 1024:
        raise Http404("not a logo")
    response = HttpResponse(data, content_type=kind.mime)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
