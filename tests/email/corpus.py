"""The shared corpus of real mail (``../shared/corpora`` beside the repository) and the checks
its ``expected.json`` files make possible: each check is one value Zabota extracts, compared
with what the source project's own tests expect."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from typing import Any

from zabota.channels.email import quotes
from zabota.channels.email.parse import ParsedEmail, parse
from zabota.tickets.actions.common import text_from_html

CORPORA = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpora"


def corpora() -> Path:
    if not (CORPORA / "manifest.csv").is_file():
        raise RuntimeError(
            f"the email corpus is missing: expected {CORPORA.resolve()}/manifest.csv "
            "(the shared corpora sit beside the repository; see its README)"
        )
    return CORPORA


@cache
def manifest() -> list[dict[str, str]]:
    with open(corpora() / "manifest.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def files(fmt: str) -> list[str]:
    return [row["path"] for row in manifest() if row["format"] == fmt]


def tags(path: str) -> set[str]:
    for row in manifest():
        if row["path"] == path:
            return set(row["tags"].split())
    return set()


def raw(path: str) -> bytes:
    return (corpora() / path).read_bytes()


@cache
def parsed(path: str) -> ParsedEmail:
    return parse(raw(path))


def squash(text: str) -> str:
    """Text with all whitespace removed (for comparisons that ignore layout)."""
    return re.sub(r"\s+", "", text)


def body_text(path: str) -> str:
    """A reply body (format ``body-text``) as its tests read it."""
    return raw(path).decode("utf-8", "replace")


@dataclass(frozen=True)
class Check:
    """One expected value: ``actual()`` is what Zabota makes of the file, ``expected`` what the
    source's tests say; ``compare`` says how the two are compared."""

    id: str  # "<corpus path>::<field>"
    path: str
    expected: Any
    actual: Callable[[], Any]
    compare: str = "equal"  # equal | contains | startswith | not-contains | squashed

    def matches(self) -> tuple[bool, Any]:
        got = self.actual()
        want = self.expected
        if self.compare == "contains":
            return (want in got), got
        if self.compare == "not-contains":
            return (want not in got), got
        if self.compare == "startswith":
            return got.startswith(want), got
        if self.compare == "squashed":
            return squash(got) == squash(want), got
        return got == want, got


def _attachments(p: ParsedEmail) -> list[str]:
    """Attachment names as a user sees them: inline images shown in the HTML are not listed."""
    return [a.name for a in p.attachments if not a.inline]


def _first(ids: list[str]) -> str | None:
    return ids[0] if ids else None


def _shows_inline(path: str, content_id: str) -> bool:
    return any(a.inline and a.content_id == content_id for a in parsed(path).attachments)


def _checks_chatwoot(name: str, e: dict[str, Any]) -> list[Check]:
    path = f"chatwoot/{name}"
    out: list[Check] = []

    def add(field: str, expected: Any, actual: Callable[[], Any], compare: str = "equal") -> None:
        out.append(Check(f"{path}::{field}", path, expected, actual, compare))

    if "subject" in e:
        add("subject", e["subject"].strip(), lambda: parsed(path).subject)
    if "auto_reply" in e:
        add("auto_reply", e["auto_reply"], lambda: parsed(path).is_auto_reply)
    if "must_not_raise" in e:
        add("must_not_raise", True, lambda: parsed(path) is not None)
    if "message_content" in e:
        add("message_content", e["message_content"].strip(), lambda: parsed(path).new_text)
    if "message_content_includes" in e:
        add(
            "message_content_includes",
            e["message_content_includes"],
            lambda: parsed(path).new_text,
            "contains",
        )
    if "reply_text_starts_with" in e:
        add(
            "reply_text_starts_with", e["reply_text_starts_with"], lambda: parsed(path).new_text, "startswith"
        )
    if "text_content_full" in e:
        add("text_content_full", e["text_content_full"].strip(), lambda: parsed(path).text)
    for key in ("attachment_count", "number_of_attachments"):
        if key in e:
            add(key, e[key], lambda: len(_attachments(parsed(path))))
    if "in_reply_to" in e:
        add("in_reply_to", e["in_reply_to"], lambda: _first(parsed(path).in_reply_to))
    if "in_reply_to_first" in e:
        add("in_reply_to_first", e["in_reply_to_first"], lambda: _first(parsed(path).in_reply_to))
    if "references" in e:
        add("references", e["references"], lambda: parsed(path).references)
    if "contact_email" in e:
        add("contact_email", e["contact_email"], lambda: parsed(path).from_address)
    if "reply_to" in e:
        address = re.search(r"<([^>]+)>", e["reply_to"])
        add("reply_to", [address.group(1) if address else e["reply_to"]], lambda: parsed(path).reply_to)
    for i, text in enumerate(e.get("text_must_not_include", [])):
        add(f"text_must_not_include[{i}]", text, lambda: parsed(path).new_text, "not-contains")
    for i, cid in enumerate(e.get("html_must_not_include", [])):
        # The HTML keeps "cid:" links until ingest rewrites them to stored files; what must hold
        # here is that each of them is an inline part that ingest will rewrite.
        wanted = cid.removeprefix("cid:")
        add(
            f"html_inline_image[{i}]",
            True,
            partial(_shows_inline, path, wanted),
        )
    return out


def _checks_helpdesk(name: str, e: dict[str, Any]) -> list[Check]:
    path = f"django-helpdesk/{name}"
    out: list[Check] = []

    def add(field: str, expected: Any, actual: Callable[[], Any], compare: str = "equal") -> None:
        out.append(Check(f"{path}::{field}", path, expected, actual, compare))

    if "subject" in e:
        add("subject", e["subject"], lambda: parsed(path).subject)
    if "body_text" in e:
        add("body_text", e["body_text"], lambda: parsed(path).new_text)
    if "body_contains" in e:
        add("body_contains", e["body_contains"], lambda: parsed(path).text, "contains")
    if "new_text_contains" in e:
        add("new_text_contains", e["new_text_contains"], lambda: parsed(path).new_text, "contains")
    if "forwarded_part_contains" in e:
        add("forwarded_part_contains", e["forwarded_part_contains"], lambda: parsed(path).text, "contains")
    if "followup_attachment_count" in e:
        add(
            "followup_attachment_count",
            e["followup_attachment_count"],
            lambda: len(_attachments(parsed(path))),
        )
    if "description_stripped" in e:
        add("description_stripped", e["description_stripped"], lambda: parsed(path).text)
    if "pgp" in name:
        add("readable", True, lambda: bool(parsed(path).text))
    return out


def _checks_zbateson(name: str, e: dict[str, Any]) -> list[Check]:
    path = f"zbateson-mail-mime-parser/{name}"
    out: list[Check] = []

    def add(field: str, expected: Any, actual: Callable[[], Any], compare: str = "equal") -> None:
        out.append(Check(f"{path}::{field}", path, expected, actual, compare))

    if e.get("From"):
        add("from_email", e["From"]["email"].lower(), lambda: parsed(path).from_address)
        if e["From"].get("name"):
            add("from_name", e["From"]["name"], lambda: parsed(path).from_name)
    if e.get("To") and e["To"].get("email"):
        add("to_email", e["To"]["email"].lower(), lambda: (parsed(path).to or [""])[0])
    if "Subject" in e:
        add("subject", e["Subject"] or "", lambda: parsed(path).subject)
    if "Message-ID" in e:
        add("message_id", e["Message-ID"], lambda: parsed(path).message_id)
    if "attachment_count" in e:
        add("attachment_count", e["attachment_count"], lambda: len(parsed(path).attachments))
    if "text_file" in e:
        want = (corpora() / "zbateson-mail-mime-parser" / e["text_file"]).read_bytes().decode("latin-1")
        add("text", want, lambda: parsed(path).text, "squashed")
    return out


def _checks_php(name: str, e: dict[str, Any]) -> list[Check]:
    path = f"php-mime-mail-parser/{name}"
    out: list[Check] = []

    def add(field: str, expected: Any, actual: Callable[[], Any], compare: str = "equal") -> None:
        out.append(Check(f"{path}::{field}", path, expected, actual, compare))

    if "subject" in e:
        add("subject", " ".join(e["subject"].split()), lambda: parsed(path).subject)
    if e.get("from_addresses"):
        add("from_email", e["from_addresses"][0]["address"].lower(), lambda: parsed(path).from_address)
    if e.get("to_addresses"):
        want = [a["address"].lower() for a in e["to_addresses"] if "@" in a["address"]]
        add("to", want, lambda: parsed(path).to)
    if "attachments" in e:
        add("attachments", sorted(a["filename"] for a in e["attachments"]), lambda: sorted(_all_names(path)))
    text = e.get("text_body") or {}
    if text.get("mode") == "exact":
        add("text_body", text["value"].strip(), lambda: parsed(path).text)
    elif text.get("mode") == "substring_count" and text.get("count"):
        add("text_body_contains", text["substring"], lambda: parsed(path).text, "contains")
    return out


def _all_names(path: str) -> list[str]:
    return [a.name for a in parsed(path).attachments]


_SISIMAI_NOT_BOUNCES = {"vacation", "feedback"}


def _checks_sisimai(name: str, e: dict[str, Any]) -> list[Check]:
    path = f"sisimai-set-of-emails/{name}"
    reasons = {r["reason"] for r in e["per_recipient"]}
    out: list[Check] = []
    if reasons == {"vacation"}:
        out.append(Check(f"{path}::auto_reply", path, True, lambda: parsed(path).is_auto_reply))
        out.append(Check(f"{path}::not_bounce", path, None, lambda: parsed(path).bounce))
    elif reasons == {"feedback"}:
        out.append(
            Check(f"{path}::no_auto_reply_to_report", path, True, lambda: bool(parsed(path).auto_submitted))
        )
    else:
        out.append(Check(f"{path}::bounce", path, True, lambda: parsed(path).bounce is not None))
        count = len(e["per_recipient"])
        out.append(
            Check(
                f"{path}::bounce_recipients",
                path,
                count,
                lambda: len(parsed(path).bounce.recipients) if parsed(path).bounce else 0,  # type: ignore[union-attr]
            )
        )
    return out


def _checks_mailcore(name: str, e: dict[str, Any]) -> list[Check]:
    path = f"mailcore2/{name}"
    lines = e.get("header_lines") or {}
    out: list[Check] = []
    if lines.get("subject") is not None:
        out.append(
            Check(f"{path}::subject", path, " ".join(lines["subject"].split()), lambda: parsed(path).subject)
        )
    sender = re.search(r"<([^>]+)>", lines.get("from") or "")
    if sender:
        out.append(
            Check(f"{path}::from_email", path, sender.group(1).lower(), lambda: parsed(path).from_address)
        )
    return out


def _checks_mimekit(name: str, e: dict[str, Any]) -> list[Check]:
    path = f"mimekit/{name}"
    if "expected_extracted_files" in e:
        # A bare TNEF stream: Zabota keeps TNEF as winmail.dat and does not decode it.
        return [Check(f"{path}::tnef_decoded", path, sorted(set(e["expected_extracted_files"])), lambda: [])]
    return [
        Check(
            f"{path}::winmail_dat_kept",
            path,
            True,
            lambda: any(a.content_type == "application/ms-tnef" for a in parsed(path).attachments),
        )
    ]


# --- reply bodies --------------------------------------------------------------------------


def _new_text_of_body(path: str) -> str:
    return quotes.new_text(body_text(path).strip())


def _checks_discourse(name: str, e: dict[str, Any]) -> list[Check]:
    path = f"discourse-email_reply_trimmer/{name}"
    return [Check(f"{path}::trimmed", path, e["trimmed"].strip(), lambda: _new_text_of_body(path))]


def _checks_github(name: str, e: dict[str, Any]) -> list[Check]:
    path = f"github-email_reply_parser/{name}"
    if "visible_text" not in e:
        return []
    return [Check(f"{path}::visible_text", path, e["visible_text"].strip(), lambda: _new_text_of_body(path))]


def _checks_crisp(name: str, e: dict[str, Any]) -> list[Check]:
    path = f"crisp-email-reply-parser/{name}"
    for key in ("parse_reply", "visible_text", "visible_text_trimmed", "first_fragment_trimmed"):
        if key in e:
            return [Check(f"{path}::{key}", path, e[key].strip(), lambda: _new_text_of_body(path))]
    return []


def _checks_mpr(name: str, e: dict[str, Any]) -> list[Check]:
    path = f"mail-parser-reply/{name}"
    first = (e.get("replies") or {}).get("0") or {}
    if "body" not in first:
        return []
    return [Check(f"{path}::first_reply_body", path, first["body"].strip(), lambda: _new_text_of_body(path))]


def _talon_first_plain(path: str) -> str:
    from email import message_from_bytes, policy

    msg = message_from_bytes(raw(path), policy=policy.default)
    for part in msg.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                return payload.decode(part.get_content_charset() or "utf-8", "replace")
    return ""


def _checks_talon(name: str, e: dict[str, Any]) -> list[Check]:
    path = f"mailgun-talon/{name}"
    if "reply_text" in e and name.endswith(".eml"):
        return [
            Check(
                f"{path}::reply_text",
                path,
                e["reply_text"].strip(),
                lambda: quotes.new_text(_talon_first_plain(path)),
            )
        ]
    if "reply_text_whitespace_insensitive" in e:
        return [
            Check(
                f"{path}::reply_text",
                path,
                e["reply_text_whitespace_insensitive"],
                lambda: text_from_html(quotes.trim_html(body_text(path))),
                "squashed",
            )
        ]
    return []


_BY_SOURCE: dict[str, Callable[[str, dict[str, Any]], list[Check]]] = {
    "chatwoot": _checks_chatwoot,
    "django-helpdesk": _checks_helpdesk,
    "zbateson-mail-mime-parser": _checks_zbateson,
    "php-mime-mail-parser": _checks_php,
    "sisimai-set-of-emails": _checks_sisimai,
    "mailcore2": _checks_mailcore,
    "mimekit": _checks_mimekit,
    "discourse-email_reply_trimmer": _checks_discourse,
    "github-email_reply_parser": _checks_github,
    "crisp-email-reply-parser": _checks_crisp,
    "mail-parser-reply": _checks_mpr,
    "mailgun-talon": _checks_talon,
}


def checks() -> list[Check]:
    out: list[Check] = []
    for source, make in _BY_SOURCE.items():
        expected = json.loads((corpora() / source / "expected.json").read_text(encoding="utf-8"))
        for name, entry in sorted(expected.items()):
            if (corpora() / source / name).is_file():
                out.extend(make(name, entry))
    return out
