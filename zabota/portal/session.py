"""Who is signed in to the portal: a contact id in the session, never a Django user.

A portal session holds the contact's id, the address they signed in with and the inbox whose
portal they used. Every request checks that the address still belongs to the contact, so
removing an address from a contact ends the sessions opened with it. An agent signed in to the
workspace in the same browser stays signed in: the portal only touches its own keys.

``contact_required`` also activates the contact's language (their setting, else the browser's)
and time zone for the page.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.utils import timezone, translation

from zabota.customers.models import Contact
from zabota.portal.models import PortalLink
from zabota.portal.queries import signed_in_contact

CONTACT_KEY = "portal_contact_id"
EMAIL_KEY = "portal_email"
INBOX_KEY = "portal_inbox_id"
NEXT_KEY = "portal_next"
KEYS = (CONTACT_KEY, EMAIL_KEY, INBOX_KEY, NEXT_KEY)

View = TypeVar("View", bound=Callable[..., HttpResponseBase])


def sign_in(request: HttpRequest, link: PortalLink) -> str:
    """Start a portal session for the link's contact; returns where to go next."""
    next_url = request.session.get(NEXT_KEY) or ""
    request.session.cycle_key()  # a new session id: no fixation
    for key in KEYS:
        request.session.pop(key, None)
    request.session[CONTACT_KEY] = link.contact_id
    request.session[EMAIL_KEY] = link.email
    request.session[INBOX_KEY] = link.inbox_id
    return next_url if is_portal_page(request, next_url) else ""


def sign_out(request: HttpRequest) -> None:
    for key in KEYS:
        request.session.pop(key, None)
    request.session.cycle_key()


def remember_next(request: HttpRequest, next_url: str) -> None:
    if is_portal_page(request, next_url):
        request.session[NEXT_KEY] = next_url


# Where a sign-in may lead: the portal's own request pages, nothing else (no open redirect).
_NEXT = re.compile(r"/portal/requests/(?:new/|[0-9]{1,18}/)?(?:\?[A-Za-z0-9=&_-]{0,100})?")


def is_portal_page(request: HttpRequest, url: str) -> bool:
    return bool(url) and bool(_NEXT.fullmatch(url))


def current_contact(request: HttpRequest) -> Contact | None:
    contact_id = request.session.get(CONTACT_KEY)
    email = request.session.get(EMAIL_KEY)
    if not contact_id:
        return None
    contact = signed_in_contact(contact_id, email or "")
    if contact is None:
        sign_out(request)
    return contact


def contact_language(contact: Contact, request: HttpRequest) -> str:
    """The contact's language if it is one we speak, else what the browser asked for."""
    from django.conf import settings

    codes = {code for code, _ in settings.LANGUAGES}
    if contact.locale and contact.locale in codes:
        return contact.locale
    return getattr(request, "LANGUAGE_CODE", None) or translation.get_language() or settings.LANGUAGE_CODE


def contact_zone(contact: Contact) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(contact.timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def contact_required(view: View) -> View:
    """Only for a signed-in contact: others are sent to the sign-in page (this page remembered)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        contact = current_contact(request)
        if contact is None:
            if request.method == "GET":
                remember_next(request, request.get_full_path())
            return redirect("portal:home")
        request.portal_contact = contact  # type: ignore[attr-defined]
        language = contact_language(contact, request)
        with translation.override(language), timezone.override(contact_zone(contact)):
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and callable(response.render):
                response = response.render()
        response.headers["Content-Language"] = language
        response.headers.setdefault("Cache-Control", "private, no-store")
        return response

    return cast(View, wrapped)
