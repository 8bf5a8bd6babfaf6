"""Building test mail: small RFC 5322 messages, and the support mailbox of the demo inbox."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from zabota.channels.email.models import Mailbox
from zabota.core import clock
from zabota.tickets.models import Inbox


def make_mailbox(address: str = "support@zabota.test", name: str = "Support") -> Mailbox:
    inbox, _ = Inbox.objects.get_or_create(name=name, defaults={"slug": name.lower(), "email": address})
    return Mailbox.objects.create(inbox=inbox, address=address, from_name=f"{name} team")


def mail(
    *,
    sender: str = "Carol <carol@acme.test>",
    to: str = "support@zabota.test",
    subject: str = "Printer is on fire",
    body: str = "Hello, the printer is on fire.",
    html: str | None = None,
    cc: str | None = None,
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, bytes, str]] | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    msg["Date"] = format_datetime(clock.now())
    msg["Message-ID"] = message_id or make_msgid(domain="acme.test")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    for k, v in (headers or {}).items():
        msg[k] = v
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    for name, content, ctype in attachments or []:
        maintype, subtype = ctype.split("/")
        msg.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()
