"""Delivery reports: RFC 3464 DSNs and the common non-standard bounce formats.

A bounce names the message it reports on (its Message-ID, from the returned headers or the
text) so that ingest can attach it to that message, mark it failed, and alert the agent; a
bounce never opens a ticket.
"""

from __future__ import annotations

import email
import re
from dataclasses import dataclass, field
from email import policy
from email.message import Message

from flufl.bounce import all_failures

_BOUNCE_SENDER = re.compile(
    r"^(mailer-daemon|postmaster|mail-daemon|mailer|bounce[s]?|mdaemon)([+@.-]|$)", re.I
)
_BOUNCE_SUBJECT = re.compile(
    r"(undeliver|undelivered mail|delivery status notification \((failure|delay)\)|delivery (has )?failed|"
    r"mail delivery (failed|failure|system|subsystem)|returned mail|failure notice|"
    r"could not be delivered|non[- ]?delivery|delivery failure|message not delivered|"
    r"недостав|не доставлен|не может быть доставлено|ошибка доставки|возвращено)",
    re.I,
)
_MESSAGE_ID = re.compile(r"^\s*Message-ID:\s*<([^<>\s]+)>", re.I | re.M)


@dataclass
class Bounce:
    original_message_id: str = ""
    recipients: list[str] = field(default_factory=list)
    status: str = ""  # the DSN's Status (5.1.1) when there is one
    permanent: bool = True
    diagnostic: str = ""
    kind: str = "dsn"  # "dsn" or "non-dsn"


def detect(msg: Message, from_address: str, subject: str) -> Bounce | None:
    report = _dsn(msg)
    if report is not None:
        return report
    local = from_address.partition("@")[0]
    looks_like = (not from_address or _BOUNCE_SENDER.match(local)) and _BOUNCE_SUBJECT.search(subject or "")
    if not looks_like:
        return None
    bounce = Bounce(kind="non-dsn")
    try:
        temporary, permanent = all_failures(msg)
        bounce.recipients = sorted({_addr(r) for r in (permanent | temporary) if _addr(r)})
        bounce.permanent = bool(permanent) or not temporary
    except Exception:
        pass
    bounce.original_message_id = _returned_message_id(msg)
    return bounce


def _addr(value: bytes | str) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    return text.strip().strip("<>").lower()


def _dsn(msg: Message) -> Bounce | None:
    if msg.get_content_type() != "multipart/report":
        return None
    if str(msg.get_param("report-type") or "").lower() != "delivery-status":
        return None
    bounce = Bounce(kind="dsn")
    actions = []
    for part in msg.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        for block in _status_blocks(part):
            rcpt = block.get("final-recipient") or block.get("original-recipient") or ""
            if ";" in rcpt:
                rcpt = rcpt.split(";", 1)[1]
            if rcpt.strip():
                bounce.recipients.append(rcpt.strip().strip("<>").lower())
            if block.get("action"):
                actions.append(block["action"].lower())
            if block.get("status") and not bounce.status:
                bounce.status = block["status"].split()[0]
            if block.get("diagnostic-code") and not bounce.diagnostic:
                bounce.diagnostic = block["diagnostic-code"][:1000]
    if actions and all(a in ("delayed", "relayed", "delivered", "expanded") for a in actions):
        bounce.permanent = False
    elif bounce.status.startswith("4"):
        bounce.permanent = False
    bounce.original_message_id = _returned_message_id(msg)
    return bounce


def _status_blocks(part: Message) -> list[dict[str, str]]:
    """The per-message and per-recipient field groups of a message/delivery-status part."""
    payload = part.get_payload()
    blocks: list[dict[str, str]] = []
    if isinstance(payload, list):  # the standard library parsed the groups as messages
        for sub in payload:
            if isinstance(sub, Message):
                blocks.append({k.lower(): str(v) for k, v in sub.items()})
        return blocks
    raw = part.get_payload(decode=True) or b""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    for chunk in re.split(r"\r?\n\s*\r?\n", text):
        fields: dict[str, str] = {}
        for line in re.split(r"\r?\n(?![ \t])", chunk):
            name, sep, value = line.partition(":")
            if sep:
                fields[name.strip().lower()] = " ".join(value.split())
        if fields:
            blocks.append(fields)
    return blocks


def _returned_message_id(msg: Message) -> str:
    """The Message-ID of the returned message: from a message/rfc822 or text/rfc822-headers
    part, else from a "Message-ID:" line in the report's text."""
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype == "message/rfc822":
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                mid = inner[0].get("Message-ID")
                if mid:
                    found = re.search(r"<([^<>\s]+)>", str(mid))
                    return found.group(1) if found else str(mid).strip()
        if ctype in ("text/rfc822-headers", "text/plain", "message/rfc822-headers"):
            try:
                data = part.get_payload(decode=True) or b""
            except Exception:
                continue
            if isinstance(data, bytes):
                found = _MESSAGE_ID.search(data.decode("utf-8", "replace"))
                if found:
                    return found.group(1)
    return ""


def parse_bytes(raw: bytes) -> Bounce | None:
    msg = email.message_from_bytes(raw, policy=policy.default)
    return detect(msg, "", str(msg.get("Subject", "")))
