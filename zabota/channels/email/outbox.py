"""The outbox: replies and system mail are committed as rows and sent by a worker.

Which replies go out: an agent's public reply (``MessageKind.REPLY`` with an agent author, never
a note or a customer's own message) on a ticket whose channel is email, to the requester's
primary address with the contact followers in Cc. Tickets that came by another channel (portal,
chat, API) are answered on that channel, not by email. Only the reply's own text is sent, never
the ticket's history: a person copied later cannot read what was said before.

How "committed with its row" is kept honest without a hook inside the tickets context's reply
action: the email channel's listener for ``MessageAdded`` writes the row (``queue_reply``) right
after the reply commits, and a periodic sweep (``ensure_outbox``, every few minutes) writes the
row for any public agent reply of the last ``SWEEP_DAYS`` days that has none — so a process that
dies between the reply's commit and the listener loses nothing. Both are idempotent: the row's
Message-ID is derived from the message's id by an HMAC (``outbound_mail_id``) and is unique, and
the row is written in one transaction with the message's ``delivery_status`` (queued) and our
``EmailReference``, which is what the sweep and the listener check first.

Sending (``send``): a row is claimed by a conditional UPDATE that pushes its ``next_attempt_at``
a lease ahead, so two workers (the task enqueued on commit and the every-minute ``send_due``)
never send one row together. A temporary failure (connection refused, 4xx, timeouts, missing
password) is retried with exponential backoff; the row becomes ``failed`` only after
``DEAD_LETTER_AFTER`` (4 days), or at once on a permanent 5xx answer. The Message-ID never
changes, so a retry after a crash between the server's 250 and our update is one message in the
customer's client. The message's delivery state changes only through ``set_delivery_status``.

Mail to our own agents (``queue_agent_mail``: the notification digest) goes through the same
rows, sending and retries; it has no ticket, message, mailbox or thread, so it changes no
delivery state and a failure of it alerts no one (``DeliveryFailed`` listeners skip rows
without a ticket). The portal's sign-in link is the one mail sent directly (see
``zabota/portal/mail.py``): its row would keep a live sign-in token in the database.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import smtplib
from dataclasses import dataclass
from datetime import timedelta
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, transaction

from zabota.channels.email import credentials, mime, tokens
from zabota.channels.email.events import DeliveryFailed, OutboundQueued
from zabota.channels.email.models import (
    EmailReference,
    InboundEmail,
    Mailbox,
    OutboundEmail,
    OutboundKind,
    OutboundStatus,
    Security,
)
from zabota.core import clock
from zabota.core.events import publish
from zabota.customers.models import ContactEmail
from zabota.tickets.choices import Channel, DeliveryStatus, MessageKind
from zabota.tickets.models import Follower, Inbox, Message, Ticket

logger = logging.getLogger(__name__)

DEAD_LETTER_AFTER = timedelta(days=4)  # never give up on a temporary failure sooner
LEASE = timedelta(minutes=10)  # a claimed row is not claimed again for this long
FIRST_RETRY = timedelta(minutes=1)
MAX_RETRY = timedelta(hours=4)
SMTP_TIMEOUT = 30  # seconds
SWEEP_DAYS = 2
SYSTEM_WINDOW = timedelta(minutes=10)
MAX_CC = 50
_AUTH_CODES = (530, 534, 535, 538)  # a configuration problem, fixed by an admin: keep retrying


# --- delivery state ---------------------------------------------------------------------------


def set_delivery_status(message_id: int | None, status: str) -> None:
    """The only writer of ``Message.delivery_status``."""
    if message_id is not None:
        Message.objects.filter(pk=message_id).update(delivery_status=status)


def mark_bounced(outbound: OutboundEmail, *, permanent: bool, diagnostic: str) -> None:
    """A delivery report said ``outbound`` did not arrive (called inside ingest's transaction)."""
    if not permanent:
        return
    outbound.status = OutboundStatus.BOUNCED
    outbound.last_error = diagnostic[:2000]
    outbound.save(update_fields=["status", "last_error"])
    set_delivery_status(outbound.message_id, DeliveryStatus.BOUNCED)


# --- who sends, to whom, in which thread ------------------------------------------------------


def outbound_mail_id(purpose: str, pk: int, domain: str) -> str:
    """A Message-ID that is the same every time it is derived for one (purpose, id), and that
    nobody without ``SECRET_KEY`` can predict."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"outbound:{purpose}:{pk}".encode(), hashlib.sha256)
    return f"{digest.hexdigest()[:32]}@{domain or 'zabota.invalid'}"


@dataclass
class Route:
    """The mailbox a ticket's mail goes out from (None: the installation's default address)."""

    mailbox: Mailbox | None
    address: str
    name: str
    inbox: Inbox | None

    @property
    def domain(self) -> str:
        return settings.EMAIL_DOMAIN or self.address.rpartition("@")[2]

    @property
    def from_header(self) -> str:
        return formataddr((self.name, self.address)) if self.name else self.address


def route_for(ticket: Ticket) -> Route:
    """The mailbox the customer last wrote to on this ticket, else the inbox's first active one."""
    mailbox_id = (
        InboundEmail.objects.filter(ticket=ticket, mailbox__isnull=False, mailbox__is_active=True)
        .order_by("-id")
        .values_list("mailbox_id", flat=True)
        .first()
    )
    query = Mailbox.objects.select_related("inbox")
    mailbox = query.filter(pk=mailbox_id).first() if mailbox_id else None
    if mailbox is None and ticket.inbox_id is not None:
        mailbox = query.filter(inbox_id=ticket.inbox_id, is_active=True).order_by("id").first()
    if mailbox is not None:
        return Route(mailbox, mailbox.address, mailbox.from_name or mailbox.inbox.name, mailbox.inbox)
    inbox = ticket.inbox
    address = (inbox.email if inbox else "") or settings.DEFAULT_FROM_EMAIL
    return Route(None, address, inbox.name if inbox else "", inbox)


def primary_email(contact_id: int) -> str:
    row = (
        ContactEmail.objects.filter(contact_id=contact_id)
        .order_by("-is_primary", "id")
        .values_list("email", flat=True)
        .first()
    )
    return row or ""


def _recipients(ticket: Ticket, ours: str) -> tuple[list[str], list[str]]:
    to_address = primary_email(ticket.requester_id)
    if not to_address:
        return [], []
    seen = {to_address.lower(), tokens.base_address(ours)}
    cc: list[str] = []
    followers = (
        Follower.objects.filter(ticket=ticket, contact__isnull=False)
        .select_related("contact")
        .order_by("id")[:MAX_CC]
    )
    for follower in followers:
        assert follower.contact is not None
        address = primary_email(follower.contact.pk)
        if address and address.lower() not in seen:
            seen.add(address.lower())
            cc.append(formataddr((follower.contact.name, address)))
    return [formataddr((ticket.requester.name, to_address))], cc


def thread_headers(ticket: Ticket) -> tuple[str, list[str]]:
    """In-Reply-To (the customer's latest message) and References for a new mail on ``ticket``."""
    refs = list(
        EmailReference.objects.filter(ticket=ticket).order_by("id").values_list("mail_id", "outgoing")
    )
    theirs = [mail_id for mail_id, outgoing in refs if not outgoing]
    in_reply_to = theirs[-1] if theirs else ""
    return in_reply_to, mime.references_chain([mail_id for mail_id, _ in refs], in_reply_to)


# --- queueing ---------------------------------------------------------------------------------


def _store(route: Route, ticket: Ticket, message: Message | None, **fields: object) -> OutboundEmail:
    """Write the row and our EmailReference in one transaction; publish ``OutboundQueued``.

    Returns the existing row when another worker (or the sweep) wrote the same one first."""
    mail_id = str(fields["mail_id"])
    try:
        with transaction.atomic():
            row = OutboundEmail.objects.create(
                mailbox=route.mailbox,
                ticket=ticket,
                message=message,
                from_address=route.from_header,
                **fields,
            )
            EmailReference.objects.create(
                inbox=route.inbox or ticket.inbox,
                key=tokens.key(mail_id),
                mail_id=mail_id,
                ticket=ticket,
                message=message,
                outgoing=True,
            )
            if message is not None:
                set_delivery_status(message.pk, DeliveryStatus.QUEUED)
            publish(OutboundQueued(outbound_id=row.pk))
    except IntegrityError:
        return OutboundEmail.objects.get(mail_id=mail_id)
    return row


def queue_agent_mail(*, to: str, subject: str, body_text: str, body_html: str, purpose: str) -> OutboundEmail:
    """A mail to one of our agents (the notification digest), on no ticket's thread, from
    ``DEFAULT_FROM_EMAIL`` and marked ``Auto-Submitted: auto-generated``.

    Call it inside the transaction that records why the mail is due: the row commits (or not)
    with it, and ``OutboundQueued`` sends it after commit; ``send_due`` retries it like a reply.
    ``purpose`` fixes its Message-ID, so writing the same mail twice is one row (the first)."""
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or settings.DEFAULT_FROM_EMAIL
    mail_id = outbound_mail_id(f"agent:{purpose}", 0, settings.EMAIL_DOMAIN or address.rpartition("@")[2])
    try:
        with transaction.atomic():
            row = OutboundEmail.objects.create(
                kind=OutboundKind.NOTIFICATION,
                from_address=settings.DEFAULT_FROM_EMAIL,
                to=[to],
                cc=[],
                subject=subject,
                mail_id=mail_id,
                body_text=body_text,
                body_html=body_html,
                auto_submitted="auto-generated",
            )
            publish(OutboundQueued(outbound_id=row.pk))
    except IntegrityError:
        return OutboundEmail.objects.get(mail_id=mail_id)
    return row


def wants_email(message: Message) -> bool:
    return (
        message.kind == MessageKind.REPLY
        and message.author_agent_id is not None
        and message.ticket.channel == Channel.EMAIL
    )


def queue_reply(message_id: int) -> OutboundEmail | None:
    """The outbox row of an agent's public reply on an email ticket (idempotent)."""
    message = (
        Message.objects.select_related("ticket__requester", "ticket__inbox").filter(pk=message_id).first()
    )
    if message is None or not wants_email(message):
        return None
    existing = OutboundEmail.objects.filter(message=message, kind=OutboundKind.REPLY).first()
    if existing is not None:
        return existing
    ticket = message.ticket
    route = route_for(ticket)
    to, cc = _recipients(ticket, route.address)
    if not to:
        return None  # a requester without an email address reads the reply on the portal
    in_reply_to, references = thread_headers(ticket)
    text, html = mime.with_signature(
        message.body_text, message.body_html, route.mailbox.signature if route.mailbox else ""
    )
    return _store(
        route,
        ticket,
        message,
        kind=OutboundKind.REPLY,
        reply_to=tokens.reply_address(route.address, ticket.number),
        to=to,
        cc=cc,
        subject=mime.reply_subject(ticket.subject, ticket.number),
        mail_id=outbound_mail_id("reply", message.pk, route.domain),
        in_reply_to=in_reply_to,
        references=" ".join(references),
        body_text=text,
        body_html=html,
    )


def system_mail_allowed(ticket_id: int) -> bool:
    """At most ``EMAIL_SYSTEM_MAIL_LIMIT`` system mails (not agents' replies) per ticket per 10
    minutes: a loop with another robot stops here."""
    recent = (
        OutboundEmail.objects.filter(ticket_id=ticket_id, created_at__gte=clock.now() - SYSTEM_WINDOW)
        .exclude(kind=OutboundKind.REPLY)
        .count()
    )
    return recent < settings.EMAIL_SYSTEM_MAIL_LIMIT


def queue_system_mail(
    *,
    ticket: Ticket,
    kind: str,
    purpose: str,
    subject: str,
    body_text: str,
    to: list[str],
    auto_submitted: str = "auto-replied",
) -> OutboundEmail | None:
    """A system mail (auto-acknowledgement, notification) on ``ticket``'s thread, marked
    ``Auto-Submitted`` and ``X-Auto-Response-Suppress: All``. ``purpose`` makes its Message-ID
    (one mail per purpose); None when the per-ticket limit is reached."""
    route = route_for(ticket)
    mail_id = outbound_mail_id(purpose, ticket.pk, route.domain)
    existing = OutboundEmail.objects.filter(mail_id=mail_id).first()
    if existing is not None:
        return existing
    if not system_mail_allowed(ticket.pk):
        logger.warning("ticket %s: system mail limit reached, %s not sent", ticket.number, purpose)
        return None
    in_reply_to, references = thread_headers(ticket)
    text, html = mime.with_signature(body_text, "", route.mailbox.signature if route.mailbox else "")
    return _store(
        route,
        ticket,
        None,
        kind=kind,
        reply_to=tokens.reply_address(route.address, ticket.number),
        to=to,
        cc=[],
        subject=subject,
        mail_id=mail_id,
        in_reply_to=in_reply_to,
        references=" ".join(references),
        body_text=text,
        body_html=html,
        auto_submitted=auto_submitted,
    )


def ensure_outbox(days: int = SWEEP_DAYS) -> int:
    """Write the missing rows of public agent replies on email tickets of the last ``days`` days
    (a process died between the reply's commit and the listener). Reads only tickets changed in
    that window (``updated_at`` is indexed; a reply touches it). Returns how many were written."""
    since = clock.now() - timedelta(days=days)
    ids = list(
        Message.objects.filter(
            ticket__updated_at__gte=since,
            ticket__channel=Channel.EMAIL,
            kind=MessageKind.REPLY,
            author_agent__isnull=False,
            delivery_status=DeliveryStatus.NONE,
            created_at__gte=since,
        )
        .order_by("id")
        .values_list("id", flat=True)[:1000]
    )
    written = 0
    for message_id in ids:
        if queue_reply(message_id) is not None:
            written += 1
    return written


# --- sending ----------------------------------------------------------------------------------


def connection_for(mailbox: Mailbox | None) -> BaseEmailBackend:
    """The mailbox's own SMTP server, else the installation's ``EMAIL_*`` settings (whatever
    ``EMAIL_BACKEND`` is: SMTP, or the file and memory backends of the demo and the tests)."""
    if mailbox is not None and mailbox.smtp_host:
        backend: BaseEmailBackend = get_connection(
            "django.core.mail.backends.smtp.EmailBackend",
            fail_silently=False,
            host=mailbox.smtp_host,
            port=mailbox.smtp_port,
            username=mailbox.smtp_username,
            password=credentials.reveal(mailbox.smtp_password),
            use_tls=mailbox.smtp_security == Security.STARTTLS,
            use_ssl=mailbox.smtp_security == Security.SSL,
            timeout=SMTP_TIMEOUT,
        )
        return backend
    backend = get_connection(
        settings.EMAIL_BACKEND,
        fail_silently=False,
        host=settings.EMAIL_HOST,
        port=settings.EMAIL_PORT,
        username=settings.EMAIL_HOST_USER,
        password=settings.EMAIL_HOST_PASSWORD,
        use_tls=settings.EMAIL_USE_TLS,
        use_ssl=settings.EMAIL_USE_SSL,
        timeout=getattr(settings, "EMAIL_TIMEOUT", None) or SMTP_TIMEOUT,
    )
    return backend


def is_permanent(exc: BaseException) -> bool:
    """A 5xx answer about this message or its recipients: retrying cannot help."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return 500 <= exc.smtp_code < 600 and exc.smtp_code not in _AUTH_CODES
    return False


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4, 8 … minutes after the ``attempts``-th failure, at most ``MAX_RETRY``."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), MAX_RETRY)


def claim(outbound_id: int) -> bool:
    now = clock.now()
    return (
        OutboundEmail.objects.filter(
            pk=outbound_id, status=OutboundStatus.QUEUED, next_attempt_at__lte=now
        ).update(next_attempt_at=now + LEASE)
        == 1
    )


def send(outbound_id: int) -> str:
    """Send one row if it is due and nobody else holds it; returns sent, retry, failed or skipped."""
    if not claim(outbound_id):
        return "skipped"
    row = OutboundEmail.objects.select_related("mailbox").get(pk=outbound_id)
    try:
        sent = mime.build(row, connection_for(row.mailbox)).send()
        if sent != 1:
            raise smtplib.SMTPException("the mail backend sent nothing")
    except Exception as exc:  # every failure is recorded on the row; none is lost
        return _failed(row, exc)
    now = clock.now()
    done = OutboundEmail.objects.filter(pk=row.pk, status=OutboundStatus.QUEUED).update(
        status=OutboundStatus.SENT, sent_at=now, attempts=row.attempts + 1, last_error=""
    )
    if done:
        set_delivery_status(row.message_id, DeliveryStatus.SENT)
    return "sent"


def _failed(row: OutboundEmail, exc: BaseException) -> str:
    now = clock.now()
    attempts = row.attempts + 1
    error = f"{type(exc).__name__}: {exc}"[:2000]
    permanent = is_permanent(exc)
    if permanent or now - row.created_at >= DEAD_LETTER_AFTER:
        logger.warning("outbound %s failed for good after %s attempts: %s", row.pk, attempts, error)
        with transaction.atomic():
            given_up = OutboundEmail.objects.filter(pk=row.pk, status=OutboundStatus.QUEUED).update(
                status=OutboundStatus.FAILED, attempts=attempts, last_error=error
            )
            set_delivery_status(row.message_id, DeliveryStatus.FAILED)
            if given_up:
                publish(DeliveryFailed(outbound_id=row.pk, error=error))
        return "failed"
    logger.info("outbound %s: attempt %s failed, retrying: %s", row.pk, attempts, error)
    OutboundEmail.objects.filter(pk=row.pk, status=OutboundStatus.QUEUED).update(
        attempts=attempts, last_error=error, next_attempt_at=now + retry_delay(attempts)
    )
    return "retry"


def send_due(limit: int = 200) -> int:
    """Send every due row (each claimed on its own); returns how many were sent."""
    ids = list(
        OutboundEmail.objects.filter(status=OutboundStatus.QUEUED, next_attempt_at__lte=clock.now())
        .order_by("next_attempt_at")
        .values_list("id", flat=True)[:limit]
    )
    return sum(1 for outbound_id in ids if send(outbound_id) == "sent")
