"""Pieces every ticket action uses: actor checks, activity rows, bodies, attachments, numbers."""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import filetype
import nh3
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import F

from zabota.accounts.models import Agent
from zabota.core import clock
from zabota.core.errors import NotFound, PermissionDenied, ValidationFailed
from zabota.core.models import Counter
from zabota.customers.models import Contact
from zabota.tickets.choices import ErrorCode
from zabota.tickets.models import Activity, Attachment, Message, Ticket
from zabota.tickets.queries import access_ticket

Actor = Agent | Contact | None  # None is the system itself

MAX_BODY = 1_000_000


@dataclass(frozen=True)
class Upload:
    """An attachment as received: the original name and the bytes."""

    name: str
    content: bytes
    inline: bool = False


def agent_of(actor: Actor) -> Agent | None:
    return actor if isinstance(actor, Agent) else None


def contact_of(actor: Actor) -> Contact | None:
    return actor if isinstance(actor, Contact) else None


def require_editor(actor: Actor) -> None:
    """Changing a ticket's fields is for admins and agents (and the system)."""
    if isinstance(actor, Contact) or (isinstance(actor, Agent) and actor.is_collaborator):
        raise PermissionDenied("you may not change this ticket's fields", code=ErrorCode.READ_ONLY)


def record(
    ticket: Ticket, actor: Actor, verb: str, field: str = "", before: Any = None, after: Any = None
) -> Activity:
    row = activity_row(ticket, actor, verb, field, before, after)
    row.save()
    return row


def activity_row(
    ticket: Ticket,
    actor: Actor,
    verb: str,
    field: str = "",
    before: Any = None,
    after: Any = None,
    *,
    at: datetime | None = None,
) -> Activity:
    """An unsaved activity row (``record`` saves one; bulk actions save many at once)."""
    return Activity(
        ticket=ticket,
        actor_agent=agent_of(actor),
        actor_contact=contact_of(actor),
        verb=verb,
        field=field,
        before=before,
        after=after,
        created_at=at or clock.now(),
    )


def touch(ticket: Ticket) -> None:
    ticket.updated_at = clock.now()
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=ticket.updated_at)


def next_number() -> int:
    """The next ticket number. The counter row is locked until the transaction ends."""
    return next_numbers(1)[0]


def next_numbers(n: int) -> list[int]:
    """The next ``n`` ticket numbers, in order. The counter row is locked until the transaction
    ends."""
    updated = Counter.objects.filter(name="ticket").update(value=F("value") + n)
    if not updated:
        start = (Ticket.objects.order_by("-number").values_list("number", flat=True).first() or 0) + 1
        Counter.objects.create(name="ticket", value=start + n - 1)
        return list(range(start, start + n))
    last = Counter.objects.get(name="ticket").value
    return list(range(last - n + 1, last + 1))


_ALLOWED_TAGS = set(nh3.ALLOWED_TAGS)
_BLOCK_BREAK = re.compile(r"(?i)<\s*(br|/p|/div|/li|/tr|/h[1-6]|/blockquote)\b[^>]*>")
_TAG = re.compile(r"<[^>]+>")


def clean_html(raw: str) -> str:
    """Sanitised HTML safe to show agents and customers (scripts, handlers, styles removed)."""
    return nh3.clean(
        raw,
        tags=_ALLOWED_TAGS,
        url_schemes={"http", "https", "mailto", "cid"},
        link_rel="noopener noreferrer nofollow",
    )


def text_from_html(cleaned: str) -> str:
    text = _BLOCK_BREAK.sub("\n", cleaned)
    text = html.unescape(_TAG.sub("", text))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def bodies(body_text: str | None, body_html: str | None) -> tuple[str, str]:
    """(plain text, sanitised HTML) for a message; text is derived from HTML when not given."""
    body_text = (body_text or "").replace("\x00", "")
    body_html = (body_html or "").replace("\x00", "")
    if len(body_text) > MAX_BODY or len(body_html) > MAX_BODY:
        raise ValidationFailed("the message body is too long", fields={"body": "too_long"})
    cleaned = clean_html(body_html) if body_html.strip() else ""
    if not body_text.strip() and cleaned:
        body_text = text_from_html(cleaned)
    if not body_text.strip() and not html_has_content(cleaned):
        raise ValidationFailed("the message is empty", fields={"body": "required"})
    return body_text, cleaned


def html_has_content(cleaned_html: str) -> bool:
    """Whether sanitised HTML shows anything: text or an image (an empty editor's <p><br></p> doesn't)."""
    return bool(text_from_html(cleaned_html).strip()) or "<img" in cleaned_html.lower()


def store_attachments(message: Message, uploads: list[Upload]) -> list[Attachment]:
    saved = attachment_rows(message, uploads)
    for att in saved:
        att.save()
    return saved


def attachment_rows(message: Message, uploads: list[Upload]) -> list[Attachment]:
    """The attachments' rows, unsaved, with their files stored (``store_attachments`` saves
    them one by one; ``create_tickets`` all of a batch in one insert)."""
    saved = []
    for up in uploads:
        if len(up.content) > settings.ATTACHMENT_MAX_BYTES:
            raise ValidationFailed(
                f"{up.name!r} is larger than {settings.ATTACHMENT_MAX_BYTES} bytes",
                fields={"attachments": "too_large"},
            )
        digest = hashlib.sha256(up.content).hexdigest()
        kind = filetype.guess(up.content)
        content_type = (
            kind.mime if kind else ("text/plain" if _looks_text(up.content) else "application/octet-stream")
        )
        name = (up.name or "attachment").replace("/", "_").replace("\\", "_").replace("\x00", "")[
            :255
        ] or "attachment"
        att = Attachment(
            message=message,
            name=name,
            size=len(up.content),
            content_type=content_type,
            sha256=digest,
            inline=up.inline,
        )
        path = f"attachments/{digest[:2]}/{digest[2:4]}/{digest}"
        if default_storage.exists(path):
            att.file.name = path
        else:
            att.file.save(digest, ContentFile(up.content), save=False)
        saved.append(att)
    return saved


def _looks_text(content: bytes) -> bool:
    head = content[:4096]
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def lock_ticket(actor: Actor, ticket_id: int) -> Ticket:
    """The ticket, row-locked until the transaction ends; NotFound if ``actor`` can't see it.
    The system (``actor`` None) sees every ticket."""
    if actor is None:
        ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
        if ticket is None:
            raise NotFound(f"ticket {ticket_id} not found")
        return ticket
    return access_ticket(actor, ticket_id, for_update=True)


def link_inline_images(message: Message, content_ids: dict[str, int]) -> None:
    """Point a message's ``cid:`` images at its stored attachments (``content_ids`` maps a
    Content-ID to the attachment's id). Called by a channel inside its action's transaction."""
    html = message.body_html
    for cid, attachment_id in content_ids.items():
        html = html.replace(f'src="cid:{cid}"', f'src="/attachments/{attachment_id}/preview"')
    if html != message.body_html:
        message.body_html = html
        Message.objects.filter(pk=message.pk).update(body_html=html)
