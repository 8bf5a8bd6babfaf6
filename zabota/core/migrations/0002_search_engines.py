"""Create the search engine's structures for the database in use.

SQLite: an FTS5 index with ``core_searchdocument`` as its external content, kept in step by
triggers (so the index changes in the same transaction as the document).
PostgreSQL: a stored tsvector column generated from the document, with a GIN index.
"""

from django.db import migrations

SQLITE_UP = [
    "CREATE VIRTUAL TABLE search_fts USING fts5(document, content='core_searchdocument', "
    "content_rowid='ticket_id', tokenize='unicode61 remove_diacritics 2', detail='column')",
    "CREATE TRIGGER search_fts_ai AFTER INSERT ON core_searchdocument BEGIN "
    "INSERT INTO search_fts(rowid, document) VALUES (new.ticket_id, new.document); END",
    "CREATE TRIGGER search_fts_ad AFTER DELETE ON core_searchdocument BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, document) VALUES ('delete', old.ticket_id, old.document); END",
    "CREATE TRIGGER search_fts_au AFTER UPDATE ON core_searchdocument BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, document) VALUES ('delete', old.ticket_id, old.document); "
    "INSERT INTO search_fts(rowid, document) VALUES (new.ticket_id, new.document); END",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS search_fts_au",
    "DROP TRIGGER IF EXISTS search_fts_ad",
    "DROP TRIGGER IF EXISTS search_fts_ai",
    "DROP TABLE IF EXISTS search_fts",
]
POSTGRES_UP = [
    "ALTER TABLE core_searchdocument ADD COLUMN tsv tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, document)) STORED",
    "CREATE INDEX core_searchdocument_tsv ON core_searchdocument USING gin (tsv)",
]
POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS core_searchdocument_tsv",
    "ALTER TABLE core_searchdocument DROP COLUMN IF EXISTS tsv",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        )
    ]
