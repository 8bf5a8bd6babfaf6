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
    r"^(mailer[-_.]?daemon|post[-_.]?master|mail[-_.]?daemon|mailer|bounce[s]?|mdaemon|"
    r"mail[-_.]?delivery[-_.]?(system|subsystem)?|mail[-_.]?administrator)([+@.-]|$)",
    re.I,
)
_BOUNCE_SUBJECT = re.compile(
    r"(undeliver|undelivered mail|delivery status notification \((failure|delay)\)|delivery (has )?failed|"
    r"mail delivery (failed|failure|system|subsystem)|returned mail|failure notice|"
    r"could not be delivered|non[- ]?delivery|delivery failure|message not delivered|"
    r"delivery status notification|failed delivery|error sending your mail|delivery failure|"
    r"недостав|не доставлен|не может быть доставлено|ошибка доставки|возвращено|"
    r"メールエラー|エラー通知|配信エラー|不達)",
    re.I,
)
# Words of a delivery failure in a report's text (non-standard bounces carry no DSN part).
_FAILURE_TEXT = re.compile(
    r"(could not be delivered|undeliverable|undelivered|delivery (to the following recipients? )?"
    r"(has )?failed|permanent(ly)? (error|fatal|failure)|failed permanently|user unknown|unknown user|"
    r"no such (user|mailbox|recipient)|mailbox (unavailable|is full|full|not found)|does not exist|"
    r"recipient address rejected|address rejected|unable to deliver|was not delivered|"
    r"invalid recipient|user not found|delivery error|returned to sender|could not deliver|"
    r"\b5\d\d[ -]5\.\d{1,3}\.\d{1,3}\b|\b5\.\d{1,3}\.\d{1,3}\b|"
    r"не может быть доставлено|не доставлено|недоставлен|ошибка доставки|"
    r"送信できませんでした|配信できません|届きませんでした|宛先不明)",
    re.I,
)
_ADDRESS = re.compile(r"[A-Za-z0-9._%+=/'!#$&*?^`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# Where a non-standard bounce starts quoting the returned message.
_ORIGINAL_STARTS = re.compile(
    r"^(?:[-=_ ]*(?:original message|returned message|this is a copy of the message|"
    r"message (?:headers )?follows|original headers|the original message|unsent message|"
    r"headers of your message)|Received: |Return-Path: |Message-ID: |From: |To: )",
    re.I | re.M,
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
        if not report.recipients:
            report.recipients = _recipients_from_text(msg)
        return report
    local = from_address.partition("@")[0]
    by_sender = not from_address or bool(_BOUNCE_SENDER.match(local))
    by_subject = bool(_BOUNCE_SUBJECT.search(subject or ""))
    if not (by_sender or by_subject):
        return None
    text = _report_text(msg)
    by_text = bool(_FAILURE_TEXT.search(text))
    # A bounce sender with a bounce subject or failure words; or, from any sender, a bounce
    # subject backed by failure words in the text (Exchange, Verizon, KDDI and friends).
    if not ((by_sender and (by_subject or by_text)) or (by_subject and by_text)):
        return None
    bounce = Bounce(kind="non-dsn")
    try:
        temporary, permanent = all_failures(msg)
        bounce.recipients = sorted({_addr(r) for r in (permanent | temporary) if _addr(r)})
        bounce.permanent = bool(permanent) or not temporary
    except Exception:
        pass
    if not bounce.recipients:
        bounce.recipients = _recipients_from_text(msg)
    bounce.original_message_id = _returned_message_id(msg)
    return bounce


def _report_text(msg: Message) -> str:
    """The bounce's own text: its first text part, without the returned message."""
    for part in msg.walk():
        if part.get_content_type() in ("message/rfc822", "text/rfc822-headers"):
            break
        if part.get_content_maintype() == "text":
            try:
                data = part.get_payload(decode=True) or b""
            except Exception:
                continue
            if isinstance(data, bytes) and data.strip():
                charset = part.get_content_charset() or "utf-8"
                try:
                    return data.decode(charset, "replace")[:20000]
                except LookupError:
                    return data.decode("utf-8", "replace")[:20000]
    return ""


_NOT_RECIPIENTS = re.compile(r"^(mailer[-_.]?daemon|post[-_.]?master|mail[-_.]?daemon|root|abuse)@", re.I)


def _recipients_from_text(msg: Message) -> list[str]:
    """The failed recipients a non-standard report names in its text: the addresses before the
    returned message starts, other than the report's own sender and addressee."""
    text = _report_text(msg)
    body = text
    # Skip the report's opening lines before looking for where the returned message starts.
    first_lines = "\n".join(text.splitlines()[:3])
    found = _ORIGINAL_STARTS.search(text, len(first_lines))
    if found:
        body = text[: found.start()]
    exclude: set[str] = set()
    for header in ("From", "To", "Sender", "Return-Path", "Reply-To"):
        for value in msg.get_all(header) or []:
            exclude.update(a.lower() for a in _ADDRESS.findall(str(value)))
    result: list[str] = []
    for address in _ADDRESS.findall(body):
        address = address.strip(".'").lower()
        if address in exclude or _NOT_RECIPIENTS.match(address) or address in result:
            continue
        result.append(address)
    return result[:50]


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
