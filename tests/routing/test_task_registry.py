"""Every background task is registered once Django has started, in any process.

`zabota run` embeds the Huey consumer without `run_huey`'s autodiscovery, so a task enqueued by
another process (`zabota demo`'s routing, a task pending across a restart) reached a consumer that
had never imported its module: "drain_queue_task not found in TaskRegistry", and the task was lost.
Checked in a fresh interpreter, since this test session has imported every module already.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EXPECTED = [
    "zabota.routing.tasks.drain_queue_task",
    "zabota.routing.tasks.hand_back_task",
    "zabota.sla.tasks.run_recompute",
    "zabota.triage.tasks.deliver_update_task",
    "zabota.portal.tasks.send_sign_in_link",
]

SCRIPT = """
import django
django.setup()
from huey.contrib.djhuey import HUEY
print("\\n".join(sorted(HUEY._registry._registry)))
"""


def test_every_task_is_registered_after_setup(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(ZABOTA_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="zabota.config.settings")
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    registered = set(proc.stdout.split())
    assert [name for name in EXPECTED if name not in registered] == []
