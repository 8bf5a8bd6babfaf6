"""An admin changes a policy: every open ticket's clock is recomputed in a background job whose
progress a page can show; solved tickets keep their history; the facts are never reset."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction

from tests.sla.conftest import MONDAY
from tests.support import open_ticket
from zabota.accounts.models import Agent
from zabota.customers.models import Contact
from zabota.sla.actions import backfill_clocks, recompute, start_recompute
from zabota.sla.models import Metric, Policy, RecomputeJob, Target, TicketClock
from zabota.tickets.actions import reply, update_ticket
from zabota.tickets.choices import Status

pytestmark = pytest.mark.django_db(transaction=True)

H = timedelta(hours=1)


def test_a_policy_change_recomputes_open_tickets_in_a_job_with_progress(
    frozen: time_machine.Coordinates, standard_policy: Policy, carol_customer: Contact, alice_agent: Agent
) -> None:
    open_ones = [open_ticket(carol_customer, f"Question {i}") for i in range(3)]
    solved = open_ticket(carol_customer, "Solved already")
    update_ticket(actor=alice_agent, ticket_id=solved.pk, status=Status.SOLVED)

    frozen.move_to(MONDAY + H)
    with transaction.atomic():
        Target.objects.filter(policy=standard_policy, metric=Metric.RESOLUTION).update(minutes=4 * 60)
        job = start_recompute(reason="Policy Standard changed")
        assert job.total == 3 and job.done == 0  # nothing runs before the change commits

    job = RecomputeJob.objects.get(pk=job.pk)
    assert (job.done, job.total) == (3, 3)
    assert job.started_at is not None and job.finished_at is not None and job.error == ""
    for t in open_ones:
        assert TicketClock.objects.get(ticket=t).resolution_due_at == MONDAY + 4 * H  # from creation
    assert TicketClock.objects.get(ticket=solved).resolution_due_at is None


def test_recompute_is_idempotent_and_keeps_the_facts(
    frozen: time_machine.Coordinates, standard_policy: Policy, carol_customer: Contact, alice_agent: Agent
) -> None:
    ticket = open_ticket(carol_customer, "Export fails")
    frozen.move_to(MONDAY + 2 * H)
    reply(actor=alice_agent, ticket_id=ticket.pk, body_text="Which browser?", status=Status.PENDING)
    before = TicketClock.objects.filter(ticket=ticket).values().get()

    frozen.move_to(MONDAY + 5 * H)
    assert recompute([ticket.pk]) == 1
    assert recompute([ticket.pk]) == 1
    after = TicketClock.objects.filter(ticket=ticket).values().get()
    before.pop("updated_at"), after.pop("updated_at")
    assert after == before


def test_backfill_gives_every_unsolved_ticket_a_clock(
    frozen: time_machine.Coordinates, standard_policy: Policy, carol_customer: Contact, alice_agent: Agent
) -> None:
    ticket = open_ticket(carol_customer, "Imported ticket")
    frozen.move_to(MONDAY + H / 2)
    reply(actor=alice_agent, ticket_id=ticket.pk, body_text="Answer")
    frozen.move_to(MONDAY + H)
    reply(actor=carol_customer, ticket_id=ticket.pk, body_text="Thanks, but...")
    TicketClock.objects.all().delete()  # as after a bulk import that bypassed the actions

    assert backfill_clocks() == 1
    clock = TicketClock.objects.get(ticket=ticket)
    assert clock.policy == standard_policy
    assert clock.first_response_at == MONDAY + H / 2
    assert clock.awaiting_since == MONDAY + H
    assert clock.next_response_due_at == MONDAY + 3 * H
    assert clock.resolution_due_at == MONDAY + 8 * H


def test_the_demo_setup_gives_gold_chats_five_minutes_and_every_open_ticket_a_clock(
    frozen: time_machine.Coordinates, carol_customer: Contact, erin_customer: Contact
) -> None:
    from zabota.sla.demo import seed_demo

    gold_chat = open_ticket(carol_customer, "Chat from a Gold customer", channel="chat")
    standard_email = open_ticket(erin_customer, "Email from a customer without a tier", channel="email")
    TicketClock.objects.all().delete()  # as the bulk demo generator leaves them

    summary = seed_demo()
    assert summary["clocks_created"] == 2
    assert seed_demo()["clocks_created"] == 0  # running it again changes nothing

    chat = TicketClock.objects.select_related("policy").get(ticket=gold_chat)
    assert chat.policy.name == "Platinum and Gold"
    assert chat.first_response_due_at == MONDAY + timedelta(minutes=5)
    email = TicketClock.objects.select_related("policy").get(ticket=standard_email)
    assert email.policy.name == "Standard"
    # Monday 10:00 UTC is 13:00 in Moscow: four business hours end at 17:00 Moscow, 14:00 UTC.
    assert email.first_response_due_at == MONDAY + 4 * H
