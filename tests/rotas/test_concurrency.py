"""Two clicks on "Generate the month" at the same moment plan the month once: the rota row is
locked while a month is planned (PostgreSQL row lock; SQLite serialises writers anyway)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
import time_machine
from django.conf import settings
from django.db import connection

from zabota.accounts.models import Agent
from zabota.rotas.actions import generate_month
from zabota.rotas.models import Rota, Shift


@pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="threads on the in-memory SQLite test database see 'table is locked'; the lock is what "
    "this checks, on PostgreSQL",
)
@pytest.mark.django_db(transaction=True)
def test_simultaneous_generation_plans_the_month_once(duty: Rota, admin: Agent) -> None:
    start = threading.Barrier(3)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            start.wait()
            generate_month(actor=admin, rota=duty, year=2026, month=3)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(3)]
    with time_machine.travel(datetime(2026, 2, 27, 12, tzinfo=UTC), tick=False):
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)

    assert errors == []
    assert Shift.objects.filter(rota=duty).count() == 31
