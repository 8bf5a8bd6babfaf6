"""Language-aware text normalisation shared by indexing and querying."""

from __future__ import annotations

import re
from functools import lru_cache

import Stemmer

_WORD = re.compile(r"\w+", re.UNICODE)
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_english = Stemmer.Stemmer("english")
_russian = Stemmer.Stemmer("russian")
MAX_WORD = 40


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The stem of one lower-cased word, by the stemmer of its script."""
    if word.isdigit():
        return word
    if _CYRILLIC.search(word):
        return _russian.stemWord(word.replace("ё", "е"))
    if word.isascii():
        return _english.stemWord(word)
    return word


def words(text: str) -> list[str]:
    return [w[:MAX_WORD] for w in _WORD.findall(text.lower()) if "_" not in w or w.strip("_")]


def normalise(text: str) -> str:
    """Space-separated stems of ``text``, ready to be indexed."""
    return " ".join(stem(w) for w in words(text))


def query_terms(query: str, *, limit: int = 16) -> list[str]:
    """The distinct stems of a user's query, in order; at most ``limit`` of them."""
    seen: dict[str, None] = {}
    for w in words(query):
        s = stem(w).replace('"', "")
        if s:
            seen.setdefault(s, None)
        if len(seen) >= limit:
            break
    return list(seen)
