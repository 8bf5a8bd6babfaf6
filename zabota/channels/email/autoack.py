"""The auto-acknowledgement: a customer who opens a ticket by email is told, in English or
Russian, that the request is registered under its number and what happens next.

Sent only when the ticket was created from a mail (its ``InboundEmail`` row says ``created``)
and the mailbox has it enabled, and never
- to mail that must not get an automatic answer (``ParsedEmail.auto_submitted``: Auto-Submitted
  other than ``no``, Precedence bulk/list/junk, X-Auto-Response-Suppress, mailing lists,
  mailer-daemon and noreply senders, out-of-office subjects);
- more than once per sender per ``EMAIL_AUTO_ACK_HOURS`` in one inbox (``AutoAckLog``);
- beyond ``EMAIL_SYSTEM_MAIL_LIMIT`` system mails per ticket per 10 minutes.
A ticket opened without a mailbox to answer from (mail to an unknown address) gets none.

The texts are per inbox (``Mailbox.auto_ack_{subject,body}_{en,ru}``) with the built-in ones
below when blank; ``{number}``, ``{subject}``, ``{name}`` and ``{inbox}`` are replaced. They are
kept per language here, not in the gettext catalogue, because the language is the customer's,
chosen per mail, and an admin edits both versions side by side.
"""

from __future__ import annotations

import re
from datetime import timedelta
from email.utils import formataddr

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction

from zabota.channels.email import mime
from zabota.channels.email.models import AutoAckLog, InboundEmail, InboundStatus, OutboundEmail, OutboundKind
from zabota.channels.email.outbox import outbound_mail_id, queue_system_mail, route_for
from zabota.channels.email.parse import Unparseable, parse
from zabota.core import clock
from zabota.tickets.choices import Channel
from zabota.tickets.models import Ticket

DEFAULT_BODY = {
    "en": (
        "Hello {name},\n\n"
        "Thank you for writing to {inbox}. Your request \u201c{subject}\u201d is registered as "
        "ticket #{number}.\n\n"
        "What happens next: one of our team will read it and answer you by email. To add details "
        "or files, simply reply to this message; there is no need to write again or open a new "
        "request.\n\n"
        "This is an automatic message."
    ),
    "ru": (
        "Здравствуйте, {name}!\n\n"
        "Спасибо, что написали в {inbox}. Ваше обращение \u00ab{subject}\u00bb зарегистрировано "
        "под номером #{number}.\n\n"
        "Что дальше: сотрудник поддержки прочитает его и ответит вам по почте. Чтобы дополнить "
        "обращение или приложить файлы, просто ответьте на это письмо; писать повторно или "
        "создавать новое обращение не нужно.\n\n"
        "Это автоматическое сообщение."
    ),
}

_PLACEHOLDER = re.compile(r"\{(number|subject|name|inbox)\}")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[A-Za-z]")


def language_of(locale: str, text: str) -> str:
    """``ru`` for a Russian-speaking contact or a mail written mostly in Cyrillic, else ``en``."""
    if locale.lower().startswith("ru"):
        return "ru"
    sample = text[:2000]
    cyrillic = len(_CYRILLIC.findall(sample))
    return "ru" if cyrillic and cyrillic >= len(_LATIN.findall(sample)) else "en"


def render(template: str, values: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def _raw(inbound: InboundEmail) -> bytes:
    with default_storage.open(inbound.raw.name, "rb") as f:
        data: bytes = f.read()
    return data


def queue_auto_ack(ticket_id: int) -> OutboundEmail | None:
    """Queue the acknowledgement of a ticket opened by email, if one is due (idempotent)."""
    ticket = Ticket.objects.select_related("requester", "inbox").filter(pk=ticket_id).first()
    if ticket is None or ticket.channel != Channel.EMAIL:
        return None
    inbound = InboundEmail.objects.filter(ticket=ticket, status=InboundStatus.CREATED).order_by("id").first()
    route = route_for(ticket)
    inbox = route.inbox or ticket.inbox
    if inbound is None or route.mailbox is None or inbox is None or not route.mailbox.auto_ack_enabled:
        return None
    existing = OutboundEmail.objects.filter(
        mail_id=outbound_mail_id("auto-ack", ticket.pk, route.domain)
    ).first()
    if existing is not None:
        return existing
    try:
        parsed = parse(_raw(inbound))
    except (Unparseable, OSError):
        return None
    sender = parsed.from_address.lower()
    if parsed.auto_submitted or not sender:
        return None

    first = ticket.messages.order_by("id").values_list("body_text", flat=True).first() or ""
    language = language_of(ticket.requester.locale, f"{ticket.subject}\n{first}")
    mailbox = route.mailbox
    subject_template = getattr(mailbox, f"auto_ack_subject_{language}")
    body_template = getattr(mailbox, f"auto_ack_body_{language}") or DEFAULT_BODY[language]
    values = {
        "number": str(ticket.number),
        "subject": ticket.subject,
        "name": ticket.requester.name or parsed.from_name or sender.partition("@")[0],
        "inbox": inbox.name,
    }
    subject = (
        render(subject_template, values)
        if subject_template
        else mime.reply_subject(ticket.subject, ticket.number)
    )
    now = clock.now()
    window = timedelta(hours=settings.EMAIL_AUTO_ACK_HOURS)
    try:
        with transaction.atomic():
            log = AutoAckLog.objects.select_for_update().filter(inbox=inbox, address=sender).first()
            if log is not None and log.sent_at > now - window:
                return None
            row = queue_system_mail(
                ticket=ticket,
                kind=OutboundKind.AUTO_ACK,
                purpose="auto-ack",
                subject=subject,
                body_text=render(body_template, values),
                to=[formataddr((parsed.from_name, sender))],
            )
            if row is None:
                return None
            if log is None:
                AutoAckLog.objects.create(inbox=inbox, address=sender, sent_at=now)
            else:
                log.sent_at = now
                log.save(update_fields=["sent_at"])
            return row
    except IntegrityError:  # another worker acknowledged this sender at the same moment
        return None
