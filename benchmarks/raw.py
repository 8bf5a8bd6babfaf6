"""The best raw SQL for each scenario: what the database alone needs to produce the same answer.

Each function runs its statements on a DB-API cursor and returns nothing; the harness times it.
Written for both engines; where they differ the vendor picks the text.
"""

from __future__ import annotations

from typing import Any

ROW_COLUMNS = (
    "t.id, t.number, t.subject, t.status, t.priority, t.kind, t.channel, c.id, c.name, o.id, o.name, "
    "tr.id, tr.name, tr.rank, a.id, a.name, a.email, tm.id, tm.name, t.created_at, t.updated_at"
)
ROW_JOINS = (
    "JOIN customers_contact c ON c.id = t.requester_id "
    "LEFT JOIN customers_organization o ON o.id = t.organization_id "
    "LEFT JOIN customers_tier tr ON tr.id = o.tier_id "
    "LEFT JOIN accounts_agent a ON a.id = t.assignee_id "
    "LEFT JOIN accounts_team tm ON tm.id = t.team_id"
)


def _ph(pg: bool) -> str:
    return "%s" if pg else "?"


def _rows_and_tags(cur: Any, pg: bool, ids: list[int]) -> None:
    if not ids:
        return
    marks = ",".join([_ph(pg)] * len(ids))
    cur.execute(f"SELECT {ROW_COLUMNS} FROM tickets_ticket t {ROW_JOINS} WHERE t.id IN ({marks})", ids)
    cur.fetchall()
    cur.execute(
        "SELECT tt.ticket_id, g.name FROM tickets_tickettag tt JOIN tickets_tag g ON g.id = tt.tag_id "
        f"WHERE tt.ticket_id IN ({marks})",
        ids,
    )
    cur.fetchall()


def queue(cur: Any, pg: bool, team_id: int, statuses: list[str], tag_id: int | None, limit: int = 50) -> None:
    """(a)/(b): one ordered index range per status, merged, then the rows' display data."""
    p = _ph(pg)
    tag_sql = (
        f" AND EXISTS (SELECT 1 FROM tickets_tickettag tt WHERE tt.ticket_id = t.id AND tt.tag_id = {p})"
        if tag_id
        else ""
    )
    parts: list[str] = []
    params: list[object] = []
    for s in statuses:
        parts.append(
            f"SELECT * FROM (SELECT t.id, t.priority FROM tickets_ticket t WHERE t.team_id = {p} AND t.status = {p}"
            f"{tag_sql} ORDER BY t.priority DESC, t.id LIMIT {limit + 1}) AS r{len(parts)}"
        )
        params += [team_id, s] + ([tag_id] if tag_id else [])
    cur.execute(" UNION ALL ".join(parts) + f" ORDER BY 2 DESC, 1 LIMIT {limit + 1}", params)
    ids = [r[0] for r in cur.fetchall()]
    _rows_and_tags(cur, pg, ids[:limit])


def search(cur: Any, pg: bool, term: str, limit: int = 25) -> None:
    """(c)/(d): newest matches first through the engine's index, a capped count, the rows."""
    if pg:
        cur.execute(
            "SELECT ticket_id FROM core_searchdocument WHERE tsv @@ plainto_tsquery('simple', %s) "
            "ORDER BY ticket_id DESC LIMIT %s",
            [term, limit + 1],
        )
        ids = [r[0] for r in cur.fetchall()]
        cur.execute(
            "SELECT count(*) FROM (SELECT 1 FROM core_searchdocument WHERE tsv @@ plainto_tsquery('simple', %s) "
            "LIMIT 1001) AS m",
            [term],
        )
    else:
        cur.execute(
            "SELECT rowid FROM search_fts WHERE search_fts MATCH ? ORDER BY rowid DESC LIMIT ?",
            [f'"{term}"', limit + 1],
        )
        ids = [r[0] for r in cur.fetchall()]
        cur.execute(
            "SELECT count(*) FROM (SELECT 1 FROM search_fts WHERE search_fts MATCH ? LIMIT 1001)",
            [f'"{term}"'],
        )
    cur.fetchall()
    _rows_and_tags(cur, pg, ids[:limit])


def ticket_page(cur: Any, pg: bool, ticket_id: int) -> None:
    """(e): the ticket with its people, tags, followers, messages with attachments, activity."""
    p = _ph(pg)
    cur.execute(
        f"SELECT {ROW_COLUMNS}, t.custom_fields FROM tickets_ticket t {ROW_JOINS} WHERE t.id = {p}",
        [ticket_id],
    )
    cur.fetchall()
    cur.execute(
        "SELECT g.name FROM tickets_tickettag tt JOIN tickets_tag g ON g.id = tt.tag_id "
        f"WHERE tt.ticket_id = {p}",
        [ticket_id],
    )
    cur.fetchall()
    cur.execute(
        "SELECT m.id, m.kind, m.body_text, m.body_html, m.created_at, a.name, c.name FROM tickets_message m "
        "LEFT JOIN accounts_agent a ON a.id = m.author_agent_id LEFT JOIN customers_contact c ON "
        f"c.id = m.author_contact_id WHERE m.ticket_id = {p} ORDER BY m.id",
        [ticket_id],
    )
    mids = [r[0] for r in cur.fetchall()]
    if mids:
        marks = ",".join([p] * len(mids))
        cur.execute(
            f"SELECT id, message_id, name, size FROM tickets_attachment WHERE message_id IN ({marks})", mids
        )
        cur.fetchall()
    cur.execute(
        f"SELECT id, verb, field, before, after, created_at FROM tickets_activity WHERE ticket_id = {p} ORDER BY id",
        [ticket_id],
    )
    cur.fetchall()


def create_ticket(cur: Any, pg: bool, n: int, requester_id: int, team_id: int, now: Any) -> None:
    """(f): number, ticket, first message, activity, follower and search document."""
    p = _ph(pg)
    cur.execute(f"UPDATE core_counter SET value = value + 1 WHERE name = {p}", ["ticket"])
    cur.execute(f"SELECT value FROM core_counter WHERE name = {p}", ["ticket"])
    number = cur.fetchone()[0]
    ret = " RETURNING id"
    cur.execute(
        "INSERT INTO tickets_ticket (number, subject, status, priority, kind, channel, requester_id, team_id, "
        f"custom_fields, created_at, updated_at) VALUES ({','.join([p] * 11)}){ret}",
        [
            number,
            f"Raw benchmark ticket {n}",
            "new",
            2,
            "question",
            "api",
            requester_id,
            team_id,
            "{}",
            now,
            now,
        ],
    )
    tid = cur.fetchone()[0]
    cur.execute(
        "INSERT INTO tickets_message (ticket_id, kind, author_contact_id, body_text, body_html, channel, "
        f"delivery_status, created_at) VALUES ({','.join([p] * 8)})",
        [tid, "reply", requester_id, "The export does not work since this morning.", "", "api", "", now],
    )
    cur.execute(
        f"INSERT INTO tickets_activity (ticket_id, actor_contact_id, verb, field, after, created_at) VALUES ({','.join([p] * 6)})",
        [tid, requester_id, "created", "", '{"status": "new"}', now],
    )
    cur.execute(
        f"INSERT INTO tickets_follower (ticket_id, contact_id, created_at) VALUES ({p},{p},{p})",
        [tid, requester_id, now],
    )
    cur.execute(
        f"INSERT INTO core_searchdocument (ticket_id, document) VALUES ({p},{p})",
        [tid, f"raw benchmark ticket {n} the export doe not work sinc this morn"],
    )


def post_reply(cur: Any, pg: bool, ticket_id: int, agent_id: int, now: Any) -> None:
    """(g): the message, the ticket's timestamp, the search document rebuilt from the messages."""
    p = _ph(pg)
    cur.execute(
        "INSERT INTO tickets_message (ticket_id, kind, author_agent_id, body_text, body_html, channel, "
        f"delivery_status, created_at) VALUES ({','.join([p] * 8)})",
        [ticket_id, "reply", agent_id, "We are looking into it now.", "", "api", "", now],
    )
    cur.execute(f"UPDATE tickets_ticket SET updated_at = {p} WHERE id = {p}", [now, ticket_id])
    cur.execute(
        f"SELECT body_text FROM tickets_message WHERE ticket_id = {p} AND kind <> 'event' ORDER BY id",
        [ticket_id],
    )
    doc = " ".join(r[0] for r in cur.fetchall())
    cur.execute(
        f"UPDATE core_searchdocument SET document = {p} WHERE ticket_id = {p}", [doc.lower(), ticket_id]
    )
