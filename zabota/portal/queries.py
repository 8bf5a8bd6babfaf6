"""The portal's reads. Everything a contact sees goes through the permission-scoped ticket
queries (``visible_tickets``, ``access_ticket_by_number``, ``customer_messages``): a ticket the
contact may not see is a 404 exactly like a missing one, and only public replies are ever read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from zabota.core import clock
from zabota.core.errors import NotFound
from zabota.customers.models import Contact
from zabota.portal.actions import hash_token
from zabota.portal.models import PortalLink
from zabota.tickets.choices import MessageKind, Status
from zabota.tickets.models import Attachment, Inbox, Message, Ticket
from zabota.tickets.queries import customer_messages, visible_tickets

PAGE_SIZE = 25
# Attachments shown inline on a request's page: raster images whose type was sniffed from their
# bytes when stored. Never SVG (it can carry script) and never HTML.
PREVIEW_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
DEFAULT_COLOR = "#2563eb"
_HEX = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")

# Status as the customer sees it: our internal distinctions (new, on hold) are not theirs.
CUSTOMER_STATUS: dict[str, str] = {
    Status.NEW: "open",
    Status.OPEN: "open",
    Status.ON_HOLD: "open",
    Status.PENDING: "awaiting",
    Status.SOLVED: "solved",
    Status.CLOSED: "closed",
}
FILTERS = {
    "open": (Status.NEW, Status.OPEN, Status.ON_HOLD, Status.PENDING),
    "solved": (Status.SOLVED, Status.CLOSED),
    "all": (),
}


# --- Branding ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Brand:
    """What a portal page shows of its inbox. ``inbox`` None is the plain Zabota portal."""

    inbox: Inbox | None
    name: str
    color: str
    text_color: str
    greeting: str
    has_logo: bool

    @property
    def slug(self) -> str:
        return (self.inbox.slug or "") if self.inbox else ""


def safe_color(value: str | None) -> str:
    """A colour fit for a stylesheet: ``#rgb`` or ``#rrggbb``, else the default."""
    value = (value or "").strip()
    if not _HEX.fullmatch(value):
        return DEFAULT_COLOR
    if len(value) == 4:
        value = "#" + "".join(c * 2 for c in value[1:])
    return value.lower()


def text_color_on(color: str) -> str:
    """Black or white, whichever reads better on ``color`` (WCAG relative luminance)."""

    def channel(hex2: str) -> float:
        c = int(hex2, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(color[i : i + 2]) for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#111827" if luminance > 0.4 else "#ffffff"


def brand_of(inbox: Inbox | None) -> Brand:
    if inbox is None:
        return Brand(
            inbox=None, name="Zabota", color=DEFAULT_COLOR, text_color="#ffffff", greeting="", has_logo=False
        )
    color = safe_color(inbox.color)
    return Brand(
        inbox=inbox,
        name=inbox.name,
        color=color,
        text_color=text_color_on(color),
        greeting=inbox.portal_greeting,
        has_logo=bool(inbox.logo) and bool(inbox.slug),  # the logo is served at /portal/<slug>/logo
    )


def inbox_by_slug(slug: str) -> Inbox:
    inbox = Inbox.objects.filter(slug=slug).first() if slug else None
    if inbox is None:
        raise NotFound(f"no portal at {slug!r}")
    return inbox


def default_inbox() -> Inbox | None:
    """The portal's default branding: the first inbox that has a portal address."""
    return Inbox.objects.filter(slug__isnull=False).exclude(slug="").order_by("id").first()


def inbox_by_id(inbox_id: int | None) -> Inbox | None:
    if not inbox_id:
        return None
    return Inbox.objects.filter(pk=inbox_id, slug__isnull=False).exclude(slug="").first()


# --- Sign-in -----------------------------------------------------------------------------------


def pending_link(token: str) -> PortalLink | None:
    """The unused, unexpired link with this token (for the confirmation page), or None."""
    if not token or len(token) > 200:
        return None
    return (
        PortalLink.objects.select_related("inbox", "contact")
        .filter(token_hash=hash_token(token), used_at__isnull=True, expires_at__gt=clock.now())
        .first()
    )


def signed_in_contact(contact_id: int, email: str) -> Contact | None:
    """The contact of a portal session, provided the address it signed in with is still theirs."""
    if not contact_id or not email:
        return None
    return (
        Contact.objects.select_related("organization")
        .filter(pk=contact_id, emails__email__iexact=email)
        .first()
    )


# --- Tickets -----------------------------------------------------------------------------------


def my_tickets(contact: Contact, show: str = "open") -> QuerySet[Ticket]:
    """The contact's tickets (their organization's too, if they are its admin), latest first."""
    qs = visible_tickets(contact).select_related("requester")
    statuses = FILTERS.get(show, FILTERS["open"])
    if statuses:
        qs = qs.filter(status__in=statuses)
    return qs.order_by("-updated_at", "-id")


def my_tickets_page(contact: Contact, show: str, page: str | int | None) -> Page[Ticket]:
    return Paginator(my_tickets(contact, show), PAGE_SIZE).get_page(page)


def ticket_for(contact: Contact, number: int) -> Ticket:
    """The contact's ticket with this number; NotFound if it is missing or not theirs."""
    ticket = visible_tickets(contact).select_related("requester").filter(number=number).first()
    if ticket is None:
        raise NotFound(f"ticket #{number} not found")
    return ticket


def merged_into_number(contact: Contact, ticket: Ticket) -> int | None:
    """The number of the ticket this one was merged into, if the contact may see that one."""
    if ticket.merged_into_id is None:
        return None
    return visible_tickets(contact).filter(pk=ticket.merged_into_id).values_list("number", flat=True).first()


def public_messages(ticket: Ticket) -> list[Message]:
    """Public replies only: never notes, never system events."""
    return customer_messages(ticket)


def customer_attachment(contact: Contact, attachment_id: int) -> Attachment:
    """An attachment of a public reply on a ticket the contact may see; NotFound otherwise
    (an internal note's attachment is a 404 exactly like a missing one)."""
    attachment = (
        Attachment.objects.filter(
            pk=attachment_id,
            message__kind=MessageKind.REPLY,
            message__ticket__in=visible_tickets(contact).values("pk"),
        )
        .select_related("message")
        .first()
    )
    if attachment is None:
        raise NotFound(f"attachment {attachment_id} not found")
    return attachment


def is_previewable(attachment: Attachment) -> bool:
    return attachment.content_type in PREVIEW_TYPES
