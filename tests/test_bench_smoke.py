"""`zabota bench` keeps working: a tiny run prints every scenario and writes the JSON shape.

Not a timed test: it only checks that the harness runs end to end (seed, server, measure).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings


@pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"),
    reason="the harness is exercised once, on the embedded database; PostgreSQL runs are for `zabota bench`",
)
def test_bench_runs_end_to_end_and_writes_json(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST") and k != "DATABASE_URL"}
    env.update(ZABOTA_VAR_DIR=str(tmp_path))
    out_path = tmp_path / "bench.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "zabota.cli",
            "bench",
            "--tickets",
            "400",
            "--requests",
            "3",
            "--json",
            str(out_path),
            "--ingest-messages",
            "60",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(out_path.read_text())
    assert report["database"] == "sqlite"
    assert report["tickets"] >= 400
    assert set(report["scenarios"]) == {*"abcdefg", "inbox_page", "ticket_page", "ingest"}
    ingest = report["scenarios"].pop("ingest")
    assert ingest["messages"] == 60 and ingest["messages_per_s"] > 0 and ingest["ratio"] > 0
    for s in report["scenarios"].values():
        assert {"p50_ms", "p95_ms", "raw_p95_ms"} <= set(s)
    assert "| (a) queue" in proc.stdout
