"""The one ingest path every receiver feeds: ``receive`` stores the raw bytes durably (a receiver
may acknowledge the message once it returns), ``process`` turns a stored message into a ticket
or a reply in one transaction. ``ingest`` does both.

Nothing is lost and nothing doubles:
- the raw message is committed before anything else happens, content-addressed in storage;
- ``(inbox, dedupe_key)`` is unique, so the same message delivered twice to one inbox (a retry,
  a re-fetch after UIDVALIDITY changed, a re-run import) is one row and one ticket, while the
  same message to two inboxes makes one ticket in each;
- processing locks the row and only acts on ``received`` rows, inside the same transaction as
  the ticket it creates: a process killed at any point leaves either a ``received`` row (picked
  up again by ``process_pending``) or a finished one;
- a message that cannot be parsed, breaks a cap or makes the domain refuse it is quarantined
  with the reason, never dropped, and can be processed again (``reprocess``).
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction

from zabota.accounts.models import Agent
from zabota.channels.email import thread, tokens
from zabota.channels.email.events import BounceReceived, EmailHeld, InboundProcessed
from zabota.channels.email.models import EmailReference, InboundEmail, InboundStatus, Mailbox, OutboundEmail
from zabota.channels.email.parse import MAX_HEADER_BYTES, ParsedEmail, Unparseable, parse
from zabota.core import clock
from zabota.core.errors import DomainError, PermissionDenied
from zabota.core.events import publish
from zabota.customers.actions import find_or_create_contact
from zabota.customers.models import Contact
from zabota.tickets.actions.common import MAX_BODY, Upload, html_has_content, link_inline_images
from zabota.tickets.actions.create import create_ticket
from zabota.tickets.actions.followers import add_contact_followers
from zabota.tickets.actions.replies import add_note, reply
from zabota.tickets.choices import Channel, Status
from zabota.tickets.models import Inbox, Message, Ticket

logger = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What became of one message (also one row of ``zabota ingest --report``)."""

    inbound_id: int
    outcome: str  # created | threaded | duplicate | quarantined | held | bounce | ignored | received
    ticket: int | None = None  # the ticket's number
    message_id: str = ""
    from_address: str = ""
    subject: str = ""
    text: str = ""
    attachments: list[str] = field(default_factory=list)
    reason: str = ""


# --- receive --------------------------------------------------------------------------------


def raw_path(digest: str) -> str:
    return f"mail/raw/{digest[:2]}/{digest[2:4]}/{digest}.eml"


_MESSAGE_ID_LINE = re.compile(rb"^message-id:[ \t]*(.*(?:\r?\n[ \t].*)*)", re.I | re.M)


def _quick_message_id(raw: bytes) -> str:
    """The Message-ID from the header block without a full parse (for deduplication)."""
    head_end = min((i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i != -1), default=len(raw))
    found = _MESSAGE_ID_LINE.search(raw[: min(head_end, 65536)])
    if not found:
        return ""
    value = found.group(1).decode("utf-8", "replace")
    inner = re.search(r"<([^<>\s]+)>", value)
    ident = inner.group(1) if inner else value.strip()
    return ident[:900] if "@" in ident else ""


def _store_raw(path: str, raw: bytes) -> None:
    """Write the content-addressed file unless it is already there whole. A process killed
    while writing leaves a short file under the final name: it is replaced, never trusted."""
    if default_storage.exists(path):
        if default_storage.size(path) == len(raw):
            return
        default_storage.delete(path)
    saved = default_storage.save(path, ContentFile(raw))
    if saved != path:  # another writer got there between our check and our save: keep one copy
        default_storage.delete(saved)


@dataclass
class Received:
    inbound: InboundEmail
    duplicate: bool


def resolve_inbox(recipients: list[str]) -> tuple[Inbox | None, Mailbox | None]:
    """The inbox (and mailbox) of the first recipient that is one of our addresses."""
    wanted = [tokens.base_address(r) for r in recipients if "@" in r]
    if wanted:
        boxes = {
            m.address.lower(): m for m in Mailbox.objects.select_related("inbox").filter(address__in=wanted)
        }
        for w in wanted:
            if w in boxes:
                return boxes[w].inbox, boxes[w]
    return None, None


def _header_recipients(raw: bytes) -> list[str]:
    head = BytesHeaderParser(policy=compat32).parsebytes(raw[:MAX_HEADER_BYTES])
    values: list[str] = []
    for name in ("Delivered-To", "X-Original-To", "To", "Cc"):
        values.extend(str(v) for v in head.get_all(name) or [])
    return [addr for _, addr in getaddresses(values) if "@" in addr]


def receive(
    raw: bytes,
    *,
    source: str,
    inbox: Inbox | None = None,
    mailbox: Mailbox | None = None,
    recipients: list[str] | None = None,
) -> Received:
    """Store ``raw`` durably (committed when this returns). Idempotent per inbox.

    The inbox is the mailbox's, else that of the first of ``recipients`` (the envelope's, from
    LMTP) or of the message's own recipient headers that is one of our addresses."""
    if mailbox is not None and inbox is None:
        inbox = mailbox.inbox
    if inbox is None:
        try:
            candidates = recipients if recipients else _header_recipients(raw)
        except Exception:  # headers too broken to read: the inbox stays unknown, the mail is kept
            candidates = []
        inbox, mailbox = resolve_inbox(candidates)
    digest = hashlib.sha256(raw).hexdigest()
    message_id = _quick_message_id(raw)
    dedupe_key = tokens.key(message_id) if message_id else digest
    existing = InboundEmail.objects.filter(inbox=inbox, dedupe_key=dedupe_key).first()
    if existing is not None:
        return Received(existing, duplicate=True)
    path = raw_path(digest)
    _store_raw(path, raw)
    try:
        with transaction.atomic():
            row = InboundEmail.objects.create(
                inbox=inbox,
                mailbox=mailbox,
                source=source[:500],
                sha256=digest,
                size=len(raw),
                mail_id=message_id,
                dedupe_key=dedupe_key,
                raw=path,
            )
    except IntegrityError:  # the same message arrived at the same moment by another route
        return Received(InboundEmail.objects.get(inbox=inbox, dedupe_key=dedupe_key), duplicate=True)
    if inbox is None:
        # Unique constraints treat NULLs as distinct: deduplicate inbox-less mail by hand.
        first = InboundEmail.objects.filter(inbox__isnull=True, dedupe_key=dedupe_key).order_by("id").first()
        if first is not None and first.pk != row.pk:
            InboundEmail.objects.filter(pk=row.pk).delete()
            return Received(first, duplicate=True)
    return Received(row, duplicate=False)


def ingest(
    raw: bytes,
    *,
    source: str,
    inbox: Inbox | None = None,
    mailbox: Mailbox | None = None,
    recipients: list[str] | None = None,
) -> Outcome:
    """Receive and process one message."""
    received = receive(raw, source=source, inbox=inbox, mailbox=mailbox, recipients=recipients)
    if received.duplicate:
        done = outcome_of(received.inbound)
        done.outcome = "duplicate"
        return done
    return process(received.inbound.pk)


# --- process --------------------------------------------------------------------------------


def process(inbound_id: int) -> Outcome:
    """Turn a received message into a ticket, a reply, a held message, a bounce or a quarantine
    entry. Does nothing to a row that is no longer ``received``."""
    with transaction.atomic():
        inbound = (
            InboundEmail.objects.select_for_update(of=("self",))
            .select_related("inbox", "mailbox")
            .get(pk=inbound_id)
        )
        if inbound.status != InboundStatus.RECEIVED:
            return outcome_of(inbound)
        inbound.attempts += 1
        raw = b""
        try:
            raw = _read_raw(inbound)
            parsed = parse(raw)
        except Unparseable as exc:
            _note_headers(inbound, raw)
            return _finish(inbound, InboundStatus.QUARANTINED, reason=str(exc))
        except Exception as exc:  # a parser defect: keep the message, say why
            logger.exception("parsing inbound email %s failed", inbound.pk)
            _note_headers(inbound, raw)
            return _finish(inbound, InboundStatus.QUARANTINED, reason=f"parser error: {exc!r}"[:2000])
        inbound.mail_id = parsed.message_id or inbound.mail_id
        inbound.from_address = parsed.from_address[:320]
        inbound.subject = parsed.subject
        try:
            with transaction.atomic():
                return _apply(inbound, parsed)
        except DomainError as exc:
            return _finish(inbound, InboundStatus.QUARANTINED, reason=f"refused: {exc}", parsed=parsed)
        except Exception as exc:
            logger.exception("processing inbound email %s failed", inbound.pk)
            return _finish(inbound, InboundStatus.QUARANTINED, reason=f"error: {exc!r}"[:2000], parsed=parsed)


def _note_headers(inbound: InboundEmail, raw: bytes) -> None:
    """Best effort, for a message the parser refused: its From and Subject, so the quarantine
    page can say whose mail it is."""
    head_end = min((i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i != -1), default=len(raw))
    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(raw[: min(head_end, MAX_HEADER_BYTES)])
        addresses = getaddresses([str(headers.get("From", ""))])
        inbound.from_address = (addresses[0][1] if addresses else "")[:320]
        inbound.subject = str(make_header(decode_header(str(headers.get("Subject", "")))))[:2000]
    except Exception:  # a header block too broken to read: the raw download still has it
        return


def _read_raw(inbound: InboundEmail) -> bytes:
    with default_storage.open(inbound.raw.name, "rb") as f:
        data: bytes = f.read()
    return data


def _our_addresses() -> set[str]:
    ours = {a.lower() for a in Mailbox.objects.values_list("address", flat=True)}
    ours.add(settings.DEFAULT_FROM_EMAIL.lower())
    ours.update(a.lower() for a in Inbox.objects.exclude(email="").values_list("email", flat=True))
    return ours


def _apply(inbound: InboundEmail, parsed: ParsedEmail) -> Outcome:
    inbox = inbound.inbox
    if parsed.bounce is not None:
        return _bounce(inbound, parsed)
    sender = parsed.from_address
    if not sender:
        return _finish(inbound, InboundStatus.QUARANTINED, reason="no sender address", parsed=parsed)
    ours = _our_addresses()
    if tokens.base_address(sender) in ours:
        return _finish(
            inbound, InboundStatus.IGNORED, reason="sent from one of our own addresses", parsed=parsed
        )
    if _looks_like_loop(parsed):
        return _finish(inbound, InboundStatus.IGNORED, reason="our own message came back", parsed=parsed)

    found = thread.find(parsed, inbox)
    if found is not None and found.ticket.status != Status.CLOSED:
        return _threaded(inbound, parsed, found.ticket, ours)
    return _created(inbound, parsed, inbox, ours, follow_up_of=found.ticket if found else None)


def _looks_like_loop(parsed: ParsedEmail) -> bool:
    """An auto-reply quoting one of our Message-IDs is handled by threading; but a copy of a
    message we sent (same Message-ID as an outbox row) must never become a customer message."""
    return bool(parsed.message_id) and OutboundEmail.objects.filter(mail_id=parsed.message_id).exists()


def _content(parsed: ParsedEmail) -> tuple[str, str, list[Upload], list[str]]:
    """The message's text, HTML and attachments as the tickets context takes them, with notes
    for what did not fit (it stays in the stored original)."""
    notes: list[str] = []
    uploads: list[Upload] = []
    for part in parsed.attachments:
        if len(part.content) > settings.ATTACHMENT_MAX_BYTES:
            notes.append(
                f"[{part.name}: {len(part.content)} bytes, over the attachment limit; kept in the original]"
            )
            continue
        uploads.append(Upload(name=part.name, content=part.content, inline=part.inline))
    text = parsed.new_text or parsed.text
    html = parsed.new_html
    if len(html) > MAX_BODY:
        html = ""
    if len(text) > MAX_BODY:
        text = text[: MAX_BODY - 200] + "\n[… the rest is in the original message]"
    if notes:
        text = (text + "\n\n" + "\n".join(notes)).strip()
        html = ""
    if not text.strip() and not html_has_content(html):
        names = ", ".join(u.name for u in uploads)
        text = f"[{names}]" if names else "[empty message]"
        html = ""
    return text, html, uploads, [u.name for u in uploads]


def _cid_map(parsed: ParsedEmail, message: Message) -> dict[str, int]:
    by_name: dict[str, list[int]] = {}
    for att in message.attachments.all():
        if att.inline:
            by_name.setdefault(att.name, []).append(att.pk)
    mapping = {}
    for part in parsed.attachments:
        if part.inline and part.content_id and by_name.get(part.name):
            mapping[part.content_id] = by_name[part.name].pop(0)
    return mapping


def _created(
    inbound: InboundEmail,
    parsed: ParsedEmail,
    inbox: Inbox | None,
    ours: set[str],
    follow_up_of: Ticket | None,
) -> Outcome:
    contact = find_or_create_contact(email=parsed.from_address, name=parsed.from_name)
    text, html, uploads, _ = _content(parsed)
    subject = parsed.subject or (f"Follow-up to #{follow_up_of.number}" if follow_up_of else "(no subject)")
    ticket = create_ticket(
        actor=contact,
        requester=contact,
        subject=subject[:500],
        body_text=text,
        body_html=html,
        channel=Channel.EMAIL,
        inbox=inbox,
        attachments=uploads,
    )
    message = ticket.messages.order_by("id").first()
    assert message is not None
    _after_message(inbound, parsed, ticket, message, ours, copy_cc=True)
    return _finish(inbound, InboundStatus.CREATED, ticket=ticket, message=message, parsed=parsed)


def _threaded(inbound: InboundEmail, parsed: ParsedEmail, ticket: Ticket, ours: set[str]) -> Outcome:
    sender = thread.who_wrote(ticket, parsed.from_address)
    if parsed.authentication_failed:
        return _hold(inbound, parsed, ticket, f"{parsed.authentication_failed} for {parsed.from_address}")
    if sender.kind == "unknown":
        return _hold(
            inbound, parsed, ticket, f"{parsed.from_address} is not a participant of #{ticket.number}"
        )
    text, html, uploads, _ = _content(parsed)
    if sender.kind == "agent":
        agent = Agent.objects.get(email__iexact=parsed.from_address)
        message = add_note(
            actor=agent, ticket_id=ticket.pk, body_text=text, body_html=html, attachments=uploads
        )
    else:
        assert sender.contact_id is not None
        contact = Contact.objects.get(pk=sender.contact_id)
        message = reply(
            actor=None,
            author_contact=contact,
            ticket_id=ticket.pk,
            body_text=text,
            body_html=html,
            channel=Channel.EMAIL,
            attachments=uploads,
            reopen=not parsed.is_auto_reply,
        )
    _after_message(inbound, parsed, ticket, message, ours, copy_cc=sender.kind == "requester")
    return _finish(inbound, InboundStatus.THREADED, ticket=ticket, message=message, parsed=parsed)


def _after_message(
    inbound: InboundEmail,
    parsed: ParsedEmail,
    ticket: Ticket,
    message: Message,
    ours: set[str],
    *,
    copy_cc: bool,
) -> None:
    mapping = _cid_map(parsed, message)
    if mapping:
        link_inline_images(message, mapping)
    if parsed.message_id:
        EmailReference.objects.create(
            inbox=inbound.inbox,
            key=tokens.key(parsed.message_id),
            mail_id=parsed.message_id,
            ticket=ticket,
            message=message,
        )
    if copy_cc:
        # People the requester copied follow the ticket: they get its public replies from now
        # on, never its history. Our own addresses and agents are not customers.
        agents = {
            a.lower()
            for a in Agent.objects.filter(email__in=parsed.cc + parsed.to).values_list("email", flat=True)
        }
        others = []
        for address in dict.fromkeys(parsed.cc + parsed.to):
            base = tokens.base_address(address)
            if base in ours or address in agents or address == parsed.from_address:
                continue
            others.append(find_or_create_contact(email=address))
        if others:
            add_contact_followers(ticket_id=ticket.pk, contacts=others[:50])


def _hold(inbound: InboundEmail, parsed: ParsedEmail, ticket: Ticket, reason: str) -> Outcome:
    publish(EmailHeld(inbound_id=inbound.pk, ticket_id=ticket.pk, reason=reason))
    return _finish(inbound, InboundStatus.HELD, ticket=ticket, reason=reason, parsed=parsed)


def _bounce(inbound: InboundEmail, parsed: ParsedEmail) -> Outcome:
    bounce = parsed.bounce
    assert bounce is not None
    original = (
        OutboundEmail.objects.filter(mail_id=bounce.original_message_id).first()
        if bounce.original_message_id
        else None
    )
    ticket = None
    if original is not None:
        ticket = original.ticket
        publish(
            BounceReceived(
                inbound_id=inbound.pk,
                outbound_id=original.pk,
                permanent=bounce.permanent,
                recipients=tuple(bounce.recipients),
                diagnostic=bounce.diagnostic or bounce.status,
            )
        )
        from zabota.channels.email.outbox import mark_bounced

        mark_bounced(original, permanent=bounce.permanent, diagnostic=bounce.diagnostic or bounce.status)
    reason = "delivery report" + (f" for {', '.join(bounce.recipients)}" if bounce.recipients else "")
    if original is None:
        reason += " (not about a message we sent)"
    return _finish(inbound, InboundStatus.BOUNCE, ticket=ticket, reason=reason, parsed=parsed)


def _finish(
    inbound: InboundEmail,
    status: str,
    *,
    ticket: Ticket | None = None,
    message: Message | None = None,
    reason: str = "",
    parsed: ParsedEmail | None = None,
) -> Outcome:
    inbound.status = status
    inbound.reason = reason
    inbound.ticket = ticket
    inbound.message = message
    inbound.processed_at = clock.now()
    inbound.save()
    publish(InboundProcessed(inbound_id=inbound.pk, status=status))
    return outcome_of(inbound, parsed=parsed, message=message)


def outcome_of(
    inbound: InboundEmail, *, parsed: ParsedEmail | None = None, message: Message | None = None
) -> Outcome:
    ticket_number = inbound.ticket.number if inbound.ticket_id and inbound.ticket else None
    text = ""
    names: list[str] = []
    if message is not None:
        text = message.body_text
        names = [a.name for a in message.attachments.all()]
    elif parsed is not None:
        text = parsed.new_text or parsed.text
        names = [p.name for p in parsed.attachments]
    return Outcome(
        inbound_id=inbound.pk,
        outcome=str(inbound.status),
        ticket=ticket_number,
        message_id=inbound.mail_id,
        from_address=inbound.from_address,
        subject=inbound.subject,
        text=text,
        attachments=names,
        reason=inbound.reason,
    )


# --- after the fact ---------------------------------------------------------------------------


def process_pending(limit: int = 500) -> int:
    """Process messages that were stored but not processed (a worker died in between)."""
    ids = list(
        InboundEmail.objects.filter(status=InboundStatus.RECEIVED)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    for inbound_id in ids:
        process(inbound_id)
    return len(ids)


def reprocess(*, actor: Agent, inbound_id: int) -> Outcome:
    """An admin asks for a quarantined (or ignored) message to be processed again."""
    if not actor.is_admin:
        raise PermissionDenied("only admins may re-process email")
    with transaction.atomic():
        inbound = InboundEmail.objects.select_for_update().get(pk=inbound_id)
        if inbound.status not in (InboundStatus.QUARANTINED, InboundStatus.IGNORED):
            return outcome_of(inbound)
        inbound.status = InboundStatus.RECEIVED
        inbound.reason = ""
        inbound.save(update_fields=["status", "reason"])
    return process(inbound_id)


def accept_held(*, actor: Agent, inbound_id: int) -> Outcome:
    """An agent lets a held message in: its sender is added to the ticket and it is posted."""
    from zabota.tickets.queries import access_ticket

    with transaction.atomic():
        # Lock only this row: PostgreSQL refuses FOR UPDATE on the outer join to the ticket.
        inbound = (
            InboundEmail.objects.select_for_update(of=("self",)).select_related("ticket").get(pk=inbound_id)
        )
        if inbound.status != InboundStatus.HELD or inbound.ticket_id is None:
            return outcome_of(inbound)
        ticket = access_ticket(actor, inbound.ticket_id)
        if actor.is_collaborator:
            raise PermissionDenied("collaborators may not let held mail in")
        parsed = parse(_read_raw(inbound))
        contact = find_or_create_contact(email=parsed.from_address, name=parsed.from_name)
        add_contact_followers(ticket_id=ticket.pk, contacts=[contact])
        text, html, uploads, _ = _content(parsed)
        message = reply(
            actor=None,
            author_contact=contact,
            ticket_id=ticket.pk,
            body_text=text,
            body_html=html,
            channel=Channel.EMAIL,
            attachments=uploads,
        )
        _after_message(inbound, parsed, ticket, message, _our_addresses(), copy_cc=False)
        return _finish(inbound, InboundStatus.THREADED, ticket=ticket, message=message, parsed=parsed)


def reject_held(*, actor: Agent, inbound_id: int) -> Outcome:
    from zabota.tickets.queries import access_ticket

    with transaction.atomic():
        inbound = InboundEmail.objects.select_for_update().get(pk=inbound_id)
        if inbound.status != InboundStatus.HELD or inbound.ticket_id is None:
            return outcome_of(inbound)
        access_ticket(actor, inbound.ticket_id)
        if actor.is_collaborator:
            raise PermissionDenied("collaborators may not reject held mail")
        return _finish(inbound, InboundStatus.IGNORED, reason=f"rejected by {actor.email}")
