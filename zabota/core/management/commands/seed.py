"""zabota seed --tickets N: generate realistic data (see benchmarks.generate)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from benchmarks.generate import generate


class Command(BaseCommand):
    help = "Generate N realistic tickets (English and Russian, tiers, 1-6 messages, two years)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tickets", type=int, default=10_000)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        n = opts["tickets"]
        started = time.monotonic()
        with tqdm(total=n, unit="tickets", disable=opts["no_progress"], smoothing=0.1) as bar:
            written = generate(n, seed=opts["seed"], progress=bar.update)
        self.stdout.write(f"Generated {written} tickets in {time.monotonic() - started:.1f} s")
