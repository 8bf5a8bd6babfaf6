"""Raw RFC 5322 bytes -> ``ParsedEmail``: headers decoded, bodies in Unicode, attachments, the new
text separated from quoted history, and what kind of mail it is (auto-reply, bounce).

Parsing uses the standard library (``email`` with ``policy.default``); charsets that real mail
gets wrong (misspelt names, undeclared 8-bit headers, legacy Cyrillic) are mended here, and HTML is
sanitised with nh3. Anything over the caps (size, header bytes, recipients, MIME parts, depth,
time) raises ``Unparseable`` with the reason, and the caller quarantines the raw bytes.
"""

from __future__ import annotations

import codecs
import email
import email.utils
import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.header import decode_header
from email.message import EmailMessage, Message
from email.policy import Compat32

from zabota.channels.email import bounces, quotes
from zabota.tickets.actions.common import clean_html, text_from_html

MAX_BYTES = 35 * 1024 * 1024
MAX_HEADER_BYTES = 64 * 1024
MAX_RECIPIENTS = 500
MAX_PARTS = 200
MAX_DEPTH = 10
MAX_SECONDS = 5.0


class _ReadPolicy(Compat32):
    """The standard library's compat32 parsing with headers unfolded (RFC 5322 2.2.3) and left
    as the raw text, surrogate escapes and encoded words included: this module decodes them
    itself. Twice as fast as ``policy.default``, whose header objects are rebuilt on every
    access (``get_content_type`` alone re-parses Content-Type on each call)."""

    def header_fetch_parse(self, name: str, value: str) -> str:  # type: ignore[override]
        return _UNFOLD.sub("", value)


_UNFOLD = re.compile(r"\r?\n(?=[ \t])")
READ_POLICY = _ReadPolicy()


class Unparseable(Exception):
    """The message cannot be turned into a ticket message; ``str(exc)`` is the reason."""


@dataclass
class Part:
    """An attachment (or an inline image) as found in the message."""

    name: str
    content: bytes
    content_type: str
    content_id: str = ""
    inline: bool = False


@dataclass
class ParsedEmail:
    message_id: str = ""
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    from_name: str = ""
    from_address: str = ""
    reply_to: list[str] = field(default_factory=list)
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    delivered_to: list[str] = field(default_factory=list)
    subject: str = ""
    date: datetime | None = None
    text: str = ""  # the whole plain text (derived from HTML for HTML-only mail)
    html: str = ""  # the whole HTML, sanitised
    new_text: str = ""  # the text without quoted history and signature
    new_html: str = ""  # the HTML without the quoted history, sanitised
    attachments: list[Part] = field(default_factory=list)
    auto_submitted: str = ""  # why no automatic reply may be sent to this mail ("" = one may)
    is_auto_reply: bool = False  # an out-of-office or other automatic answer from a person's mailbox
    bounce: bounces.Bounce | None = None
    authentication_failed: str = ""  # why the receiving MTA doubted the sender (DMARC/SPF)
    headers_size: int = 0


# Charset names seen in real mail that Python's codecs do not know by that name.
_CHARSET_ALIASES = {
    "uft-8": "utf-8",
    "utf8": "utf-8",
    "unicode-1-1-utf-7": "utf-7",
    "x-mac-cyrillic": "mac_cyrillic",
    "x-user-defined": "latin-1",
    "win-1251": "cp1251",
    "windows-1251": "cp1251",
    "cp-1251": "cp1251",
    "ks_c_5601-1987": "cp949",
    "iso-8859-8-i": "iso-8859-8",
    "x-unknown": "utf-8",
    "unknown-8bit": "utf-8",
    "default": "utf-8",
    "ascii": "utf-8",  # mislabelled 8-bit text is far more often UTF-8 than anything else
    "us-ascii": "utf-8",
    "gb2312": "gb18030",
    "gbk": "gb18030",
}


def _codec(charset: str | None) -> str | None:
    if not charset:
        return None
    name = charset.strip().strip('"').lower()
    name = _CHARSET_ALIASES.get(name, name)
    for candidate in (name, re.sub(r"^(?:windows|win|x-cp)[-_]?(\d+)$", r"cp\1", name)):
        try:
            return codecs.lookup(candidate).name
        except LookupError:
            continue
    return None


def decode_bytes(data: bytes, charset: str | None, hint: str | None = None) -> str:
    """Text from bytes in a declared charset that may be wrong, misspelt or missing.

    ``hint`` is a charset declared elsewhere in the same message (undeclared 8-bit headers are
    nearly always in the charset of the body)."""
    tried = []
    for name in (_codec(charset), "utf-8", _codec(hint)):
        if name and name not in tried:
            tried.append(name)
            try:
                return data.decode(name)
            except (UnicodeDecodeError, LookupError):
                continue
    if _looks_cyrillic_8bit(data):
        return data.decode(_guess_cyrillic(data), errors="replace")
    if _codec(charset) in (None, "utf-8", "ascii"):
        # Undeclared or mislabelled 8-bit text that is not UTF-8: Western mail (Outlook,
        # Eudora) in windows-1252 is by far the most common case.
        return data.decode("cp1252", errors="replace")
    return data.decode(tried[0], errors="replace")


def _looks_cyrillic_8bit(data: bytes) -> bool:
    """Legacy Cyrillic text: nearly every letter is an 8-bit byte (in Western European text only
    the odd accented letter is)."""
    sample = data[:8192]
    high = sum(1 for b in sample if b >= 0xC0)
    ascii_letters = sum(1 for b in sample if 0x41 <= b <= 0x5A or 0x61 <= b <= 0x7A)
    return high > 8 and high > 0.4 * (high + ascii_letters)


def _guess_cyrillic(data: bytes) -> str:
    """koi8-r or windows-1251: in Russian text most letters are lower case, and the two code
    pages put lower case in opposite halves of the 0xC0-0xFF range."""
    sample = data[:8192]
    upper_half = sum(1 for b in sample if b >= 0xE0)
    lower_half = sum(1 for b in sample if 0xC0 <= b < 0xE0)
    return "cp1251" if upper_half >= lower_half else "koi8-r"


def _fix_surrogates(value: str, hint: str | None = None) -> str:
    """Undeclared 8-bit header bytes arrive as surrogate escapes; decode them properly."""
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    raw = value.encode("utf-8", "surrogateescape")
    return decode_bytes(raw, None, hint)


def header_text(msg: Message, name: str, hint: str | None = None) -> str:
    """A header's decoded value ('' when absent); RFC 2047 words and bad charsets mended.

    Encoded words and raw 8-bit bytes are decoded here from the header as received (the
    standard library gives up on charsets it does not know, such as ``iso-8859-8-i``); ``hint``
    is the charset to try for undeclared 8-bit bytes."""
    raw = _raw_header(msg, name)
    if raw is None:
        return ""
    if "=?" in raw or any("\udc80" <= ch <= "\udcff" for ch in raw):
        text = _decode_words(raw, hint)
    else:
        try:
            value = msg.get(name)
        except Exception:  # policy.default's parser can raise on pathological headers
            value = None
        text = str(value) if value is not None else raw
    return re.sub(r"\s+", " ", text).strip()


def _raw_header(msg: Message, name: str) -> str | None:
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            return str(value)
    return None


def _decode_words(raw: str, hint: str | None = None) -> str:
    raw = _fix_surrogates(raw, hint)
    raw = re.sub(r"\r?\n(?=[ \t])", "", raw)  # unfold
    try:
        parts = decode_header(raw)
    except Exception:
        return raw
    out = []
    for chunk, charset in parts:
        if isinstance(chunk, bytes):
            if charset is None:  # text between encoded words, given back as raw-unicode-escape
                out.append(chunk.decode("raw-unicode-escape", "replace"))
            else:
                out.append(decode_bytes(chunk, charset, hint))
        else:
            out.append(chunk)
    return "".join(out)


_ID = re.compile(r"<([^<>\s]+)>")


def normalise_id(value: str) -> str:
    """A Message-ID without angle brackets or whitespace ('' when there is none)."""
    value = value.strip()
    found = _ID.search(value)
    if found:
        return found.group(1).strip()[:900]
    return value.strip("<> \t\r\n")[:900] if value and "@" in value else ""


def id_list(value: str) -> list[str]:
    ids = [m.group(1) for m in _ID.finditer(value)]
    if not ids and value.strip() and "@" in value:
        ids = [v.strip("<> ") for v in value.split() if "@" in v]
    return [i[:900] for i in ids]


def addresses(msg: Message, name: str, hint: str | None = None) -> list[tuple[str, str]]:
    values = []
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            values.append(_fix_surrogates(str(value), hint))
    result = []
    for display, addr in email.utils.getaddresses(
        [_decode_words(v, hint) if "=?" in v else v for v in values]
    ):
        addr = addr.strip().strip("<>").strip()
        if "@" in addr and " " not in addr:
            result.append((display.strip(), addr.lower()))
    return result


def parse(raw: bytes, *, deadline: float | None = None) -> ParsedEmail:
    """Parse one message. Raises ``Unparseable`` when it breaks a cap or cannot be read."""
    started = time.monotonic()
    deadline = deadline if deadline is not None else started + MAX_SECONDS
    if len(raw) > MAX_BYTES:
        raise Unparseable(f"message is {len(raw)} bytes, over the {MAX_BYTES}-byte limit")
    if not raw.strip():
        raise Unparseable("message is empty")
    raw = _mend_head(raw)
    head_end = _header_end(raw)
    if head_end > MAX_HEADER_BYTES:
        raise Unparseable(f"headers are {head_end} bytes, over the {MAX_HEADER_BYTES}-byte limit")
    try:
        msg = email.message_from_bytes(raw, policy=READ_POLICY)
    except Exception as exc:  # the parser is lenient; this is a real defect
        raise Unparseable(f"cannot parse the message: {exc}") from exc
    if not msg.keys():
        raise Unparseable("no headers: this is not an email message")
    _check_structure(msg, deadline)

    out = ParsedEmail(headers_size=head_end)
    hint = _charset_hint(msg)
    out.message_id = normalise_id(header_text(msg, "Message-ID"))
    out.in_reply_to = id_list(header_text(msg, "In-Reply-To"))
    out.references = id_list(header_text(msg, "References"))
    sender = (
        addresses(msg, "From", hint) or addresses(msg, "Sender", hint) or addresses(msg, "Return-Path", hint)
    )
    if sender:
        out.from_name, out.from_address = sender[0]
    out.reply_to = [a for _, a in addresses(msg, "Reply-To", hint)]
    out.to = [a for _, a in addresses(msg, "To", hint)]
    out.cc = [a for _, a in addresses(msg, "Cc", hint)]
    out.delivered_to = [a for _, a in addresses(msg, "Delivered-To", hint)] + [
        a for _, a in addresses(msg, "X-Original-To", hint)
    ]
    if len(out.to) + len(out.cc) > MAX_RECIPIENTS:
        raise Unparseable(f"{len(out.to) + len(out.cc)} recipients, over the limit of {MAX_RECIPIENTS}")
    out.subject = header_text(msg, "Subject", hint)[:2000]
    out.date = _date(header_text(msg, "Date"))

    text, html = _bodies_and_parts(msg, out, deadline, hint)
    text = _drop_image_placeholders(text, out.attachments)
    html_clean = clean_html(html) if html.strip() else ""
    out.html = html_clean
    out.text = text.strip() if text.strip() else (text_from_html(html_clean) if html_clean else "")
    out.new_text = quotes.new_text(out.text)
    out.new_html = clean_html(quotes.trim_html(html)) if html.strip() else ""
    if out.new_html and not text.strip():
        out.new_text = quotes.new_text(text_from_html(out.new_html)) or out.new_text

    out.auto_submitted = _why_no_auto_reply(msg, out)
    out.is_auto_reply = _is_auto_reply(msg, out)
    out.bounce = bounces.detect(msg, out.from_address, out.subject)
    out.authentication_failed = _authentication_failed(msg)
    if time.monotonic() > deadline:
        raise Unparseable(f"parsing took over {MAX_SECONDS:g} seconds")
    return out


_OBSOLETE_FIELD = re.compile(rb"^([A-Za-z][A-Za-z0-9-]*)[ \t]+:", re.M)


def _mend_head(raw: bytes) -> bytes:
    """Repairs that let the standard parser see the headers at all: a leading byte-order mark,
    and RFC 822's obsolete white space before a field's colon ("Subject  : ...")."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    end = _header_end(raw)
    head = raw[:end]
    if _OBSOLETE_FIELD.match(head):
        raw = _OBSOLETE_FIELD.sub(rb"\1:", head) + raw[end:]
    return raw


def _charset_hint(msg: Message) -> str | None:
    """The first charset the message declares for a text part (for undeclared 8-bit headers)."""
    count = 0
    for part in msg.walk():
        count += 1
        if count > MAX_PARTS:
            break
        if part.get_content_maintype() == "text":
            charset = part.get_content_charset()
            if charset and _codec(charset) not in (None, "ascii"):
                return charset
    return None


_IMAGE_PLACEHOLDER = re.compile(r"\[image: ([^\]\n]{1,255})\]")


def _drop_image_placeholders(text: str, parts: list[Part]) -> str:
    """Gmail writes "[image: name.jpg]" in the plain text where an inline image sits; the image
    itself is kept, so the placeholder is noise."""
    if "[image: " not in text:
        return text
    names = {p.name for p in parts}
    return _IMAGE_PLACEHOLDER.sub(lambda m: "" if m.group(1) in names or not names else m.group(0), text)


def _header_end(raw: bytes) -> int:
    for sep in (b"\r\n\r\n", b"\n\n", b"\r\r"):
        at = raw.find(sep)
        if at != -1:
            return at
    return len(raw)


def _check_structure(msg: Message, deadline: float) -> None:
    count = 0

    def walk(part: Message, depth: int) -> None:
        nonlocal count
        count += 1
        if count > MAX_PARTS:
            raise Unparseable(f"more than {MAX_PARTS} MIME parts")
        if depth > MAX_DEPTH:
            raise Unparseable(f"MIME parts nested deeper than {MAX_DEPTH}")
        if time.monotonic() > deadline:
            raise Unparseable(f"parsing took over {MAX_SECONDS:g} seconds")
        if part.is_multipart():
            payload = part.get_payload()
            if isinstance(payload, list):
                for sub in payload:
                    if isinstance(sub, Message):
                        walk(sub, depth + 1)

    walk(msg, 0)


def _date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        return None
    return parsed


def _filename(part: Message) -> str:
    name = None
    try:
        name = part.get_filename()  # RFC 2231 and RFC 2047 names
    except Exception:
        name = None
    if name is None:
        ctype = _raw_header(part, "Content-Type") or ""
        found = re.search(r'name\s*=\s*"?([^";]+)"?', ctype, re.I)
        name = found.group(1) if found else None
    if not name:
        return ""
    name = _fix_surrogates(str(name))
    if "=?" in name:
        name = _decode_words(name)
    return name.strip().replace("\x00", "")


_EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
    "application/pdf": "pdf",
    "text/calendar": "ics",
    "message/rfc822": "eml",
    "application/ms-tnef": "dat",
    "text/plain": "txt",
    "text/html": "html",
}


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if data is None:
        payload = part.get_payload()
        if isinstance(payload, list):  # message/rfc822: the enclosed message as bytes
            inner = payload[0] if payload else None
            if isinstance(inner, Message):
                try:
                    return inner.as_bytes(policy=policy.compat32)
                except Exception:
                    return str(inner).encode("utf-8", "replace")
            return b""
        if isinstance(payload, str):
            return payload.encode("utf-8", "surrogateescape")
        return b""
    return data if isinstance(data, bytes) else b""


def _bodies_and_parts(msg: Message, out: ParsedEmail, deadline: float, hint: str | None) -> tuple[str, str]:
    texts: list[str] = []
    htmls: list[str] = []
    for part in _leaves(msg):
        ctype = part.get_content_type()
        disposition = (part.get_content_disposition() or "").lower()
        name = _filename(part)
        is_body = ctype in ("text/plain", "text/html") and disposition != "attachment" and not name
        if is_body:
            text = decode_bytes(_payload(part), part.get_content_charset(), hint)
            (htmls if ctype == "text/html" else texts).append(text)
            continue
        content = _payload(part)
        if not content and ctype.startswith("multipart/"):
            continue
        content_id = normalise_id(header_text(part, "Content-ID")) if part.get("Content-ID") else ""
        if not name:
            if ctype == "application/ms-tnef":
                name = "winmail.dat"
            else:
                base = (
                    "forwarded"
                    if ctype == "message/rfc822"
                    else ("invite" if ctype == "text/calendar" else "attachment")
                )
                name = f"{base}.{_EXTENSIONS.get(ctype, 'bin')}"
        out.attachments.append(
            Part(
                name=name[:255],
                content=content,
                content_type=ctype,
                content_id=content_id,
                inline=bool(content_id) and ctype.startswith("image/"),  # kept only if the HTML shows it
            )
        )
        if time.monotonic() > deadline:
            raise Unparseable(f"parsing took over {MAX_SECONDS:g} seconds")
    html = "\n".join(htmls)
    if html:
        # cid: images the HTML does not show are ordinary attachments.
        for att in out.attachments:
            if att.inline and f"cid:{att.content_id}" not in html:
                att.inline = False
    return "\n\n".join(t for t in texts if t.strip()), html


def _leaves(msg: Message) -> list[Message]:
    """Non-multipart parts in order; of multipart/alternative, the text and the HTML versions;
    a message/rfc822 part is one leaf (a forwarded message is kept whole as an attachment)."""
    leaves: list[Message] = []

    def visit(part: Message) -> None:
        ctype = part.get_content_type()
        if ctype == "message/rfc822" or not part.is_multipart():
            leaves.append(part)
            return
        payload = part.get_payload()
        if not isinstance(payload, list):
            return
        for sub in payload:
            if isinstance(sub, Message):
                visit(sub)

    visit(msg)
    return leaves


_NOREPLY = re.compile(
    r"^(mailer-daemon|postmaster|no[-_.]?reply|do[-_.]?not[-_.]?reply|bounces?)([+@-]|$)", re.I
)
_AUTO_SUBJECT = re.compile(
    r"^(auto(matic)?[ -]?(reply|response)|out of (the )?office|autoreply|abwesenheit|"
    r"автоответ|автоматический ответ|вне офиса|я в отпуске|отсутств)",
    re.I,
)


def _why_no_auto_reply(msg: Message, out: ParsedEmail) -> str:
    auto = header_text(msg, "Auto-Submitted").lower()
    if auto and not auto.startswith("no"):
        return f"Auto-Submitted: {auto}"
    precedence = header_text(msg, "Precedence").lower()
    if precedence in ("bulk", "list", "junk", "auto_reply"):
        return f"Precedence: {precedence}"
    if msg.get("X-Auto-Response-Suppress"):
        return "X-Auto-Response-Suppress"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autogenerated", "X-Autoresponder"):
        if msg.get(name):
            return name
    if msg.get("List-Id") or msg.get("List-Unsubscribe"):
        return "mailing list"
    if msg.get_content_type() == "multipart/report":
        kind = str(msg.get_param("report-type") or "").lower()
        if kind:
            return f"report ({kind})"
    local = out.from_address.partition("@")[0]
    if not out.from_address or _NOREPLY.match(local):
        return f"automatic sender {out.from_address or '(none)'}"
    if _AUTO_SUBJECT.match(out.subject):
        return "automatic reply subject"
    return ""


def _is_auto_reply(msg: Message, out: ParsedEmail) -> bool:
    auto = header_text(msg, "Auto-Submitted").lower()
    return (
        auto.startswith("auto-replied")
        or bool(msg.get("X-Autoreply") or msg.get("X-Autorespond"))
        or header_text(msg, "Precedence").lower() == "auto_reply"
        or bool(_AUTO_SUBJECT.match(out.subject))
    )


def _authentication_failed(msg: Message) -> str:
    """The verdict of the MTA that received the mail for us (the topmost Authentication-Results)."""
    results = header_text(msg, "Authentication-Results").lower()
    if not results:
        return ""
    if re.search(r"\bdmarc=fail\b", results):
        return "DMARC failed"
    if re.search(r"\bspf=fail\b", results) and not re.search(r"\bdkim=pass\b", results):
        return "SPF failed without a valid DKIM signature"
    return ""


def as_message(raw: bytes) -> EmailMessage:
    """The raw bytes as a standard-library message (for callers that need more headers)."""
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed
