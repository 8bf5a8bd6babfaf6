"""Huey tasks of the triage context: thin, take ids, idempotent."""

from __future__ import annotations

from huey.contrib.djhuey import db_task


@db_task(retries=3, retry_delay=30)
def deliver_update_task(update_id: int) -> None:
    """Post an incident update's pending deliveries (a retry posts only what is still pending)."""
    from zabota.triage.actions import deliver_update

    deliver_update(update_id=update_id)


def resume_updates() -> None:
    """The periodic safety net (``zabota.config.tasks``): updates queued more than five minutes
    ago that still have pending deliveries (the worker died) are posted now."""
    from datetime import timedelta

    from zabota.core import clock
    from zabota.triage.actions import deliver_update
    from zabota.triage.choices import DeliveryState
    from zabota.triage.models import IncidentUpdate

    stale = clock.now() - timedelta(minutes=5)
    ids = (
        IncidentUpdate.objects.filter(created_at__lt=stale, deliveries__state=DeliveryState.PENDING)
        .values_list("pk", flat=True)
        .distinct()
    )
    for update_id in list(ids[:100]):
        deliver_update(update_id=update_id)
