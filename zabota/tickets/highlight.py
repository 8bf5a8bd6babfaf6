"""Highlighted search snippets: escape the text, then wrap each word whose stem is a query term
in ``<mark>``. Stems come from ``zabota.core.search.text`` (the same Snowball stemmers as the
index), so "платежи" marks "платёж" and "платежа", and "replies" marks "reply".

Everything returned is built from escaped pieces only, so it is safe to render as HTML.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from zabota.core.search.text import MAX_WORD, stem

_WORD = re.compile(r"\w+", re.UNICODE)
PASSAGE = 220  # characters of a message shown around its first match
LEAD = 60  # of which before the match


def _matches(word: str, terms: frozenset[str]) -> bool:
    w = word.lower()[:MAX_WORD]
    if "_" in w and not w.strip("_"):
        return False
    return stem(w).replace('"', "") in terms


def highlight(text: str, terms: Iterable[str]) -> SafeString:
    """``text`` escaped, with matching words in ``<mark>``."""
    wanted = frozenset(terms)
    out: list[str] = []
    pos = 0
    for m in _WORD.finditer(text):
        out.append(escape(text[pos : m.start()]))
        word = m.group()
        out.append(f"<mark>{escape(word)}</mark>" if _matches(word, wanted) else escape(word))
        pos = m.end()
    out.append(escape(text[pos:]))
    return mark_safe("".join(out))  # noqa: S308 - every piece above is escaped


def _score(text: str, terms: frozenset[str]) -> tuple[int, int]:
    """(distinct terms matched, position of the first match)."""
    seen: set[str] = set()
    first = -1
    for m in _WORD.finditer(text):
        w = m.group().lower()[:MAX_WORD]
        s = stem(w).replace('"', "")
        if s in terms:
            seen.add(s)
            if first < 0:
                first = m.start()
    return len(seen), first


def passage(text: str, terms: Iterable[str], *, width: int = PASSAGE) -> SafeString:
    """The part of ``text`` around its first match (or its start), highlighted, with "…"
    where it was cut."""
    wanted = frozenset(terms)
    text = " ".join(text.split())
    _, first = _score(text, wanted)
    start = max(0, first - LEAD) if first > 0 else 0
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < first else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > (first if first > start else start) else end
    piece = highlight(text[start:end], wanted)
    return mark_safe(("…" if start else "") + piece + ("…" if end < len(text) else ""))  # noqa: S308


def best_passage(messages: Sequence[tuple[str, str]], terms: Iterable[str]) -> tuple[str, SafeString] | None:
    """From ``(kind, text)`` pairs (newest first), the message matching the most query terms,
    as ``(kind, highlighted passage)``; the newest message when none matches; None when empty."""
    wanted = frozenset(terms)
    best: tuple[int, int] | None = None
    best_index = 0
    for i, (_, text) in enumerate(messages):
        n, _first = _score(text, wanted)
        if n and (best is None or n > best[0]):
            best, best_index = (n, i), i
    if not messages:
        return None
    kind, text = messages[best_index]
    if not text.strip():
        return None
    return kind, passage(text, wanted)
