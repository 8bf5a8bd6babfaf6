"""Full-text search: one interface, two engines.

Text is normalised in Python before it reaches either engine (``text.normalise``): lower-cased,
split into words, each word reduced to its stem by the Snowball stemmer of its script (Russian
for Cyrillic, English for Latin). Both engines then index plain space-separated stems, so a
search for "тикеты" finds "тикетов" and "replies" finds "reply" on SQLite and PostgreSQL alike.

Engines (``backend()`` picks by the database vendor):
- SQLite: FTS5 over ``core_searchdocument`` (external content, kept in step by triggers).
- PostgreSQL: a stored ``tsvector`` column with a GIN index.

Matches come back newest first (highest ticket id first), in batches, with a ``before_id``
cursor: a common word then costs a short backward scan instead of ranking every match. Callers
apply permissions to each batch (``zabota.tickets.queries.search_tickets``).
"""

from __future__ import annotations

from zabota.core.search.backends import SearchBackend, backend
from zabota.core.search.text import normalise, query_terms

__all__ = ["SearchBackend", "backend", "normalise", "query_terms"]
