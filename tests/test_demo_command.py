"""Story: a new user runs `make run`, which calls `zabota demo --if-empty`. They find a workspace
that shows what Zabota does: open tickets with live SLA clocks (not all long overdue), priority
rules, a duty rota for this month, Support routing to the person on duty, and the login
printed. A second start leaves the workspace alone."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from zabota.core import clock
from zabota.rotas.models import Rota, Shift
from zabota.routing.models import TeamRouting
from zabota.sla.models import Policy, TicketClock
from zabota.tickets.choices import UNSOLVED
from zabota.tickets.models import Ticket
from zabota.triage.models import PriorityRule

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_demo_workspace_shows_clocks_rules_rota_and_routing(settings: Any, tmp_path: Path) -> None:
    settings.VAR_DIR = tmp_path
    out = StringIO()
    call_command("demo", "--if-empty", "--tickets", "80", stdout=out)
    assert "Admin login:  admin@zabota.local / " in out.getvalue()

    now = clock.now()
    open_ids = set(Ticket.objects.filter(status__in=UNSOLVED).values_list("id", flat=True))
    clocks = TicketClock.objects.filter(ticket_id__in=open_ids).exclude(due_at=None)
    assert clocks.count() >= len(open_ids) // 2
    running = clocks.filter(due_at__gt=now).count()
    assert running > clocks.count() // 2, "most demo clocks are already overdue"
    assert Policy.objects.count() >= 2 and PriorityRule.objects.exists()
    rota = Rota.objects.get()
    assert Shift.objects.filter(rota=rota, date__year=now.year, date__month=now.month).exists()
    assert TeamRouting.objects.get(team__name="Support").mode == "least_loaded"

    tickets = Ticket.objects.count()
    call_command("demo", "--if-empty", stdout=StringIO())
    assert Ticket.objects.count() == tickets
    assert Rota.objects.count() == 1
