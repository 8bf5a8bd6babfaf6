"""The crash test (issue 5): `zabota ingest` imports 10,000 messages while it is killed with
SIGKILL at random points, again and again; re-run until it finishes, every message is in exactly
once: one stored row per message, each Message-ID on exactly one ticket message, nothing left
unprocessed, and exactly as many tickets as messages that open one (the rest are replies that
thread onto them).

The importer runs as a real subprocess against its own database: a SQLite file in a temporary
directory, or, when DATABASE_URL points at PostgreSQL (CI's second pass), a fresh database on that
server, dropped afterwards (as tests/browser/conftest.py does). ZABOTA_CRASH_MESSAGES changes the
number of messages (default 10,000, as the issue asks); ZABOTA_CRASH_SEED replays the kill times
of a failed run (it prints its seed). `zabota ingest` commits 100 messages per transaction, so
each kill loses at most the batch in flight (stored raw, processed again on the next run).
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MESSAGES = int(os.environ.get("ZABOTA_CRASH_MESSAGES", "10000"))
KILLS = 10
SENDERS = 500  # message i comes from sender i % SENDERS

SETUP = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0, interactive=False)
from zabota.tickets.models import Inbox
from zabota.channels.email.models import Mailbox
inbox = Inbox.objects.create(name="Support", slug="support", email="support@zabota.test")
Mailbox.objects.create(inbox=inbox, address="support@zabota.test")
"""


def is_reply(i: int) -> bool:
    """Every third message after the first SENDERS replies to the same sender's message
    SENDERS earlier (already imported by then, so it threads)."""
    return i >= SENDERS and i % 3 == 0


def write_mbox(path: Path, n: int) -> None:
    with path.open("wb") as f:
        for i in range(n):
            s = i % SENDERS
            head = [
                f"From customer{s}@acme.test Thu Dec  3 10:00:00 2026",
                f"From: Customer {s} <customer{s}@acme.test>",
                "To: Support <support@zabota.test>",
                f"Message-ID: <crash-{i}@acme.test>",
                "Date: Thu, 03 Dec 2026 10:00:00 +0000",
                "MIME-Version: 1.0",
                "Content-Type: text/plain; charset=utf-8",
            ]
            if is_reply(i):
                head += [
                    f"Subject: Re: Question {i - SENDERS}",
                    f"In-Reply-To: <crash-{i - SENDERS}@acme.test>",
                ]
            else:
                head.append(f"Subject: Question {i}")
            body = f"Hello, this is message {i} from customer {s}.\nВопрос номер {i}."
            f.write(("\n".join([*head, "", body, "", ""])).encode())


class Database:
    """The importer's own database and a way to query it without Django."""

    def __init__(self, tmp: Path) -> None:
        outer = os.environ.get("DATABASE_URL", "")
        self.pg = outer.startswith(("postgres://", "postgresql://"))
        if self.pg:
            parts = urllib.parse.urlsplit(outer)
            self.name = f"zabota_crash_{os.getpid()}"
            self.url = urllib.parse.urlunsplit(parts._replace(path="/" + self.name))
            self.maintenance = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            self._admin(f'CREATE DATABASE "{self.name}"')
        else:
            self.path = tmp / "crash.sqlite3"
            self.url = f"sqlite:///{self.path}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.maintenance, autocommit=True) as conn:
            conn.execute(sql)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        if self.pg:
            import psycopg

            with psycopg.connect(self.url, autocommit=True) as conn:
                return list(conn.execute(sql).fetchall())  # type: ignore[arg-type]
        lite = sqlite3.connect(self.path, timeout=30)
        try:
            return list(lite.execute(sql).fetchall())
        finally:
            lite.close()

    def scalar(self, sql: str) -> int:
        return int(self.query(sql)[0][0])

    def drop(self) -> None:
        if self.pg:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    db = Database(tmp_path)
    try:
        yield db
    finally:
        db.drop()


def _env(tmp: Path, db: Database) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"ZABOTA_DEBUG", "HUEY_IMMEDIATE", "ZABOTA_TESTING", "DATABASE_URL", "MEDIA_ROOT"}
        and not k.startswith(("PYTEST", "S3_", "PYTHONDONTWRITEBYTECODE"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="zabota.config.settings",
        DATABASE_URL=db.url,
        ZABOTA_VAR_DIR=str(tmp / "var"),
        STORAGE_BACKEND="local",
        HUEY_NAME=f"zabota_crash_{os.getpid()}",
        LOG_LEVEL="WARNING",
        # Each restart starts Python again: keep compiled bytecode between them.
        PYTHONPYCACHEPREFIX=str(tmp / "pycache"),
    )
    return env


def _wait_until(check: Callable[[], bool], timeout: float, proc: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            if check():
                return True
        except Exception:  # the database is being created or is locked for a moment
            pass
        time.sleep(0.05)
    return False


@pytest.mark.slow
def test_ingest_killed_many_times_leaves_every_message_in_exactly_once(
    tmp_path: Path, database: Database
) -> None:
    seed = int(os.environ.get("ZABOTA_CRASH_SEED", str(time.time_ns())))
    print(f"ZABOTA_CRASH_SEED={seed} ZABOTA_CRASH_MESSAGES={MESSAGES}")  # shown when it fails
    rng = random.Random(seed)
    mbox = tmp_path / "history.mbox"
    write_mbox(mbox, MESSAGES)
    env = _env(tmp_path, database)
    setup = subprocess.run([sys.executable, "-c", SETUP], env=env, cwd=REPO, capture_output=True, timeout=300)
    assert setup.returncode == 0, setup.stderr.decode()[-3000:]

    command = [str(BIN / "zabota"), "ingest", str(mbox), "--no-progress"]
    stored = "SELECT count(*) FROM email_channel_inboundemail"
    kills = 0
    for _ in range(KILLS):
        before = database.scalar(stored)
        proc = subprocess.Popen(command, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

        # Kill it while it imports: once it has stored something new, after a random while
        # (sometimes at once: mid-way through a message, or while it finishes a killed run's).
        def progressed(before: int = before) -> bool:
            return database.scalar(stored) > before

        started = _wait_until(progressed, 120, proc)
        if not started:
            out, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err.decode()[-3000:]
            break  # it finished before we could kill it
        time.sleep(rng.choice([0, rng.uniform(0, 0.3), rng.uniform(0.3, 2.5)]))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        kills += 1
    final = subprocess.run(command, env=env, cwd=REPO, capture_output=True, timeout=1800)
    assert final.returncode == 0, final.stderr.decode()[-3000:]
    assert f"{MESSAGES} messages:" in final.stdout.decode()
    assert kills >= 5, f"only {kills} kills landed during the import"

    replies = sum(1 for i in range(MESSAGES) if is_reply(i))
    q = database.scalar
    assert q(stored) == MESSAGES
    assert q("SELECT count(DISTINCT dedupe_key) FROM email_channel_inboundemail") == MESSAGES
    assert q("SELECT count(DISTINCT mail_id) FROM email_channel_inboundemail") == MESSAGES
    assert q("SELECT count(*) FROM email_channel_inboundemail WHERE status = 'received'") == 0
    statuses = dict(database.query("SELECT status, count(*) FROM email_channel_inboundemail GROUP BY status"))
    expected = {"created": MESSAGES - replies, "threaded": replies}
    assert statuses == {k: v for k, v in expected.items() if v}
    # Each Message-ID is on exactly one ticket message, and each message row is used once.
    refs = "SELECT count(*) FROM email_channel_emailreference WHERE NOT outgoing"
    assert q(refs) == MESSAGES
    assert q("SELECT count(DISTINCT key) FROM email_channel_emailreference WHERE NOT outgoing") == MESSAGES
    assert (
        q("SELECT count(DISTINCT message_id) FROM email_channel_emailreference WHERE NOT outgoing")
        == MESSAGES
    )
    assert q("SELECT count(DISTINCT message_id) FROM email_channel_inboundemail") == MESSAGES
    assert q("SELECT count(*) FROM tickets_ticket") == MESSAGES - replies
    # The replies are on the tickets their originals opened.
    misthreaded = q(
        "SELECT count(*) FROM email_channel_inboundemail r JOIN email_channel_inboundemail o"
        " ON o.mail_id = 'crash-' || CAST(CAST(substr(r.mail_id, 7, length(r.mail_id) - 16) AS INTEGER)"
        f" - {SENDERS} AS TEXT) || '@acme.test' WHERE r.status = 'threaded' AND r.ticket_id <> o.ticket_id"
    )
    assert misthreaded == 0
