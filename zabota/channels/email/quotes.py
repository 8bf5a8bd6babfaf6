"""The new text of a reply, without the quoted history and the signature.

Plain text goes through mail-parser-reply, with Russian forms ("пишет:", Yandex, Mail.ru and
Outlook's Russian headers, "С уважением") registered in its language table here. HTML is cut at
the first quote container the common clients write (Gmail, Outlook, Apple Mail, Thunderbird,
Yandex, Mail.ru). The full original stays available to agents: it is the stored raw message.
"""

from __future__ import annotations

import re

from mailparser_reply import EmailReplyParser
from mailparser_reply.constants import MAIL_LANGUAGES, QUOTED_MATCH_INCLUDE

# Russian, registered in the library's own table (it ships none).
MAIL_LANGUAGES.setdefault(
    "ru",
    {
        # "пт, 4 дек. 2026 г. в 10:00, Support <s@example.com>:" (Gmail),
        # "04.12.2026, 10:00, \"Иван\" <i@example.ru>:" (Yandex, Mail.ru),
        # "Иван Петров пишет:" / "… написал(а):" (Thunderbird, Apple Mail, Mail.ru).
        "wrote_header": (
            r"^("
            + QUOTED_MATCH_INCLUDE
            + r"(?:.{0,200}\s)?(?:пишет|писал|написал|написала|написал\(а\))\s?:)$"
            r"|^(" + QUOTED_MATCH_INCLUDE + r"(?:[а-я]{2},\s)?\d{1,2}[ .][а-я]{3,}\.?\s\d{4}\s?г?\.?"
            r"(?:,|\sв)\s\d{1,2}:\d{2}.{0,200}:)$"
            r"|^(" + QUOTED_MATCH_INCLUDE + r"\d{1,2}\.\d{1,2}\.\d{2,4},?\s\d{1,2}:\d{2}.{0,200}:)$"
            # Mail.ru: "Пятница, 4 декабря 2026, 10:00 +03:00 от Поддержка <support@…>:"
            r"|^(" + QUOTED_MATCH_INCLUDE + r"(?:[А-Яа-яЁё]+,\s)?\d{1,2}\s[А-Яа-яЁё]+\.?\s\d{4}(?:\sг\.)?,?"
            r"\s\d{1,2}:\d{2}(?:\s[+-]\d{2}:?\d{2})?\sот\s.{1,200}:)$"
        ),
        "from_header": (
            r"((?:(?:^|\n|\n" + QUOTED_MATCH_INCLUDE + r")[* ]*(?:От|Отправлено|Кому|Тема|Дата|Копия):[ *]*"
            r"(?:\s{,2}).*){2,}(?:\n.*){,1})"
        ),
        "disclaimers": [r"Конфиденциально:", r"ВНИМАНИЕ:"],
        "signatures": ["С уважением", "С наилучшими пожеланиями", "Спасибо,", "Всего доброго", "--"],
        "sent_from": "Отправлено с iPhone|Отправлено из мобильной|Отправлено с моего|Sent from my|Get Outlook for",
    },
)

_PARSER = EmailReplyParser(languages=["en", "ru", "de", "fr", "es", "it", "nl", "pl"])


def new_text(text: str) -> str:
    """The reply's own text; the whole text if nothing is left after stripping."""
    if not text.strip():
        return ""
    try:
        reply = _PARSER.parse_reply(text=text) or ""
    except Exception:  # a regex engine failure must not lose the message
        reply = ""
    reply = _without_signature(reply.strip())
    return reply if reply else text.strip()


# "-- " (RFC 3676's signature separator; many clients drop the trailing space) and the
# signatures phones add on their own.
_SIG_SEPARATOR = re.compile(r"^-- ?$", re.M)
_SENT_FROM = re.compile(
    r"\n\s*(?:Sent from my [^\n]{1,60}|Отправлено с (?:iPhone|iPad|моего [^\n]{1,60})|"
    r"Отправлено из мобильной [^\n]{1,60}|Get Outlook for [^\n]{1,40})\s*$",
    re.I,
)


def _without_signature(reply: str) -> str:
    """The reply without a signature its client marked as one."""
    found = _SIG_SEPARATOR.search(reply)
    if found and reply[: found.start()].strip():
        reply = reply[: found.start()].rstrip()
    return _SENT_FROM.sub("", reply).rstrip()


# Where quoted history starts in the HTML of common clients.
_HTML_QUOTE_MARKERS = re.compile(
    r"""<div[^>]*class=["'][^"']*\bgmail_(?:quote|attr)\b"""  # Gmail
    r"""|<blockquote[^>]*type=["']?cite"""  # Apple Mail, Thunderbird
    r"""|<div[^>]*class=["'][^"']*\bmoz-cite-prefix\b"""  # Thunderbird
    r"""|<div[^>]*id=["']?(?:divRplyFwdMsg|appendonsend|x_divRplyFwdMsg)"""  # Outlook
    r"""|<hr[^>]*id=["']?stopSpelling"""  # old Outlook
    r"""|<div[^>]*style=["'][^"']*border-top:\s*solid\s*#[eE]1[eE]1[eE]1"""  # Outlook desktop
    r"""|<div[^>]*data-marker=["']__QUOTED_TEXT__"""  # Yandex
    r"""|<div[^>]*id=["']?(?:mail-app-auto-quote|style_\d+_BODY)"""  # Mail.ru
    r"""|<blockquote""",
    re.IGNORECASE,
)


def trim_html(html: str) -> str:
    """The HTML before the first quote container, if anything readable comes before it."""
    found = _HTML_QUOTE_MARKERS.search(html)
    if not found:
        return html
    head = html[: found.start()]
    if not re.sub(r"<[^>]+>|&nbsp;|\s", "", head):
        return html
    return _without_attribution(head)


_ATTRIBUTION = re.compile(r"(?:\d{1,2}:\d{2}|wrote|пишет|написал|schrieb|a écrit).{0,400}:\s*$", re.I | re.S)
_BREAKS = re.compile(r"<br\s*/?>|<p[\s>]|<div[\s>]|\n", re.I)


def _without_attribution(head: str) -> str:
    """Without the "On …, X wrote:" line that Yandex and Mail.ru put before their blockquote."""
    breaks = [m.start() for m in _BREAKS.finditer(head)][-8:]
    for at in reversed(breaks):
        tail = re.sub(r"<[^>]+>", "", head[at:]).replace("&nbsp;", " ").strip()
        if not tail:
            continue
        if len(tail) < 400 and "@" in tail and _ATTRIBUTION.search(tail):
            return head[:at]
        break
    return head
