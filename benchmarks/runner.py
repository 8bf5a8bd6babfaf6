"""`zabota bench`: prepare a database of N tickets, start the server, measure, report.

Each size gets its own database, kept between runs (seeding a million tickets takes minutes):
SQLite ``var/bench/zabota-N.sqlite3``; PostgreSQL database ``zabota_bench_N`` on the server of
``--postgres-url`` (default: DATABASE_URL when it is PostgreSQL). The server is `zabota run`
with production settings (ZABOTA_DEBUG unset), the same one `make run` starts, on a free
loopback port; the measuring client is another process on the same machine.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from django.conf import settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def database_url(engine: str, n: int, postgres_url: str | None) -> str:
    if engine == "sqlite":
        path = Path(settings.VAR_DIR) / "bench" / f"zabota-{n}.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{path}"
    base = postgres_url or "postgresql://postgres@127.0.0.1:5432/postgres"
    head, _, _ = base.rpartition("/")
    return f"{head}/zabota_bench_{n}"


def _env(url: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("ZABOTA_DEBUG", "ZABOTA_TESTING", "HUEY_IMMEDIATE")
    }
    env["DATABASE_URL"] = url
    env["DJANGO_SETTINGS_MODULE"] = "zabota.config.settings"
    return env


def _zabota(*args: str) -> list[str]:
    return [sys.executable, "-m", "zabota.cli", *args]


def ensure_database(url: str, n: int, log: Any) -> None:
    if url.startswith("postgres"):
        import psycopg

        head, _, name = url.rpartition("/")
        with psycopg.connect(f"{head}/postgres", autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
    env = _env(url)
    subprocess.run(_zabota("migrate", "--noinput", "-v0"), env=env, check=True)
    count = (
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import django,os;django.setup();"
                "from zabota.tickets.models import Ticket;print(Ticket.objects.count())",
            ],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    missing = n - int(count)
    if missing > 0:
        log(f"seeding {missing} tickets into {url} ...")
        started = time.monotonic()
        subprocess.run(_zabota("seed", "--tickets", str(missing)), env=env, check=True)
        log(f"seeded in {time.monotonic() - started:.0f} s")


def start_server(url: str, port: int) -> subprocess.Popen[bytes]:
    # Production settings serve the pages' CSS and JS from the collected, hashed static files.
    subprocess.run(_zabota("collectstatic", "--noinput", "-v0"), env=_env(url), check=True)
    proc = subprocess.Popen(
        _zabota("run", "--no-worker", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"),
        env=_env(url),
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("the server did not answer /healthz within 60 s")


def run_one(
    engine: str, n: int, *, requests: int, postgres_url: str | None, log: Any, ingest_messages: int = 10_000
) -> dict[str, Any]:
    url = database_url(engine, n, postgres_url)
    ensure_database(url, n, log)
    port = free_port()
    server = start_server(url, port)
    try:
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "benchmarks.measure",
                "--base-url",
                f"http://127.0.0.1:{port}",
                "--requests",
                str(requests),
            ],
            env=_env(url),
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        ).stdout
    finally:
        server.terminate()
        server.wait(timeout=30)
    report = dict(json.loads(out.strip().splitlines()[-1]))
    if ingest_messages:
        log(f"ingesting {ingest_messages} messages with one worker ...")
        ingested = subprocess.run(
            [sys.executable, "-m", "benchmarks.ingest", "--messages", str(ingest_messages)],
            env=_env(url),
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        ).stdout
        report["scenarios"]["ingest"] = json.loads(ingested.strip().splitlines()[-1])
    return report


def format_table(reports: list[dict[str, Any]]) -> str:
    names = {
        "a": "queue: team's open tickets by priority",
        "b": "queue filtered by a tag",
        "c": "search, word in ~1 %",
        "d": "search, word in ~30 %",
        "e": "one ticket with timeline",
        "f": "create a ticket",
        "g": "post a reply",
        "inbox_page": "agent inbox page (My teams, HTML)",
        "ticket_page": "agent ticket page (HTML)",
    }
    lines = [
        "| tickets | database | scenario | p50 ms | p95 ms | query p95 ms | raw SQL p95 ms | ratio |",
        "|---:|---|---|---:|---:|---:|---:|---:|",
    ]
    ingest_lines = []
    for rep in reports:
        for key, s in rep["scenarios"].items():
            if key == "ingest":
                ingest_lines.append(
                    f"| {rep['tickets']:,} | {rep['database']} | {s['messages']:,} | {s['messages_per_s']} | "
                    f"{s['parse_messages_per_s']} | {s['ratio']} |"
                )
                continue
            lines.append(
                f"| {rep['tickets']:,} | {rep['database']} | ({key}) {names.get(key, key)} | {s['p50_ms']} | "
                f"{s['p95_ms']} | {s['query_p95_ms']} | {s['raw_p95_ms']} | {s['ratio']} |"
            )
    if ingest_lines:
        lines += [
            "",
            "| tickets | database | messages ingested | messages/s (one worker) | bare parse messages/s | ratio |",
            "|---:|---|---:|---:|---:|---:|",
            *ingest_lines,
        ]
    return "\n".join(lines)
