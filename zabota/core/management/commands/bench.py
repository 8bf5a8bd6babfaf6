"""zabota bench [--tickets N ...] [--database sqlite|postgresql] [--json PATH] (see benchmarks/)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from benchmarks.runner import format_table, run_one


class Command(BaseCommand):
    help = "Measure the API scenarios at realistic sizes against a server over loopback HTTP."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--tickets", type=int, action="append", help="Size(s); default 100000 and 1000000"
        )
        parser.add_argument(
            "--database",
            choices=["sqlite", "postgresql"],
            action="append",
            help="Engine(s); default the one DATABASE_URL uses",
        )
        parser.add_argument("--postgres-url", default=None, help="Server for PostgreSQL runs")
        parser.add_argument("--requests", type=int, default=200, help="Measured requests per scenario")
        parser.add_argument("--json", dest="json_path", default=None, help="Write the results here")
        parser.add_argument(
            "--scenario",
            choices=["api", "sla_recompute"],
            action="append",
            help="What to measure; default the API scenarios. sla_recompute: recompute every open "
            "ticket's SLA clock (see benchmarks/sla.py)",
        )
        parser.add_argument(
            "--sla-tickets", type=int, default=1_000_000, help="Open tickets for sla_recompute"
        )
        parser.add_argument(
            "--ingest-messages",
            type=int,
            default=10_000,
            help="Messages for the email ingest scenario (the corpus replicated); 0 skips it",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        sizes = opts["tickets"] or [100_000, 1_000_000]
        default_engine = (
            "postgresql" if settings.DATABASES["default"]["ENGINE"].endswith("postgresql") else "sqlite"
        )
        engines = opts["database"] or [default_engine]
        pg_url = opts["postgres_url"] or (settings.DATABASE_URL if default_engine == "postgresql" else None)
        scenarios = opts["scenario"] or ["api"]
        reports: list[Any] = []
        for engine in engines if "sla_recompute" in scenarios else []:
            from benchmarks.sla import run_sla

            rep = run_sla(
                engine, opts["sla_tickets"], postgres_url=pg_url, log=lambda m: self.stdout.write("   " + m)
            )
            self.stdout.write(
                f"sla_recompute: {rep['tickets']:,} open tickets on {engine} in {rep['seconds']} s"
            )
            reports.append(rep)
        for engine in engines if "api" in scenarios else []:
            for n in sizes:
                self.stdout.write(f"== {engine}, {n:,} tickets")
                reports.append(
                    run_one(
                        engine,
                        n,
                        requests=opts["requests"],
                        postgres_url=pg_url,
                        log=lambda m: self.stdout.write("   " + m),
                        ingest_messages=opts["ingest_messages"],
                    )
                )
        api_reports = [r for r in reports if "scenarios" in r]
        if api_reports:
            self.stdout.write(format_table(api_reports))
        if opts["json_path"]:
            data: Any = reports[0] if len(reports) == 1 else reports
            Path(opts["json_path"]).write_text(json.dumps(data, indent=2))
