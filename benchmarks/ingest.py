"""Scenario "ingest": how many messages per second one worker turns into tickets.

The real mail of ``../shared/corpora/`` (every ``rfc822`` file of its manifest) is replicated to
N distinct messages (each gets a fresh Message-ID, so none is a duplicate of an earlier run),
then ingested in this process as ``zabota ingest`` does (``ingest_many``, ``BATCH`` messages at a
time: durable raw storage, then parsing, threading, contact matching, ticket or reply, search
index, and the listeners that follow: SLA clocks, routing, notifications, live pages). The
floor it is compared with is the bare cost of parsing the same bytes with the standard library
(``email.message_from_bytes(policy=policy.default)``); ``ratio`` is ingest time / parse time.

Run by ``zabota bench`` against its database (``python -m benchmarks.ingest --messages N``);
prints one JSON object on its last line.
"""

from __future__ import annotations

import argparse
import csv
import email
import json
import re
import time
from email import policy
from pathlib import Path

import django

django.setup()

from django.conf import settings  # noqa: E402

from zabota.channels.email.ingest import BATCH, ingest_many  # noqa: E402
from zabota.channels.email.models import Mailbox  # noqa: E402
from zabota.tickets.models import Inbox  # noqa: E402

_MESSAGE_ID = re.compile(rb"^message-id:[^\n]*\n(?:[ \t][^\n]*\n)*", re.I | re.M)


def corpus_dir() -> Path:
    return Path(settings.BASE_DIR).parent / "shared" / "corpora"


def corpus_messages() -> list[bytes]:
    root = corpus_dir()
    manifest = root / "manifest.csv"
    if not manifest.exists():
        raise SystemExit(f"the email corpus is missing: {manifest} (it lives beside the repository)")
    out = []
    with manifest.open(newline="") as f:
        for row in csv.DictReader(f):
            if row["format"] == "rfc822":
                out.append((root / row["path"]).read_bytes())
    return out


def distinct(messages: list[bytes], n: int, run: str) -> list[bytes]:
    """``n`` messages cycling through the corpus, each with its own Message-ID."""
    result = []
    for i in range(n):
        raw = messages[i % len(messages)]
        head_end = raw.find(b"\n\n")
        if head_end == -1:
            head_end = raw.find(b"\r\n\r\n")
        head, body = (raw[:head_end], raw[head_end:]) if head_end != -1 else (raw, b"")
        head = _MESSAGE_ID.sub(b"", head + b"\n").rstrip(b"\n")
        newline = b"\r\n" if b"\r\n" in head[:2000] else b"\n"
        result.append(
            b"Message-ID: <bench-%s-%d@bench.zabota.test>" % (run.encode(), i) + newline + head + body
        )
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10_000)
    args = parser.parse_args()
    corpus = corpus_messages()
    run = str(int(time.time() * 1000))
    batch = distinct(corpus, args.messages, run)

    started = time.perf_counter()
    for raw in batch:
        email.message_from_bytes(raw, policy=policy.default)
    parse_s = time.perf_counter() - started

    inbox, _ = Inbox.objects.get_or_create(name="Bench mail", defaults={"slug": "bench-mail"})
    if not Mailbox.objects.filter(address="bench@zabota.test").exists():
        Mailbox.objects.create(inbox=inbox, address="bench@zabota.test", auto_ack_enabled=False)
    outcomes: dict[str, int] = {}
    started = time.perf_counter()
    for start in range(0, len(batch), BATCH):
        chunk = [(raw, f"bench:{run}:{start + i}") for i, raw in enumerate(batch[start : start + BATCH])]
        for out in ingest_many(chunk, inbox=inbox):
            outcomes[out.outcome] = outcomes.get(out.outcome, 0) + 1
    ingest_s = time.perf_counter() - started
    print(
        json.dumps(
            {
                "messages": len(batch),
                "corpus_files": len(corpus),
                "seconds": round(ingest_s, 2),
                "messages_per_s": round(len(batch) / ingest_s, 1),
                "parse_seconds": round(parse_s, 2),
                "parse_messages_per_s": round(len(batch) / parse_s, 1),
                "ratio": round(ingest_s / parse_s, 2),
                "outcomes": outcomes,
            }
        )
    )


if __name__ == "__main__":
    main()
