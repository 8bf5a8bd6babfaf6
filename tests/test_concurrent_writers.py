"""Several processes writing at once never see "database is locked" and never share a number.

This is the embedded setup's promise: the web process and the worker's threads write to one
SQLite file (WAL, busy timeout, IMMEDIATE transactions). On PostgreSQL the same test checks the
ticket-number counter under concurrent creation.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.conf import settings

WRITER = textwrap.dedent(
    """
    import os, sys
    os.environ["DJANGO_SETTINGS_MODULE"] = "zabota.config.settings"
    import django
    django.setup()
    from zabota.customers.actions import find_or_create_contact
    from zabota.tickets.actions import create_ticket, reply
    who = sys.argv[1]
    carol = find_or_create_contact(email=f"carol-{who}@acme.test", name="Carol")
    for i in range(int(sys.argv[2])):
        t = create_ticket(actor=carol, requester=carol, subject=f"{who} {i}", body_text="The export fails")
        reply(actor=carol, ticket_id=t.pk, body_text="Any news?")
    print("done")
    """
)


def _env(tmp_path: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(DATABASE_URL=database_url, ZABOTA_VAR_DIR=str(tmp_path), ZABOTA_TESTING="1")
    return env


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        import psycopg

        head = os.environ["DATABASE_URL"].rpartition("/")[0]
        name = f"zabota_concurrency_{os.getpid()}"
        with psycopg.connect(f"{head}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        yield f"{head}/{name}"
        with psycopg.connect(f"{head}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        yield f"sqlite:///{tmp_path / 'concurrent.sqlite3'}"


def test_parallel_writers_all_succeed_with_unique_ticket_numbers(tmp_path: Path, database_url: str) -> None:
    env = _env(tmp_path, database_url)
    subprocess.run([sys.executable, "-m", "zabota.cli", "migrate", "-v0"], env=env, check=True)
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), f"w{n}", "15"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    outputs = [p.communicate(timeout=240) for p in procs]
    for p, (_out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err
        assert "locked" not in err
    check = (
        "import django,os;django.setup();from zabota.tickets.models import Ticket, Message;"
        "nums=list(Ticket.objects.values_list('number', flat=True));"
        "print(len(nums), len(set(nums)), Message.objects.count())"
    )
    out = subprocess.run(
        [sys.executable, "-c", check],
        env={**env, "DJANGO_SETTINGS_MODULE": "zabota.config.settings"},
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert out == ["60", "60", "120"]
