"""Background work of the SLA context (thin, take ids, idempotent).

The per-minute check of due clocks is scheduled in ``zabota/config/tasks.py``.
"""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from zabota.sla.actions import run_recompute as run_recompute_job


@db_task()
def run_recompute(job_id: int) -> None:
    """Recompute every unsolved ticket's clock for a recorded job (a finished job is skipped)."""
    run_recompute_job(job_id)
