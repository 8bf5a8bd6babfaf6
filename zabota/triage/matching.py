"""Which priority rules a new ticket meets, and why. Pure functions over plain values.

Keywords match whole words in the subject and the first message, case-insensitively, by stem:
the text and each keyword go through the search index's stemmer (``zabota.core.search.text``:
Snowball English for Latin words, Russian for Cyrillic, ё read as е), so "outage" matches
"outages", "не работает" matches "Не работают" and "down" does not match "download". A
keyword of several words matches those stems side by side, in order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from zabota.core.search.text import stem, words

MAX_TEXT = 20_000  # characters of the first message read for keywords


@dataclass(frozen=True)
class RuleSpec:
    """What matching needs of a ``PriorityRule`` (tiers by id)."""

    id: int
    name: str
    priority: int
    tier_ids: frozenset[int] = frozenset()
    kinds: frozenset[str] = frozenset()
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class TicketFacts:
    tier_id: int | None
    tier_name: str
    kind: str
    text: str


@dataclass
class Decision:
    """The winning priority and the reasons: ``why`` as data, ``reasons`` as English text."""

    priority: int
    rule_id: int
    rule_name: str
    why: list[dict[str, str]] = field(default_factory=list)

    @property
    def reasons(self) -> list[str]:
        out = []
        for w in self.why:
            if "tier" in w:
                out.append(f"tier {w['tier']}")
            elif "kind" in w:
                out.append(f"kind {w['kind']}")
            elif "keyword" in w:
                out.append(f"keyword «{w['keyword']}»")
        return out


def stems(text: str) -> list[str]:
    return [stem(w) for w in words(text)]


def _contains(haystack: Sequence[str], needle: Sequence[str]) -> bool:
    n = len(needle)
    if n == 0:
        return False
    first = needle[0]
    for i, s in enumerate(haystack):
        if s == first and tuple(haystack[i : i + n]) == tuple(needle):
            return True
    return False


def matched_keywords(keywords: Iterable[str], text_stems: Sequence[str]) -> list[str]:
    """Those of ``keywords`` found in the text (given as its stems), in the rule's order."""
    return [k for k in keywords if _contains(text_stems, stems(k))]


def decide(rules: Iterable[RuleSpec], facts: TicketFacts) -> Decision | None:
    """The highest priority among the matching rules (ties: the first rule in order), or None."""
    text_stems = stems(facts.text[:MAX_TEXT])
    best: Decision | None = None
    for rule in rules:
        why: list[dict[str, str]] = []
        if rule.tier_ids:
            if facts.tier_id not in rule.tier_ids:
                continue
            why.append({"tier": facts.tier_name})
        if rule.kinds:
            if facts.kind not in rule.kinds:
                continue
            why.append({"kind": facts.kind})
        if rule.keywords:
            found = matched_keywords(rule.keywords, text_stems)
            if not found:
                continue
            why += [{"keyword": k} for k in found]
        if not why:
            continue  # a rule without conditions never matches (refused when saved)
        if best is None or rule.priority > best.priority:
            best = Decision(priority=rule.priority, rule_id=rule.id, rule_name=rule.name, why=why)
    return best
