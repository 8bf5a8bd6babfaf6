"""zabota ingest PATH...: import mail from .eml files, mbox files and Maildir directories.

Restartable: every message is stored (deduplicated per inbox) before it is processed, and
messages a killed run left stored but unprocessed are processed first, so re-running the same
command after a crash or a Ctrl-C finishes the job and doubles nothing (what was already in is
counted as a duplicate). ``--report FILE.json`` writes one object per input message.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from zabota.channels.email import ingest
from zabota.channels.email.models import InboundEmail
from zabota.channels.email.receivers.files import MailFiles, NotMail
from zabota.tickets.models import Inbox

# A chunk of messages is stored and processed together: ingest.BATCH messages or this many bytes.
CHUNK_BYTES = 32 * 1024 * 1024

# The summary's order and words, by outcome.
SUMMARY = [
    ("created", "created"),
    ("threaded", "threaded"),
    ("duplicate", "duplicates"),
    ("quarantined", "quarantined"),
    ("bounce", "bounces"),
    ("held", "held"),
    ("ignored", "ignored"),
]


def report_row(label: str, out: ingest.Outcome) -> dict[str, Any]:
    return {
        "source": label,
        "outcome": out.outcome,
        "ticket": out.ticket,
        "message_id": out.message_id,
        "from": out.from_address,
        "subject": out.subject,
        "text": out.text,
        "attachments": out.attachments,
        "reason": out.reason,
    }


def _duplicate(received: ingest.Received, detailed: bool) -> ingest.Outcome:
    row = received.inbound
    if detailed:
        row = InboundEmail.objects.select_related("ticket", "message").get(pk=row.pk)
        out = ingest.outcome_of(row, message=row.message)
    else:
        out = ingest.Outcome(inbound_id=row.pk, outcome="duplicate")
    out.outcome = "duplicate"
    out.reason = f"already received as #{row.pk} ({row.source}), {row.status}"
    return out


class Command(BaseCommand):
    help = "Import mail from .eml files, mbox files and Maildir directories (restartable)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH", help=".eml, mbox, Maildir or directory")
        parser.add_argument(
            "--inbox", metavar="SLUG", help="Put every message in this inbox (default: by recipient)"
        )
        parser.add_argument("--report", metavar="FILE.json", help="Write one JSON object per message")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar")

    def handle(self, *args: Any, **opts: Any) -> None:
        inbox = None
        if opts["inbox"]:
            inbox = Inbox.objects.filter(slug=opts["inbox"]).first()
            if inbox is None:
                raise CommandError(f"No inbox with the slug {opts['inbox']!r}.")
        try:
            files = MailFiles(opts["paths"])
            total = len(files)
        except (NotMail, OSError) as exc:
            raise CommandError(str(exc)) from exc

        # Whatever an earlier run stored but did not get to process (it was killed).
        leftover = 0
        while done := ingest.process_pending():
            leftover += done

        counts: Counter[str] = Counter()
        rows: list[dict[str, Any]] = []
        detailed = bool(opts["report"])
        with tqdm(
            total=total, unit="msg", file=sys.stderr, disable=opts["no_progress"] or None, smoothing=0.1
        ) as bar:
            chunk: list[Any] = []
            size = 0
            for item in files:
                chunk.append(item)
                size += len(item.raw)
                if len(chunk) >= ingest.BATCH or size >= CHUNK_BYTES:
                    self._ingest(chunk, inbox, counts, rows, detailed, bar)
                    chunk, size = [], 0
            if chunk:
                self._ingest(chunk, inbox, counts, rows, detailed, bar)
        files.close()

        summary = ", ".join(f"{counts[key]} {word}" for key, word in SUMMARY)
        line = f"{total} messages: {summary}"
        if leftover:
            line += f" (and {leftover} left unprocessed by an earlier run, processed first)"
        self.stdout.write(line)
        if opts["report"]:
            path = Path(opts["report"])
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_text(json.dumps(rows, ensure_ascii=False, indent=1))
            os.replace(tmp, path)

    def _ingest(
        self,
        chunk: list[Any],
        inbox: Inbox | None,
        counts: Counter[str],
        rows: list[dict[str, Any]],
        detailed: bool,
        bar: Any,
    ) -> None:
        """Store a chunk of messages (one commit), then process the new ones (another)."""
        received = ingest.receive_many([(item.raw, item.source) for item in chunk], inbox=inbox)
        fresh = [r.inbound.pk for r in received if not r.duplicate]
        done = dict(zip(fresh, ingest.process_many(fresh), strict=True))
        for item, r in zip(chunk, received, strict=True):
            out = _duplicate(r, detailed) if r.duplicate else done[r.inbound.pk]
            counts[out.outcome] += 1
            if detailed:
                rows.append(report_row(item.label, out))
        bar.update(len(chunk))
