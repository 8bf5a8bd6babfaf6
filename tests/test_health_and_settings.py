"""Operations: the health endpoint, production settings that pass Django's deploy checks, and
SQLite in WAL mode."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import OperationalError, connection
from django.test import Client

from zabota.core import views

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_healthz_is_ok_when_the_database_and_the_queue_answer():
    response = Client().get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "queue": "ok"}}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_is_503_and_names_the_database_when_it_is_down(monkeypatch):
    class DownConnection:
        def cursor(self):
            raise OperationalError("could not connect to server")

    monkeypatch.setattr(views, "connection", DownConnection())

    response = Client().get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"].startswith("error")
    assert "OperationalError" in body["checks"]["database"]
    assert body["checks"]["queue"] == "ok"


@pytest.mark.django_db
def test_healthz_needs_no_token_and_answers_only_get():
    assert Client().post("/healthz").status_code == 405


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a production deployment, without anything from this test run."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST", "ZABOTA_", "DJANGO_", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="zabota.config.settings",
        ZABOTA_VAR_DIR=str(tmp_path),
        ZABOTA_HTTPS="1",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="example.com",
        **extra,
    )
    return env


def run_python(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.bug("settings.py: HTTPS sets HSTS without preload, so check --deploy warns security.W021")
def test_production_settings_pass_the_deploy_checks_without_warnings(tmp_path):
    result = run_python(
        ["-m", "django", "check", "--deploy", "--fail-level", "WARNING"], production_env(tmp_path)
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_debug_is_off_in_production_and_secrets_are_not_written_when_given(tmp_path):
    code = (
        "from django.conf import settings; "
        "print(settings.DEBUG, settings.SECURE_SSL_REDIRECT, settings.SESSION_COOKIE_SECURE, settings.ALLOWED_HOSTS)"
    )
    result = run_python(["-c", f"import django; django.setup(); {code}"], production_env(tmp_path))

    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[0] == "False True True ['example.com']"
    assert not (tmp_path / "secret_key").exists()


def test_a_bad_boolean_in_the_environment_fails_loudly(tmp_path):
    result = run_python(
        ["-c", "import django; django.setup()"], production_env(tmp_path, ZABOTA_DEBUG="maybe")
    )

    assert result.returncode != 0
    assert "ZABOTA_DEBUG='maybe' is not a boolean" in result.stderr


def test_sqlite_runs_in_wal_mode(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("WAL is a SQLite journal mode")
    # The test database lives in memory, where WAL does not apply: open the database of a
    # deployment (a file under ZABOTA_VAR_DIR) in a fresh process instead.
    code = (
        "import django; django.setup(); from django.db import connection; cur = connection.cursor(); "
        "print([cur.execute(f'PRAGMA {p}').fetchone()[0] for p in ('journal_mode', 'foreign_keys', 'busy_timeout')])"
    )
    result = run_python(["-c", code], production_env(tmp_path))

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['wal', 1, 30000]"
    assert (tmp_path / "zabota.sqlite3").exists()
