"""Search engines behind one interface. Only raw SQL lives here; callers pass normalised terms."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection


class SearchBackend:
    """Finds ticket ids whose document contains every term, newest (highest id) first."""

    def match_ids(self, terms: Sequence[str], *, before_id: int | None, limit: int) -> list[int]:
        raise NotImplementedError

    def count(self, terms: Sequence[str], *, cap: int) -> int:
        """The number of matches, counted up to ``cap`` (callers show "1,000+" beyond it)."""
        raise NotImplementedError

    def rank(self, terms: Sequence[str], ids: Sequence[int]) -> list[int]:
        """``ids`` (a bounded candidate set) reordered by relevance, best first."""
        raise NotImplementedError

    def any_ids(self, terms: Sequence[str], *, limit: int) -> list[int]:
        """Up to ``limit`` matching ids in whatever order is cheapest (for counting)."""
        raise NotImplementedError


class Fts5Backend(SearchBackend):
    @staticmethod
    def _match(terms: Sequence[str]) -> str:
        # unicode61 splits words at "_" (Python's \w keeps it): "a_b" is two tokens in the
        # index, so it is two terms here; one quoted string would be a phrase query, which the
        # index (detail='column') refuses with an error.
        return " ".join(f'"{part}"' for t in terms for part in t.split("_") if part)

    def match_ids(self, terms: Sequence[str], *, before_id: int | None, limit: int) -> list[int]:
        sql = "SELECT rowid FROM search_fts WHERE search_fts MATCH %s"
        params: list[str | int] = [self._match(terms)]
        if before_id is not None:
            sql += " AND rowid < %s"
            params.append(before_id)
        sql += " ORDER BY rowid DESC LIMIT %s"
        params.append(limit)
        with connection.cursor() as cur:
            cur.execute(sql, params)
            return [row[0] for row in cur.fetchall()]

    def count(self, terms: Sequence[str], *, cap: int) -> int:
        with connection.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM (SELECT 1 FROM search_fts WHERE search_fts MATCH %s LIMIT %s)",
                [self._match(terms), cap],
            )
            return int(cur.fetchone()[0])

    def rank(self, terms: Sequence[str], ids: Sequence[int]) -> list[int]:
        if not ids:
            return []
        placeholders = ",".join(["%s"] * len(ids))
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT rowid FROM search_fts WHERE search_fts MATCH %s AND rowid IN ({placeholders}) "
                "ORDER BY bm25(search_fts), rowid DESC",
                [self._match(terms), *ids],
            )
            return [row[0] for row in cur.fetchall()]

    def any_ids(self, terms: Sequence[str], *, limit: int) -> list[int]:
        with connection.cursor() as cur:
            cur.execute(
                "SELECT rowid FROM search_fts WHERE search_fts MATCH %s LIMIT %s", [self._match(terms), limit]
            )
            return [row[0] for row in cur.fetchall()]


class PostgresBackend(SearchBackend):
    @staticmethod
    def _query(terms: Sequence[str]) -> str:
        return " ".join(terms)

    def match_ids(self, terms: Sequence[str], *, before_id: int | None, limit: int) -> list[int]:
        sql = "SELECT ticket_id FROM core_searchdocument WHERE tsv @@ plainto_tsquery('simple', %s)"
        params: list[str | int] = [self._query(terms)]
        if before_id is not None:
            sql += " AND ticket_id < %s"
            params.append(before_id)
        sql += " ORDER BY ticket_id DESC LIMIT %s"
        params.append(limit)
        with connection.cursor() as cur:
            cur.execute(sql, params)
            return [row[0] for row in cur.fetchall()]

    def count(self, terms: Sequence[str], *, cap: int) -> int:
        with connection.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM (SELECT 1 FROM core_searchdocument "
                "WHERE tsv @@ plainto_tsquery('simple', %s) LIMIT %s) AS m",
                [self._query(terms), cap],
            )
            return int(cur.fetchone()[0])

    def rank(self, terms: Sequence[str], ids: Sequence[int]) -> list[int]:
        if not ids:
            return []
        with connection.cursor() as cur:
            cur.execute(
                "SELECT ticket_id FROM core_searchdocument "
                "WHERE ticket_id = ANY(%s) AND tsv @@ plainto_tsquery('simple', %s) "
                "ORDER BY ts_rank_cd(tsv, plainto_tsquery('simple', %s)) DESC, ticket_id DESC",
                [list(ids), self._query(terms), self._query(terms)],
            )
            return [row[0] for row in cur.fetchall()]

    def any_ids(self, terms: Sequence[str], *, limit: int) -> list[int]:
        with connection.cursor() as cur:
            cur.execute(
                "SELECT ticket_id FROM core_searchdocument WHERE tsv @@ plainto_tsquery('simple', %s) LIMIT %s",
                [self._query(terms), limit],
            )
            return [row[0] for row in cur.fetchall()]


_BACKENDS: dict[str, SearchBackend] = {"sqlite": Fts5Backend(), "postgresql": PostgresBackend()}


def backend() -> SearchBackend:
    try:
        return _BACKENDS[connection.vendor]
    except KeyError:
        raise RuntimeError(f"no search backend for database vendor {connection.vendor!r}") from None
