"""`zabota bench --scenario sla_recompute` keeps working: a tiny run writes the JSON shape.

Not a timed test (the million-ticket number is measured with the command itself).
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
    reason="the harness is exercised once, on the embedded database",
)
def test_sla_recompute_scenario_runs_and_reports_tickets_and_seconds(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST") and k != "DATABASE_URL"}
    env.update(ZABOTA_VAR_DIR=str(tmp_path))
    out_path = tmp_path / "bench.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "zabota.cli",
            "bench",
            "--scenario",
            "sla_recompute",
            "--sla-tickets",
            "500",
            "--json",
            str(out_path),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(out_path.read_text())
    assert report["scenario"] == "sla_recompute"
    assert report["database"] == "sqlite"
    assert report["tickets"] == report["recomputed"] == 500
    assert report["seconds"] >= 0 and report["raw_seconds"] >= 0
    assert "sla_recompute: 500 open tickets on sqlite" in proc.stdout
