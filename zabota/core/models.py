"""Base models shared by every context, and the counters used for human-readable numbers."""

from __future__ import annotations

from django.db import models

from zabota.core import clock


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(default=clock.now, db_index=False, editable=False)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        abstract = True


class Counter(models.Model):
    """A named monotonic counter (ticket numbers). Incremented with a row lock, never reused."""

    name = models.CharField(max_length=64, primary_key=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class SearchDocument(models.Model):
    """The searchable text of one ticket, already normalised by ``core.search.text``.

    SQLite: an FTS5 table uses this as its external content (kept in step by triggers created
    in the migration). PostgreSQL: a GIN index over ``to_tsvector('simple', document)``.
    Written only by ``core.search.index_tickets``, called from ticket actions in the same
    transaction as the change.
    """

    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, primary_key=True)
    document = models.TextField()

    def __str__(self) -> str:
        return f"search document of ticket {self.ticket_id}"
