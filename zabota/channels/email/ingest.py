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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses
from typing import NamedTuple

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.db.models import Q

from zabota.accounts.models import Agent
from zabota.channels.email import thread, tokens
from zabota.channels.email.events import BounceReceived, EmailHeld, InboundProcessed
from zabota.channels.email.models import EmailReference, InboundEmail, InboundStatus, Mailbox, OutboundEmail
from zabota.channels.email.parse import MAX_HEADER_BYTES, ParsedEmail, Unparseable, parse
from zabota.core import clock, events
from zabota.core.errors import DomainError, PermissionDenied
from zabota.core.events import publish
from zabota.customers.actions import find_or_create_contact, find_or_create_contacts, normalise_email
from zabota.customers.models import Contact
from zabota.tickets.actions.common import MAX_BODY, Upload, html_has_content, link_inline_images
from zabota.tickets.actions.create import NewTicket, create_tickets
from zabota.tickets.actions.followers import add_contact_followers
from zabota.tickets.actions.replies import add_note, reply
from zabota.tickets.choices import Channel, Status
from zabota.tickets.models import Attachment, Inbox, Message, Ticket

logger = logging.getLogger(__name__)

# Messages processed in one transaction by imports and sweeps (``process_many``): on SQLite
# about half a second of holding the write lock; fewer make the batch's fixed costs show.
BATCH = 100


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


def resolve_inbox(
    recipients: list[str], mailboxes: dict[str, Mailbox] | None = None
) -> tuple[Inbox | None, Mailbox | None]:
    """The inbox (and mailbox) of the first recipient that is one of our addresses
    (``mailboxes``: every mailbox by lower-cased address, when the caller has loaded them)."""
    wanted = [tokens.base_address(r) for r in recipients if "@" in r]
    if wanted:
        boxes = mailboxes
        if boxes is None:
            boxes = {
                m.address.lower(): m
                for m in Mailbox.objects.select_related("inbox").filter(address__in=wanted)
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
    return receive_many([(raw, source)], inbox=inbox, mailbox=mailbox, recipients=recipients)[0]


class _Prepared(NamedTuple):
    """One message of ``receive_many``, read enough to store and deduplicate it."""

    raw: bytes
    source: str
    inbox: Inbox | None
    mailbox: Mailbox | None
    digest: str
    message_id: str
    key: str  # the dedupe key: of the Message-ID, else of the bytes

    @property
    def slot(self) -> tuple[int | None, str]:
        """What is unique: (inbox, key)."""
        return (self.inbox.pk if self.inbox is not None else None, self.key)


def _inbound_row(item: _Prepared) -> InboundEmail:
    return InboundEmail(
        inbox=item.inbox,
        mailbox=item.mailbox,
        source=item.source[:500],
        sha256=item.digest,
        size=len(item.raw),
        mail_id=item.message_id,
        dedupe_key=item.key,
        raw=raw_path(item.digest),
    )


def _store_row(item: _Prepared) -> tuple[InboundEmail, bool]:
    """The row stored, and whether another route had stored it first."""
    try:
        with transaction.atomic():
            row = _inbound_row(item)
            row.save()
            return row, False
    except IntegrityError:  # the same message arrived at the same moment by another route
        return InboundEmail.objects.get(inbox=item.inbox, dedupe_key=item.key), True


def receive_many(
    items: Sequence[tuple[bytes, str]],
    *,
    inbox: Inbox | None = None,
    mailbox: Mailbox | None = None,
    recipients: list[str] | None = None,
) -> list[Received]:
    """``receive`` for several (raw, source) pairs at once: one look-up for duplicates, one
    transaction for the rows (committed when this returns), files written before it."""
    if mailbox is not None and inbox is None:
        inbox = mailbox.inbox
    prepared: list[_Prepared] = []
    mailboxes = None
    if inbox is None and len(items) > 1:  # a batch: our mailboxes once, not once per message
        mailboxes = {m.address.lower(): m for m in Mailbox.objects.select_related("inbox")}
    for raw, source in items:
        box_inbox, box = inbox, mailbox
        if box_inbox is None:
            try:
                candidates = recipients if recipients else _header_recipients(raw)
            except Exception:  # headers too broken to read: the inbox stays unknown, the mail is kept
                candidates = []
            box_inbox, box = resolve_inbox(candidates, mailboxes)
        digest = hashlib.sha256(raw).hexdigest()
        message_id = _quick_message_id(raw)
        key = tokens.key(message_id) if message_id else digest
        prepared.append(_Prepared(raw, source, box_inbox, box, digest, message_id, key))

    existing: dict[tuple[int | None, str], InboundEmail] = {}
    keys_by_inbox: dict[int | None, set[str]] = {}
    for item in prepared:
        keys_by_inbox.setdefault(item.slot[0], set()).add(item.key)
    for inbox_id, keys in keys_by_inbox.items():
        # By (inbox, key): the unique index's order, so a look-up, not a scan of all mail.
        same_inbox = Q(inbox__isnull=True) if inbox_id is None else Q(inbox_id=inbox_id)
        # No ORDER BY in SQL: SQLite would walk the inbox's rows in id order instead.
        found = sorted(InboundEmail.objects.filter(same_inbox, dedupe_key__in=keys), key=lambda row: row.pk)
        for row in found:
            existing.setdefault((row.inbox_id, row.dedupe_key), row)
    results: list[Received | None] = [None] * len(prepared)
    fresh: list[int] = []
    for i, item in enumerate(prepared):
        seen = existing.get(item.slot)
        if seen is not None:
            results[i] = Received(seen, duplicate=True)
        else:
            _store_raw(raw_path(item.digest), item.raw)
            fresh.append(i)
    if fresh:
        # The same message twice in this batch: the first is stored, the others are duplicates.
        first_of: dict[tuple[int | None, str], int] = {}
        unique = []
        for i in fresh:
            if prepared[i].slot in first_of:
                continue
            first_of[prepared[i].slot] = i
            unique.append(i)
        try:
            with transaction.atomic():
                rows = InboundEmail.objects.bulk_create([_inbound_row(prepared[i]) for i in unique])
                stored = [(row, False) for row in rows]
        except IntegrityError:  # one arrived at the same moment by another route: one at a time
            with transaction.atomic():
                stored = [_store_row(prepared[i]) for i in unique]
        by_index = dict(zip(unique, stored, strict=True))
        for i in fresh:
            first = first_of[prepared[i].slot]
            row, elsewhere = by_index[first]
            results[i] = Received(row, duplicate=elsewhere or i != first)
    for i in fresh:
        got = results[i]
        assert got is not None
        if got.duplicate or got.inbound.inbox_id is not None:
            continue
        # Unique constraints treat NULLs as distinct: deduplicate inbox-less mail by hand.
        earliest = (
            InboundEmail.objects.filter(inbox__isnull=True, dedupe_key=got.inbound.dedupe_key)
            .order_by("id")
            .first()
        )
        if earliest is not None and earliest.pk != got.inbound.pk:
            InboundEmail.objects.filter(pk=got.inbound.pk).delete()
            results[i] = Received(earliest, duplicate=True)
    return [r for r in results if r is not None]


def ingest(
    raw: bytes,
    *,
    source: str,
    inbox: Inbox | None = None,
    mailbox: Mailbox | None = None,
    recipients: list[str] | None = None,
) -> Outcome:
    """Receive and process one message."""
    return ingest_many([(raw, source)], inbox=inbox, mailbox=mailbox, recipients=recipients)[0]


def ingest_many(
    items: Sequence[tuple[bytes, str]],
    *,
    inbox: Inbox | None = None,
    mailbox: Mailbox | None = None,
    recipients: list[str] | None = None,
) -> list[Outcome]:
    """Receive and process several (raw, source) messages (an import, a mailbox's backlog):
    stored in one transaction, processed in another (``process_many``). Outcomes in order."""
    received = receive_many(items, inbox=inbox, mailbox=mailbox, recipients=recipients)
    todo = [r.inbound.pk for r in received if not r.duplicate]
    done = dict(zip(todo, process_many(todo), strict=True))
    outcomes = []
    for r in received:
        if r.duplicate:
            out = outcome_of(r.inbound)
            out.outcome = "duplicate"
            outcomes.append(out)
        else:
            outcomes.append(done[r.inbound.pk])
    return outcomes


# --- process --------------------------------------------------------------------------------


def process(inbound_id: int) -> Outcome:
    """Turn a received message into a ticket, a reply, a held message, a bounce or a quarantine
    entry. Does nothing to a row that is no longer ``received``."""
    return process_many([inbound_id])[0]


def process_many(inbound_ids: Sequence[int]) -> list[Outcome]:
    """``process`` for several messages in one transaction. Messages that open tickets are
    collected and opened together (``_Batch``), before any message that could depend on them;
    listeners that take batches of events (SLA clocks, routing, live pages...) run once for the
    lot after the commit. One message's refusal quarantines that message only: the steps that
    write before they can be refused run in savepoints of their own. Should anything else fail,
    the whole batch is rolled back and done again with a savepoint per message, so that only
    the message at fault is left for the sweep. Keep batches to what takes well under a
    second: on SQLite the transaction holds the write lock."""
    try:
        return _process_batch(inbound_ids, careful=False)
    except _Retry:
        logger.warning(
            "a batch of %d inbound emails failed; processing it again message by message", len(inbound_ids)
        )
        return _process_batch(inbound_ids, careful=True)


class _Retry(Exception):
    """A failure that may have left a message half-written: redo the batch carefully."""


def _process_batch(inbound_ids: Sequence[int], *, careful: bool) -> list[Outcome]:
    outcomes: list[Outcome] = []
    with events.batched(), transaction.atomic():
        rows = {
            row.pk: row
            for row in InboundEmail.objects.select_for_update(of=("self",))
            .select_related("inbox", "mailbox")
            .filter(pk__in=list(inbound_ids))
        }
        batch = _Batch(_our_addresses(), rows.values())
        # Parsed first, all of them: the threading look-ups are then one query for the batch.
        read: dict[int, ParsedEmail | Outcome] = {}
        for inbound_id in inbound_ids:
            inbound = rows.get(inbound_id)
            if inbound is None:
                raise InboundEmail.DoesNotExist(f"no inbound email {inbound_id}")
            read[inbound_id] = _read_and_parse(inbound, batch)
        batch.references = thread.known_references([p for p in read.values() if isinstance(p, ParsedEmail)])
        for inbound_id in inbound_ids:
            inbound = rows[inbound_id]
            first = read[inbound_id]
            if isinstance(first, Outcome):
                outcomes.append(first)
                continue
            parsed = first
            while True:
                result = _process_one(inbound, batch, parsed, careful=careful)
                if isinstance(result, _FlushFirst):
                    batch.flush()
                    parsed = result.parsed
                    continue
                outcomes.append(result)
                break
        batch.flush()
        _save_marked(batch.finished, announce=False)
    return outcomes


def _process_one(
    inbound: InboundEmail, batch: _Batch, parsed: ParsedEmail, *, careful: bool
) -> Outcome | _FlushFirst:
    if not careful:
        try:
            return _process(inbound, batch, parsed)
        except _ApplyFailed as failed:
            if not failed.clean:
                raise _Retry from failed
            batch.forget(inbound)
            return _finish(
                inbound, InboundStatus.QUARANTINED, reason=failed.reason, parsed=failed.parsed, batch=batch
            )
        except Exception as exc:
            raise _Retry from exc
    try:
        with transaction.atomic():  # the message's own savepoint
            return _process(inbound, batch, parsed)
    except _ApplyFailed as failed:  # its writes are undone; it is quarantined
        batch.forget(inbound)
        return _quarantine(inbound, failed.reason, failed.parsed)
    except Exception as exc:  # a database error outside the guarded steps: the sweep retries
        batch.forget(inbound)
        logger.exception("processing inbound email %s failed", inbound.pk)
        return Outcome(inbound_id=inbound.pk, outcome=InboundStatus.RECEIVED, reason=f"error: {exc!r}")


@dataclass
class _FlushFirst:
    """This message depends on tickets the batch has not opened yet: open them, then retry."""

    parsed: ParsedEmail


def _read_and_parse(inbound: InboundEmail, batch: _Batch) -> ParsedEmail | Outcome:
    """The parsed message, or its outcome when it is done with already (processed before;
    unreadable: quarantined, written with the batch)."""
    if inbound.status != InboundStatus.RECEIVED:
        return outcome_of(inbound)
    inbound.attempts += 1
    raw = b""
    try:
        raw = _read_raw(inbound)
        parsed = parse(raw)
    except Unparseable as exc:
        _note_headers(inbound, raw)
        return _finish(inbound, InboundStatus.QUARANTINED, reason=str(exc), batch=batch)
    except Exception as exc:  # a parser defect: keep the message, say why
        logger.exception("parsing inbound email %s failed", inbound.pk)
        _note_headers(inbound, raw)
        reason = f"parser error: {exc!r}"[:2000]
        return _finish(inbound, InboundStatus.QUARANTINED, reason=reason, batch=batch)
    inbound.mail_id = parsed.message_id or inbound.mail_id
    inbound.from_address = parsed.from_address[:320]
    inbound.subject = parsed.subject
    return parsed


def _process(inbound: InboundEmail, batch: _Batch, parsed: ParsedEmail) -> Outcome | _FlushFirst:
    try:
        return _apply(inbound, parsed, batch)
    except DomainError as exc:
        raise _ApplyFailed(f"refused: {exc}", parsed, clean=True) from exc
    except Exception as exc:
        logger.exception("processing inbound email %s failed", inbound.pk)
        raise _ApplyFailed(f"error: {exc!r}"[:2000], parsed, clean=False) from exc


class _ApplyFailed(Exception):
    """The domain refused a parsed message, or failed on it: it is quarantined with ``reason``.
    ``clean``: a refusal, raised by our rules, whose writes (if any) ran in a savepoint of their
    own that is already undone; otherwise only rolling back the message's savepoint undoes
    what it wrote."""

    def __init__(self, reason: str, parsed: ParsedEmail, *, clean: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.parsed = parsed
        self.clean = clean


def _quarantine(inbound: InboundEmail, reason: str, parsed: ParsedEmail) -> Outcome:
    try:
        with transaction.atomic():
            return _finish(inbound, InboundStatus.QUARANTINED, reason=reason, parsed=parsed)
    except Exception as exc:  # cannot even say why: left received, for the sweep
        logger.exception("quarantining inbound email %s failed", inbound.pk)
        return Outcome(inbound_id=inbound.pk, outcome=InboundStatus.RECEIVED, reason=f"error: {exc!r}")


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


def _apply(inbound: InboundEmail, parsed: ParsedEmail, batch: _Batch) -> Outcome | _FlushFirst:
    inbox = inbound.inbox
    ours = batch.ours
    if parsed.bounce is not None:
        return _bounce(inbound, parsed, batch)
    sender = parsed.from_address
    if not sender:
        return _finish(
            inbound, InboundStatus.QUARANTINED, reason="no sender address", parsed=parsed, batch=batch
        )
    if tokens.base_address(sender) in ours:
        return _finish(
            inbound,
            InboundStatus.IGNORED,
            reason="sent from one of our own addresses",
            parsed=parsed,
            batch=batch,
        )
    if batch.sent_by_us(parsed.message_id):
        reason = "our own message came back"
        return _finish(inbound, InboundStatus.IGNORED, reason=reason, parsed=parsed, batch=batch)

    if batch.references_pending(parsed):
        return _FlushFirst(parsed)
    found = thread.find(parsed, inbox, known=batch.references)
    if found is not None and found.ticket.status != Status.CLOSED:
        if batch.pending:  # its sender or copied people may be among the batch's new contacts
            return _FlushFirst(parsed)
        with transaction.atomic():  # a refusal of the reply undoes what it wrote
            return _threaded(inbound, parsed, found.ticket, batch)
    return batch.add(inbound, parsed, inbox, follow_up_of=found.ticket if found else None)


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


def _cid_map(parsed: ParsedEmail, attachments: Iterable[Attachment]) -> dict[str, int]:
    """Content-ID -> stored attachment id, for the message's inline parts."""
    by_name: dict[str, list[int]] = {}
    for att in attachments:
        if att.inline:
            by_name.setdefault(att.name, []).append(att.pk)
    mapping = {}
    for part in parsed.attachments:
        if part.inline and part.content_id and by_name.get(part.name):
            mapping[part.content_id] = by_name[part.name].pop(0)
    return mapping


@dataclass
class _Opening:
    inbound: InboundEmail
    parsed: ParsedEmail
    inbox: Inbox | None
    follow_up_of: Ticket | None
    copied: list[str]
    outcome: Outcome  # filled in when the batch opens the ticket


class _Batch:
    """Messages of one ``process_many`` that open tickets, opened together by ``flush``: the
    contacts in one look-up, the tickets with ``create_tickets``, the references in one insert.
    A flush that fails is retried one message at a time, so only the message at fault is
    quarantined."""

    def __init__(self, ours: set[str], rows: Iterable[InboundEmail] = ()) -> None:
        self.ours = ours
        self.pending: list[_Opening] = []
        self.keys: set[str] = set()  # the pending messages' Message-ID keys
        self.finished: list[InboundEmail] = []  # rows marked, written at the batch's end
        # The references the batch's messages point to, by key (``thread.known_references``),
        # kept up to date with those the batch writes.
        self.references: dict[str, list[EmailReference]] = {}
        self.written: dict[int, EmailReference] = {}  # by inbound row: the reference a reply wrote
        # Which of the batch's Message-IDs (as read on receipt) are of mail we sent: one query.
        self.looked_up = {row.mail_id for row in rows if row.mail_id}
        self.ours_sent = (
            set(OutboundEmail.objects.filter(mail_id__in=self.looked_up).values_list("mail_id", flat=True))
            if self.looked_up
            else set()
        )

    def sent_by_us(self, message_id: str) -> bool:
        """An auto-reply quoting one of our Message-IDs is handled by threading; but a copy of a
        message we sent (same Message-ID as an outbox row) must never become a customer's."""
        if not message_id:
            return False
        if message_id in self.looked_up:
            return message_id in self.ours_sent
        return OutboundEmail.objects.filter(mail_id=message_id).exists()

    def forget(self, inbound: InboundEmail) -> None:
        """A message whose savepoint was rolled back: its row is not written as finished, and
        the reference it wrote is gone."""
        self.finished = [row for row in self.finished if row is not inbound]
        reference = self.written.pop(inbound.pk, None)
        if reference is not None:
            self.references[reference.key] = [
                r for r in self.references.get(reference.key, []) if r is not reference
            ]

    def references_pending(self, parsed: ParsedEmail) -> bool:
        if not self.keys:
            return False
        # The same keys, in the same order and number, that threading reads.
        return any(key in self.keys for key in thread.reference_keys(parsed))

    def add(
        self, inbound: InboundEmail, parsed: ParsedEmail, inbox: Inbox | None, follow_up_of: Ticket | None
    ) -> Outcome:
        # Addresses are checked now, so that a refusal quarantines this message alone.
        normalise_email(parsed.from_address)
        copied = self._copied(parsed)
        for address in copied:
            normalise_email(address)
        outcome = Outcome(inbound_id=inbound.pk, outcome=InboundStatus.RECEIVED)
        self.pending.append(_Opening(inbound, parsed, inbox, follow_up_of, copied, outcome))
        if parsed.message_id:
            self.keys.add(tokens.key(parsed.message_id))
        return outcome

    def _copied(self, parsed: ParsedEmail) -> list[str]:
        """People the requester copied: they follow the ticket and get its public replies from
        now on, never its history. Our own addresses and agents are not customers."""
        addresses = [a for a in dict.fromkeys(parsed.cc + parsed.to) if a != parsed.from_address]
        return [a for a in addresses if tokens.base_address(a) not in self.ours]

    def flush(self) -> None:
        items, self.pending, self.keys = self.pending, [], set()
        if not items:
            return
        try:
            with transaction.atomic():
                written = self._open(items)
        except Exception:
            if len(items) > 1:
                logger.exception("opening %d tickets together failed; opening them one by one", len(items))
        else:
            self.know(written)
            return
        for item in items:
            try:
                with transaction.atomic():
                    written = self._open([item])
            except DomainError as exc:
                self._fill(item, _quarantine(item.inbound, f"refused: {exc}", item.parsed))
            except Exception as exc:
                logger.exception("processing inbound email %s failed", item.inbound.pk)
                self._fill(item, _quarantine(item.inbound, f"error: {exc!r}"[:2000], item.parsed))
            else:
                self.know(written)

    def know(self, references: Iterable[EmailReference]) -> None:
        """References the batch wrote (committed with it): later messages thread onto them."""
        for ref in references:
            self.references.setdefault(ref.key, []).append(ref)

    @staticmethod
    def _fill(item: _Opening, done: Outcome) -> None:
        item.outcome.__dict__.update(done.__dict__)

    def _open(self, items: list[_Opening]) -> list[EmailReference]:
        """Open the tickets; returns the references written (known to the batch once the
        savepoint around this holds)."""
        everyone = [a for item in items for a in item.copied]
        agents = (
            {a.lower() for a in Agent.objects.filter(email__in=everyone).values_list("email", flat=True)}
            if everyone
            else set()
        )
        contacts = find_or_create_contacts(
            [(i.parsed.from_address, i.parsed.from_name) for i in items]
            + [(a, "") for a in everyone if a.lower() not in agents]
        )
        specs = []
        for item in items:
            parsed = item.parsed
            contact = contacts[normalise_email(parsed.from_address).lower()]
            text, html, uploads, _ = _content(parsed)
            follow_up = item.follow_up_of
            subject = parsed.subject or (f"Follow-up to #{follow_up.number}" if follow_up else "(no subject)")
            copied = [contacts[normalise_email(a).lower()] for a in item.copied if a.lower() not in agents]
            specs.append(
                NewTicket(
                    actor=contact,
                    requester=contact,
                    subject=subject[:500],
                    body_text=text,
                    body_html=html,
                    channel=Channel.EMAIL,
                    inbox=item.inbox,
                    attachments=uploads,
                    copied=copied,
                )
            )
        opened = create_tickets(specs)
        references = []
        for item, o in zip(items, opened, strict=True):
            mapping = _cid_map(item.parsed, o.attachments)
            if mapping:
                link_inline_images(o.message, mapping)
            if item.parsed.message_id:
                references.append(
                    EmailReference(
                        inbox=item.inbound.inbox,
                        key=tokens.key(item.parsed.message_id),
                        mail_id=item.parsed.message_id,
                        ticket=o.ticket,
                        message=o.message,
                    )
                )
        EmailReference.objects.bulk_create(references)
        for item, o in zip(items, opened, strict=True):
            _mark(item.inbound, InboundStatus.CREATED, ticket=o.ticket, message=o.message)
        _save_marked([item.inbound for item in items])
        for item, o in zip(items, opened, strict=True):
            names = [a.name for a in o.attachments]
            self._fill(item, outcome_of(item.inbound, message=o.message, attachment_names=names))
        return references


def _threaded(inbound: InboundEmail, parsed: ParsedEmail, ticket: Ticket, batch: _Batch) -> Outcome:
    ours = batch.ours
    sender = thread.who_wrote(ticket, parsed.from_address)
    if parsed.authentication_failed:
        return _hold(
            inbound, parsed, ticket, f"{parsed.authentication_failed} for {parsed.from_address}", batch
        )
    if sender.kind == "unknown":
        reason = f"{parsed.from_address} is not a participant of #{ticket.number}"
        return _hold(inbound, parsed, ticket, reason, batch)
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
    reference = _after_message(inbound, parsed, ticket, message, ours, copy_cc=sender.kind == "requester")
    if reference is not None:
        batch.written[inbound.pk] = reference
        batch.know([reference])
    return _finish(
        inbound, InboundStatus.THREADED, ticket=ticket, message=message, parsed=parsed, batch=batch
    )


def _after_message(
    inbound: InboundEmail,
    parsed: ParsedEmail,
    ticket: Ticket,
    message: Message,
    ours: set[str],
    *,
    copy_cc: bool,
) -> EmailReference | None:
    """Inline images, the message's reference (returned) and its copied followers."""
    mapping = _cid_map(parsed, message.attachments.all())
    if mapping:
        link_inline_images(message, mapping)
    reference = None
    if parsed.message_id:
        reference = EmailReference.objects.create(
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
    return reference


def _hold(inbound: InboundEmail, parsed: ParsedEmail, ticket: Ticket, reason: str, batch: _Batch) -> Outcome:
    publish(EmailHeld(inbound_id=inbound.pk, ticket_id=ticket.pk, reason=reason))
    return _finish(inbound, InboundStatus.HELD, ticket=ticket, reason=reason, parsed=parsed, batch=batch)


def _bounce(inbound: InboundEmail, parsed: ParsedEmail, batch: _Batch) -> Outcome:
    bounce = parsed.bounce
    assert bounce is not None
    original = (
        OutboundEmail.objects.filter(mail_id=bounce.original_message_id).first()
        if bounce.original_message_id
        else None
    )
    ticket = None
    if original is not None:
        from zabota.channels.email.outbox import mark_bounced

        ticket = original.ticket
        with transaction.atomic():  # a refusal undoes what it wrote
            publish(
                BounceReceived(
                    inbound_id=inbound.pk,
                    outbound_id=original.pk,
                    permanent=bounce.permanent,
                    recipients=tuple(bounce.recipients),
                    diagnostic=bounce.diagnostic or bounce.status,
                )
            )
            mark_bounced(original, permanent=bounce.permanent, diagnostic=bounce.diagnostic or bounce.status)
    reason = "delivery report" + (f" for {', '.join(bounce.recipients)}" if bounce.recipients else "")
    if original is None:
        reason += " (not about a message we sent)"
    return _finish(inbound, InboundStatus.BOUNCE, ticket=ticket, reason=reason, parsed=parsed, batch=batch)


_FINISHED_FIELDS = [
    "status",
    "reason",
    "ticket",
    "message",
    "processed_at",
    "attempts",
    "mail_id",
    "from_address",
    "subject",
]


def _finish(
    inbound: InboundEmail,
    status: str,
    *,
    ticket: Ticket | None = None,
    message: Message | None = None,
    reason: str = "",
    parsed: ParsedEmail | None = None,
    attachment_names: list[str] | None = None,
    batch: _Batch | None = None,
) -> Outcome:
    """Record what became of the message: now, or with the rest of ``batch`` at its end."""
    _mark(inbound, status, ticket=ticket, message=message, reason=reason)
    if batch is not None:
        batch.finished.append(inbound)
        publish(InboundProcessed(inbound_id=inbound.pk, status=status))
    else:
        _save_marked([inbound])
    return outcome_of(inbound, parsed=parsed, message=message, attachment_names=attachment_names)


def _mark(
    inbound: InboundEmail,
    status: str,
    *,
    ticket: Ticket | None = None,
    message: Message | None = None,
    reason: str = "",
) -> None:
    """What became of the message, on the row (``_save_marked`` writes it)."""
    inbound.status = status
    inbound.reason = reason
    inbound.ticket = ticket
    inbound.message = message
    inbound.processed_at = clock.now()


def _save_marked(rows: list[InboundEmail], *, announce: bool = True) -> None:
    if not rows:
        return
    if len(rows) == 1:
        rows[0].save(update_fields=_FINISHED_FIELDS)
    else:
        # One statement run for each row (Django's bulk_update builds a CASE per field and
        # costs more than the rows' own saves).
        fields = [f for f in InboundEmail._meta.concrete_fields if f.name in _FINISHED_FIELDS]
        table = connection.ops.quote_name(InboundEmail._meta.db_table)
        assignments = ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in fields)
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET {assignments} WHERE id = %s",  # noqa: S608 (names from the model)
                [
                    [f.get_db_prep_save(getattr(row, f.attname), connection) for f in fields] + [row.pk]
                    for row in rows
                ],
            )
    if announce:
        for row in rows:
            publish(InboundProcessed(inbound_id=row.pk, status=row.status))


def outcome_of(
    inbound: InboundEmail,
    *,
    parsed: ParsedEmail | None = None,
    message: Message | None = None,
    attachment_names: list[str] | None = None,
) -> Outcome:
    ticket_number = inbound.ticket.number if inbound.ticket_id and inbound.ticket else None
    text = ""
    names: list[str] = []
    if message is not None:
        text = message.body_text
        names = (
            attachment_names if attachment_names is not None else [a.name for a in message.attachments.all()]
        )
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
    """Process messages that were stored but not processed (a worker died in between).
    Returns how many are done now; one that fails again stays for the next sweep (so a caller
    looping until this returns 0 stops)."""
    ids = list(
        InboundEmail.objects.filter(status=InboundStatus.RECEIVED)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    finished = 0
    for start in range(0, len(ids), BATCH):
        outcomes = process_many(ids[start : start + BATCH])
        finished += sum(o.outcome != InboundStatus.RECEIVED for o in outcomes)
    return finished


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
