"""zabota worker: the background-job consumer as its own process (at scale, on Redis).

It also watches IMAP mailboxes with IDLE (``channels/email/receivers/imap_idle.py``) unless
ZABOTA_IMAP_IDLE is off.
"""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the background-job worker (Huey consumer)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--threads", type=int, default=4)

    def handle(self, *args: Any, **opts: Any) -> None:
        from zabota.channels.email.receivers.imap_idle import start_supervisor

        idle = start_supervisor()
        try:
            call_command("run_huey", workers=opts["threads"], worker_type="thread")
        finally:
            if idle is not None:
                idle.stop()
