"""zabota run: serve the web (ASGI: HTTP and WebSockets) and, embedded, the worker's threads.

Embedded (no REDIS_URL) one process serves the web and runs the Huey consumer in threads, so
that the in-memory channel layer reaches every browser socket. At scale (REDIS_URL set) run
`zabota run --no-worker` on web machines and `zabota worker` on worker machines.

With ZABOTA_LMTP_PORT set, the LMTP receiver (``channels/email/receivers/lmtp.py``) listens here
too, on ZABOTA_LMTP_HOST (or run it alone: `zabota lmtp`).

With the embedded worker, IMAP mailboxes whose server supports IDLE are also watched here
(``channels/email/receivers/imap_idle.py``), unless ZABOTA_IMAP_IDLE is off.
"""

from __future__ import annotations

import logging
from typing import Any

import uvicorn
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Serve Zabota (web + embedded worker threads)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers", type=int, default=1, help="Web worker processes (needs REDIS_URL if > 1)"
        )
        parser.add_argument("--no-worker", action="store_true", help="Do not run background-job threads here")
        parser.add_argument("--worker-threads", type=int, default=2)
        parser.add_argument("--log-level", default="info")

    def handle(self, *args: Any, **opts: Any) -> None:
        run_worker = not opts["no_worker"] and not settings.HUEY.get("immediate")
        if opts["workers"] > 1 and not settings.REDIS_URL:
            self.stderr.write(
                "More than one web process needs REDIS_URL (the in-memory channel layer is per process)."
            )
            raise SystemExit(2)
        consumer = None
        if run_worker:
            from huey.contrib.djhuey import HUEY

            consumer = HUEY.create_consumer(
                workers=opts["worker_threads"], worker_type="thread", periodic=True
            )
            consumer.start()
            self.stdout.write(f"Background worker: {opts['worker_threads']} threads in this process")
        idle = None
        if run_worker:
            from zabota.channels.email.receivers.imap_idle import start_supervisor

            idle = start_supervisor()
            if idle is not None:
                self.stdout.write("IMAP IDLE: watching mailboxes whose server supports it")
        lmtp = None
        if settings.EMAIL_LMTP_PORT:
            from zabota.channels.email.receivers.lmtp import LmtpReceiver

            lmtp = LmtpReceiver(settings.EMAIL_LMTP_HOST, settings.EMAIL_LMTP_PORT)
            lmtp.start()
            self.stdout.write(f"LMTP receiver on {settings.EMAIL_LMTP_HOST}:{settings.EMAIL_LMTP_PORT}")
        self.stdout.write(f"Zabota listening on http://{opts['host']}:{opts['port']}")
        try:
            uvicorn.run(
                "zabota.config.asgi:application",
                host=opts["host"],
                port=opts["port"],
                workers=opts["workers"] if opts["workers"] > 1 else None,
                log_level=opts["log_level"],
                access_log=opts["log_level"] == "debug",
                lifespan="off",
                proxy_headers=True,
            )
        finally:
            if idle is not None:
                idle.stop()
            if lmtp is not None:
                lmtp.stop()
            if consumer is not None:
                consumer.stop(graceful=True)
