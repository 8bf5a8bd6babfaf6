"""The portal's writers: issuing and using one-time sign-in links.

``request_sign_in_link`` always returns normally whatever the address (the page shows the same
answer for every address, so nobody can learn who is a customer); what happened is returned for
logging and tests. ``use_sign_in_link`` marks a link used with one conditional UPDATE, so two
clicks (or a scanner and a person) can't both sign in with it.

The email goes out from a Huey task enqueued on commit with ``transaction.on_commit`` rather
than through a domain event: the raw token must reach the task, and a secret has no place in an
event that any listener (webhooks, audit) may receive. The token is never stored; only its
SHA-256 is.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from zabota.core import clock
from zabota.core.errors import DomainError
from zabota.customers.models import Contact, ContactEmail
from zabota.portal.models import PortalLink, SignInOutcome, SignInRequest
from zabota.tickets.actions import create_ticket
from zabota.tickets.actions.common import Upload
from zabota.tickets.choices import Channel
from zabota.tickets.models import Inbox, Ticket

logger = logging.getLogger(__name__)

LINKS_PER_ADDRESS = 3  # sign-in links sent to one address ...
ADDRESS_WINDOW = timedelta(minutes=15)  # ... per this window
REQUESTS_PER_IP = 20  # sign-in requests (any address, known or not) from one IP ...
IP_WINDOW = timedelta(hours=1)  # ... per this window
KEEP_REQUESTS = timedelta(days=2)  # request rows older than this are deleted as new ones arrive
KEEP_LINKS = timedelta(days=30)  # an address's links older than this go when it asks for a new one
NEW_REQUESTS_PER_HOUR = 20  # tickets one contact may open through the portal in an hour
TOKEN_BYTES = 32


class TooManyRequests(DomainError):
    """The contact opened too many requests through the portal in the last hour."""

    status = 429
    code = "too_many_requests"


class LinkInvalid(DomainError):
    """The link is unknown, already used or expired (or its address left the contact)."""

    status = 410
    code = "link_invalid"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def link_minutes() -> int:
    """A link's life in minutes: the setting, never more than 60."""
    return max(1, min(int(settings.PORTAL_LINK_MINUTES), 60))


def normalised(email: str) -> str:
    return (email or "").strip().lower()


@dataclass(frozen=True)
class SignInResult:
    outcome: str
    link: PortalLink | None = None


def request_sign_in_link(*, email: str, inbox: Inbox | None, ip: str | None) -> SignInResult:
    """Send a sign-in link to ``email`` if it belongs to a contact and no limit is reached."""
    address = normalised(email)
    ip = _valid_ip(ip)
    now = clock.now()
    with transaction.atomic():
        SignInRequest.objects.filter(created_at__lt=now - KEEP_REQUESTS).delete()
        recent_from_ip = (
            SignInRequest.objects.filter(requested_ip=ip, created_at__gte=now - IP_WINDOW).count()
            if ip
            else 0
        )
        contact = _contact_for(address)
        if recent_from_ip >= REQUESTS_PER_IP:
            outcome = SignInOutcome.IP_LIMITED
        elif contact is None:
            outcome = SignInOutcome.UNKNOWN
        elif (
            PortalLink.objects.filter(email=address, created_at__gte=now - ADDRESS_WINDOW).count()
            >= LINKS_PER_ADDRESS
        ):
            outcome = SignInOutcome.ADDRESS_LIMITED
        else:
            outcome = SignInOutcome.SENT
        if contact is not None:
            PortalLink.objects.filter(email=address, created_at__lt=now - KEEP_LINKS).delete()
        SignInRequest.objects.create(requested_ip=ip, outcome=outcome, created_at=now)
        link = None
        if outcome == SignInOutcome.SENT and contact is not None:
            link, token = _new_link(contact=contact, address=address, inbox=inbox, ip=ip)
            link_id = link.pk
            transaction.on_commit(lambda: _enqueue_email(link_id, token))
    if outcome in (SignInOutcome.IP_LIMITED, SignInOutcome.ADDRESS_LIMITED):
        logger.warning("portal sign-in link refused (%s) for a request from %s", outcome, ip)
    else:
        logger.info("portal sign-in request from %s: %s", ip, outcome)
    return SignInResult(outcome=outcome, link=link)


def _valid_ip(ip: str | None) -> str | None:
    """The client address as stored (PostgreSQL's inet refuses anything else), or None."""
    try:
        return str(ipaddress.ip_address((ip or "").strip()))
    except ValueError:
        return None


def issue_sign_in_link(*, email: str, inbox: Inbox | None) -> tuple[PortalLink, str]:
    """A link for an operator to hand over (``zabota portal_link``): no email, no limits.

    Raises LinkInvalid when no contact has the address.
    """
    address = normalised(email)
    contact = _contact_for(address)
    if contact is None:
        raise LinkInvalid(f"no contact has the address {address!r}")
    with transaction.atomic():
        link, token = _new_link(contact=contact, address=address, inbox=inbox, ip=None)
    logger.info("portal sign-in link %s issued by an operator for contact %s", link.pk, contact.pk)
    return link, token


def _new_link(
    *, contact: Contact, address: str, inbox: Inbox | None, ip: str | None
) -> tuple[PortalLink, str]:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = clock.now()
    link = PortalLink.objects.create(
        contact=contact,
        inbox=inbox,
        email=address,
        token_hash=hash_token(token),
        requested_ip=ip,
        created_at=now,
        expires_at=now + timedelta(minutes=link_minutes()),
    )
    return link, token


def _contact_for(address: str) -> Contact | None:
    if not address or len(address) > 254:
        return None
    try:
        validate_email(address)
    except ValidationError:
        return None
    row = ContactEmail.objects.select_related("contact").filter(email__lower=address.lower()).first()
    return row.contact if row else None


def _enqueue_email(link_id: int, token: str) -> None:
    """Hand the email to the queue. A failure is logged, never raised: an error page shown only
    for known addresses would tell who is a customer."""
    from zabota.portal.tasks import send_sign_in_link

    try:
        send_sign_in_link(link_id, token)
    except Exception:
        logger.exception("portal sign-in link %s: the email could not be queued", link_id)


def use_sign_in_link(*, token: str) -> PortalLink:
    """Consume the link: it is marked used at most once. Other unused links of the same contact
    and address stop working too (the newest email is not the only copy in the mailbox).

    Raises LinkInvalid for an unknown, used or expired link, or when the address no longer
    belongs to the contact.
    """
    digest = hash_token(token)
    now = clock.now()
    with transaction.atomic():
        claimed = PortalLink.objects.filter(
            token_hash=digest, used_at__isnull=True, expires_at__gt=now
        ).update(used_at=now)
        if claimed != 1:
            raise LinkInvalid("this sign-in link is not valid any more")
        link = PortalLink.objects.select_related("contact", "inbox").get(token_hash=digest)
        if not ContactEmail.objects.filter(contact_id=link.contact_id, email__iexact=link.email).exists():
            raise LinkInvalid("this address no longer belongs to the contact")
        PortalLink.objects.filter(contact_id=link.contact_id, email=link.email, used_at__isnull=True).update(
            used_at=now
        )
    logger.info("portal sign-in by contact %s with link %s", link.contact_id, link.pk)
    return link


def open_request(
    *, contact: Contact, subject: str, body: str, inbox: Inbox | None, attachments: list[Upload]
) -> Ticket:
    """A new ticket written by the contact in the portal (channel portal, the portal's inbox).

    A contact may open ``NEW_REQUESTS_PER_HOUR`` in an hour: enough for anyone, and a runaway
    script can't flood the queues (TooManyRequests).
    """
    since = clock.now() - timedelta(hours=1)
    recent = Ticket.objects.filter(
        requester_id=contact.pk, channel=Channel.PORTAL, created_at__gte=since
    ).count()
    if recent >= NEW_REQUESTS_PER_HOUR:
        logger.warning("portal: contact %s reached the limit of new requests per hour", contact.pk)
        raise TooManyRequests("too many new requests in the last hour")
    return create_ticket(
        actor=contact,
        requester=contact,
        subject=subject,
        body_text=body,
        channel=Channel.PORTAL,
        inbox=inbox,
        attachments=attachments,
    )


def save_preferences(*, contact: Contact, locale: str, timezone: str) -> Contact:
    """The contact changes their own language and time zone (nothing else) from the portal."""
    from zabota.customers.actions import save_contact

    return save_contact(actor=None, contact=contact, locale=locale, timezone=timezone)
