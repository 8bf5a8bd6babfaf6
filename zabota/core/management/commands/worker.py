"""zabota worker: the background-job consumer as its own process (at scale, on Redis)."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the background-job worker (Huey consumer)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--threads", type=int, default=4)

    def handle(self, *args: Any, **opts: Any) -> None:
        call_command("run_huey", workers=opts["threads"], worker_type="thread")
