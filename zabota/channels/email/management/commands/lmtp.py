"""zabota lmtp: the LMTP receiver on its own (``zabota run`` embeds it when ZABOTA_LMTP_PORT is set).

It stores each message and enqueues its processing; a worker (``zabota worker``, or the one
embedded in ``zabota run``) processes it.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from zabota.channels.email.receivers.lmtp import LmtpReceiver


class Command(BaseCommand):
    help = "Receive mail from an MTA over LMTP."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=settings.EMAIL_LMTP_HOST)
        parser.add_argument("--port", type=int, default=settings.EMAIL_LMTP_PORT or 2424)

    def handle(self, *args: Any, **opts: Any) -> None:
        receiver = LmtpReceiver(opts["host"], opts["port"])
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        receiver.start()
        self.stdout.write(f"LMTP receiver listening on {opts['host']}:{opts['port']}")
        self.stdout.flush()
        try:
            stop.wait()
        finally:
            receiver.stop()
