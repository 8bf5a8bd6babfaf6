"""The LMTP receiver: an MTA (Postfix, Exim, OpenSMTPD) delivers our mail to this port.

One delivery per envelope recipient, as LMTP intends:

- ``RCPT TO`` an address that is not one of our mailboxes (a ``+t<number>.<mac>`` reply address
  counts as its mailbox's) is refused at once with 550, so the MTA bounces it to the sender;
- after ``DATA`` each accepted recipient gets its own status line: 250 only once
  ``ingest.receive`` has committed the raw message (with ``Return-Path`` and ``Delivered-To``
  prepended, as a local delivery agent does), 451 when storing failed, so the MTA keeps the
  message and tries again later. Processing is a Huey task (``process_inbound``) enqueued after
  the commit; a row whose task was lost is picked up by the periodic sweep.
- A message over ``parse.MAX_BYTES`` is refused with 552 while it is still being sent (the MTA
  keeps it and tells the sender); everything smaller is stored, even if it cannot be parsed.

The SMTP conversation runs on aiosmtpd's event loop in its own thread; every database call runs
in a small thread pool of ours (Django's ORM is synchronous), which closes its connections when
the receiver stops.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.db import close_old_connections, connections

from zabota.channels.email import ingest
from zabota.channels.email.parse import MAX_BYTES

logger = logging.getLogger(__name__)

T = TypeVar("T")
DB_THREADS = 4


class LmtpHandler:
    """aiosmtpd handler: recipients checked against our mailboxes, data stored per recipient."""

    def __init__(self, executor: ThreadPoolExecutor) -> None:
        self.executor = executor

    async def _db(self, fn: Callable[..., T], *args: Any) -> T:
        def run() -> T:
            close_old_connections()
            try:
                return fn(*args)
            finally:
                close_old_connections()

        return await asyncio.get_running_loop().run_in_executor(self.executor, run)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        try:
            inbox, _ = await self._db(ingest.resolve_inbox, [address])
        except Exception:
            logger.exception("LMTP: looking up recipient %s failed", address)
            return "451 4.3.0 Temporary failure looking up the recipient, try again later"
        if inbox is None:
            return f"550 5.1.1 <{address}>: no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        sender = envelope.mail_from or ""
        statuses = []
        for rcpt in envelope.rcpt_tos:
            raw = _delivery_headers(sender, rcpt) + content
            try:
                inbound_id, duplicate = await self._db(_store, raw, rcpt)
            except Exception:
                logger.exception("LMTP: storing a message for %s failed", rcpt)
                statuses.append(f"451 4.3.0 <{rcpt}>: could not store the message, try again later")
                continue
            note = "already received" if duplicate else "stored"
            statuses.append(f"250 2.0.0 <{rcpt}> {note} as #{inbound_id}")
        return "\r\n".join(statuses)


def _delivery_headers(sender: str, rcpt: str) -> bytes:
    """What a local delivery agent prepends; ``Delivered-To`` lets threading see a reply address
    that was only in the envelope (a Bcc)."""
    clean = [v.replace("\r", "").replace("\n", "") for v in (sender, rcpt)]
    return f"Return-Path: <{clean[0]}>\r\nDelivered-To: {clean[1]}\r\n".encode("utf-8", "surrogateescape")


def _store(raw: bytes, rcpt: str) -> tuple[int, bool]:
    """Commit the message for one recipient, then enqueue its processing (runs in a DB thread)."""
    from zabota.channels.email.tasks import process_inbound

    received = ingest.receive(raw, source="lmtp", recipients=[rcpt])
    if not received.duplicate:
        try:
            process_inbound(received.inbound.pk)
        except Exception:  # the message is stored; the periodic sweep will process it
            logger.exception("LMTP: processing message #%s failed", received.inbound.pk)
    return received.inbound.pk, received.duplicate


class LmtpController(Controller):
    """aiosmtpd's threaded controller, serving LMTP instead of SMTP."""

    def factory(self) -> SMTP:
        return LMTP(self.handler, **self.SMTP_kwargs)


class LmtpReceiver:
    """Start and stop the LMTP listener (``zabota lmtp``, and inside ``zabota run``)."""

    def __init__(self, host: str, port: int, *, data_size_limit: int = MAX_BYTES) -> None:
        # aiosmtpd logs every command and connection at INFO/DEBUG; keep the warnings only,
        # unless LOGGING names the logger.
        aiosmtpd_log = logging.getLogger("mail.log")
        if aiosmtpd_log.level == logging.NOTSET:
            aiosmtpd_log.setLevel(logging.WARNING)
        self.executor = ThreadPoolExecutor(max_workers=DB_THREADS, thread_name_prefix="lmtp-db")
        self.controller = LmtpController(
            LmtpHandler(self.executor),
            hostname=host,
            port=port,
            data_size_limit=data_size_limit,
            ident="Zabota LMTP",
        )

    @property
    def port(self) -> int:
        return int(self.controller.port)

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()
        # Close the database connection every pool thread holds: each thread takes one job and
        # waits for the others, so all of them run one.
        barrier = threading.Barrier(DB_THREADS)

        def close() -> None:
            connections.close_all()
            try:
                barrier.wait(timeout=5)
            except threading.BrokenBarrierError:
                pass

        for future in [self.executor.submit(close) for _ in range(DB_THREADS)]:
            future.result()
        self.executor.shutdown(wait=True)
