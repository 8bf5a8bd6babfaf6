"""The one source of "now", so tests can freeze and move time."""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()


def checked(value: datetime, field: str = "datetime") -> datetime:
    """``value`` in UTC, or ValidationFailed (422) for a naive or out-of-range timestamp, so
    that dates a client sends never overflow in the database driver."""
    from zabota.core.errors import ValidationFailed

    if value.tzinfo is None:
        raise ValidationFailed(f"{field} needs a timezone offset", fields={field: "naive"})
    try:
        utc = value.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise ValidationFailed(f"{field} is out of range", fields={field: "out_of_range"}) from exc
    if not 1900 <= utc.year <= 9000:
        raise ValidationFailed(
            f"{field} must be between the years 1900 and 9000", fields={field: "out_of_range"}
        )
    return utc
