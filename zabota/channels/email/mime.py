"""An outbox row -> the RFC 5322 message we hand to SMTP, and the small helpers that decide what a
reply's headers say.

Everything that makes a customer's mail client thread our answer is fixed when the row is
queued (``outbox.py``) and only read here: the Message-ID (the same on every retry, so a retry
that did reach the customer shows as one message), In-Reply-To and References, the Reply-To
token address, the subject with the ticket number. Attachments are read from storage at send
time; the text never contains the ticket's history.
"""

from __future__ import annotations

import html
import re

from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend

from zabota.channels.email.models import OutboundEmail
from zabota.tickets.models import Attachment

MAX_REFERENCES = 20  # the first Message-ID of the thread and the most recent ones

_PREFIX = re.compile(r"^\s*((re|fwd?|aw|ha|отв|ответ|пересл)\s*(\[\d+\])?\s*:\s*)+", re.I)


def reply_subject(subject: str, number: int) -> str:
    """``Re: <subject> [#<number>]`` without stacking prefixes or repeating the number."""
    bare = _PREFIX.sub("", subject or "").strip()
    tag = f"[#{number}]"
    if tag not in bare:
        bare = f"{bare} {tag}".strip()
    return f"Re: {bare}"


def references_chain(mail_ids: list[str], in_reply_to: str) -> list[str]:
    """The thread's Message-IDs, oldest first, ending with the one we answer, capped."""
    chain = [m for m in dict.fromkeys(mail_ids) if m and m != in_reply_to]
    if in_reply_to:
        chain.append(in_reply_to)
    if len(chain) > MAX_REFERENCES:
        chain = chain[:1] + chain[-(MAX_REFERENCES - 1) :]
    return chain


def with_signature(text: str, body_html: str, signature: str) -> tuple[str, str]:
    """The plain and HTML bodies of a mail: the message and the mailbox's signature.

    ``body_html`` is already sanitised (nh3, by the tickets context) or empty; the signature is
    plain text typed by an admin and is escaped."""
    text = text.rstrip()
    html_body = (
        body_html or "<p>" + html.escape(text).replace("\n\n", "</p><p>").replace("\n", "<br>") + "</p>"
    )
    if signature.strip():
        text = f"{text}\n\n-- \n{signature.strip()}"
        html_body += '<p class="signature">' + html.escape(signature.strip()).replace("\n", "<br>") + "</p>"
    return text, f"<!DOCTYPE html><html><body>{html_body}</body></html>"


def _bracket(mail_id: str) -> str:
    return f"<{mail_id}>"


def build(row: OutboundEmail, connection: BaseEmailBackend | None = None) -> EmailMultiAlternatives:
    headers = {"Message-ID": _bracket(row.mail_id)}
    if row.in_reply_to:
        headers["In-Reply-To"] = _bracket(row.in_reply_to)
    if row.references:
        headers["References"] = " ".join(_bracket(m) for m in row.references.split())
    if row.auto_submitted:
        # System mail: no vacation responder or list robot should answer it (RFC 3834, and the
        # header Exchange honours).
        headers["Auto-Submitted"] = row.auto_submitted
        headers["X-Auto-Response-Suppress"] = "All"
    mail = EmailMultiAlternatives(
        subject=row.subject,
        body=row.body_text,
        from_email=row.from_address,
        to=list(row.to),
        cc=list(row.cc),
        reply_to=[row.reply_to] if row.reply_to else [],
        headers=headers,
        connection=connection,
    )
    if row.body_html:
        mail.attach_alternative(row.body_html, "text/html")
    if row.message_id is not None:
        for attachment in Attachment.objects.filter(message_id=row.message_id).order_by("id"):
            with attachment.file.open("rb") as f:
                mail.attach(attachment.name, f.read(), attachment.content_type or "application/octet-stream")
    return mail
