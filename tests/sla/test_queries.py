"""Reads for lists and pages: a page of tickets gets its clocks in one query; the policy that
applies to a ticket; a merged duplicate stops its clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.sla.conftest import MONDAY, make_policy
from tests.support import open_ticket
from zabota.accounts.models import Agent
from zabota.customers.models import Contact, Tier
from zabota.sla.models import Metric, Policy, TicketClock
from zabota.sla.queries import ClockState, clock_state, nearest, policy_for, ticket_alerts, ticket_clocks
from zabota.tickets.actions import merge_tickets
from zabota.tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_page_of_tickets_gets_its_clocks_and_policies_in_one_query(
    frozen: time_machine.Coordinates, standard_policy: Policy, carol_customer: Contact
) -> None:
    few = [open_ticket(carol_customer, f"Q{i}").pk for i in range(2)]
    many = few + [open_ticket(carol_customer, f"Q{i}").pk for i in range(2, 8)]
    for ids in (few, many):
        with CaptureQueriesContext(connection) as queries:
            clocks = ticket_clocks(ids)
            names = [c.policy.name for c in clocks.values() if c.policy]
            rows = [nearest(clock_state(c, MONDAY)) for c in clocks.values()]
        assert len(queries) == 1
        assert len(clocks) == len(ids) and set(names) == {"Standard"}
        assert all(r is not None and r.metric == Metric.FIRST_RESPONSE for r in rows)
    assert ticket_clocks([]) == {}


def test_policy_for_names_the_first_matching_active_policy(
    standard_policy: Policy, carol_customer: Contact, erin_customer: Contact
) -> None:
    gold = make_policy("Gold customers", position=1)
    gold.tiers.add(Tier.objects.get(name="Gold"))
    make_policy("Inactive, first", position=0, is_active=False)
    assert policy_for(open_ticket(carol_customer, "Acme")) == gold
    assert policy_for(open_ticket(erin_customer, "Globex")) == standard_policy


def test_a_merged_duplicate_stops_its_clock_and_the_target_keeps_its_own(
    frozen: time_machine.Coordinates, standard_policy: Policy, carol_customer: Contact, alice_agent: Agent
) -> None:
    target = open_ticket(carol_customer, "Login broken")
    frozen.move_to(MONDAY.replace(hour=11))
    duplicate = open_ticket(carol_customer, "Login still broken")
    merge_tickets(actor=alice_agent, source_id=duplicate.pk, target_id=target.pk)

    source_clock = TicketClock.objects.get(ticket=duplicate)
    assert source_clock.due_at is None and source_clock.next_check_at is None
    assert [s.state for s in clock_state(source_clock, MONDAY)] == [ClockState.DONE]
    target_clock = TicketClock.objects.get(ticket=target)
    assert target_clock.first_response_due_at == MONDAY + timedelta(hours=1)  # its own, from its creation
    assert list(ticket_alerts(target.pk)) == []
    assert Ticket.objects.get(pk=duplicate.pk).merged_into_id == target.pk
