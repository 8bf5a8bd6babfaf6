"""The clocks of a ticket as the customer's conversation goes on: first response, next
response, resolution; pauses while the customer owes us; hand-offs that keep the clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from tests.sla.conftest import MONDAY, make_policy
from tests.support import open_ticket
from zabota.accounts.models import Agent, Team
from zabota.customers.models import Contact
from zabota.sla.models import Metric, Policy, TicketClock
from zabota.sla.queries import ClockState, clock_state
from zabota.tickets.actions import reply, update_ticket
from zabota.tickets.choices import Priority, Status

H = timedelta(hours=1)
M = timedelta(minutes=1)

pytestmark = pytest.mark.django_db(transaction=True)


def clock_of(ticket_id: int) -> TicketClock:
    return TicketClock.objects.get(ticket_id=ticket_id)


def states(ticket_id: int, now=None) -> dict[str, tuple[str, object]]:
    from zabota.core import clock

    return {s.metric: (s.state, s.due_at) for s in clock_state(clock_of(ticket_id), now or clock.now())}


def test_a_new_ticket_starts_its_first_response_and_resolution_clocks(
    frozen: time_machine.Coordinates, standard_policy: Policy, carol_customer: Contact
) -> None:
    ticket = open_ticket(carol_customer, "Cannot log in")

    clock = clock_of(ticket.pk)
    assert clock.policy == standard_policy
    assert clock.first_response_due_at == MONDAY + H
    assert clock.first_response_warn_at == MONDAY + 45 * M  # 75 % of an hour
    assert clock.resolution_due_at == MONDAY + 8 * H
    assert clock.due_at == MONDAY + H
    assert clock.next_check_at == MONDAY + 45 * M
    assert states(ticket.pk) == {
        Metric.FIRST_RESPONSE: (ClockState.RUNNING, MONDAY + H),
        Metric.RESOLUTION: (ClockState.RUNNING, MONDAY + 8 * H),
    }

    frozen.move_to(MONDAY + 50 * M)
    assert states(ticket.pk)[Metric.FIRST_RESPONSE][0] == ClockState.AT_RISK
    frozen.move_to(MONDAY + 61 * M)
    assert states(ticket.pk)[Metric.FIRST_RESPONSE][0] == ClockState.BREACHED


def test_first_reply_stops_first_response_and_each_customer_message_starts_next_response(
    frozen: time_machine.Coordinates, standard_policy: Policy, carol_customer: Contact, alice_agent: Agent
) -> None:
    ticket = open_ticket(carol_customer, "Cannot log in")

    frozen.move_to(MONDAY + 30 * M)
    reply(actor=alice_agent, ticket_id=ticket.pk, body_text="Try resetting your password.")
    clock = clock_of(ticket.pk)
    assert clock.first_response_at == MONDAY + 30 * M
    assert states(ticket.pk)[Metric.FIRST_RESPONSE][0] == ClockState.DONE
    assert clock.due_at == MONDAY + 8 * H  # only resolution runs now

    frozen.move_to(MONDAY + 40 * M)
    reply(actor=carol_customer, ticket_id=ticket.pk, body_text="Still broken.")
    clock = clock_of(ticket.pk)
    assert clock.awaiting_since == MONDAY + 40 * M
    assert clock.next_response_due_at == MONDAY + 40 * M + 2 * H
    assert clock.due_at == MONDAY + 40 * M + 2 * H

    # A second customer message doesn't restart the wait: she has waited since the first one.
    frozen.move_to(MONDAY + 50 * M)
    reply(actor=carol_customer, ticket_id=ticket.pk, body_text="Hello?")
    assert clock_of(ticket.pk).awaiting_since == MONDAY + 40 * M

    frozen.move_to(MONDAY + 70 * M)
    reply(actor=alice_agent, ticket_id=ticket.pk, body_text="Fixed on our side.")
    clock = clock_of(ticket.pk)
    assert clock.awaiting_since is None
    assert Metric.NEXT_RESPONSE not in states(ticket.pk)
    assert clock.first_response_at == MONDAY + 30 * M  # the first response is history


def test_an_internal_note_is_not_a_response(
    frozen: time_machine.Coordinates, standard_policy: Policy, carol_customer: Contact, alice_agent: Agent
) -> None:
    from zabota.tickets.actions import add_note

    ticket = open_ticket(carol_customer, "Cannot log in")
    frozen.move_to(MONDAY + 10 * M)
    add_note(actor=alice_agent, ticket_id=ticket.pk, body_text="Looking into it")
    assert clock_of(ticket.pk).first_response_at is None
    assert states(ticket.pk)[Metric.FIRST_RESPONSE][0] == ClockState.RUNNING


def test_pending_pauses_resolution_and_the_customers_answer_resumes_it_where_it_stopped(
    frozen: time_machine.Coordinates, standard_policy: Policy, carol_customer: Contact, alice_agent: Agent
) -> None:
    ticket = open_ticket(carol_customer, "Export fails")

    # Two hours in, Alice asks a question and waits for Carol.
    frozen.move_to(MONDAY + 2 * H)
    reply(actor=alice_agent, ticket_id=ticket.pk, body_text="Which browser?", status=Status.PENDING)
    clock = clock_of(ticket.pk)
    assert clock.resolution_elapsed == 2 * 3600
    assert clock.resolution_running_since is None
    assert clock.due_at is None and clock.next_check_at is None
    resolution = next(s for s in clock_state(clock, MONDAY + 2 * H) if s.metric == Metric.RESOLUTION)
    assert resolution.state == ClockState.PAUSED
    assert resolution.seconds_left == 6 * 3600  # business seconds left, not a countdown

    # Carol answers five hours later: the ticket reopens and the clock continues with 6 h left.
    frozen.move_to(MONDAY + 7 * H)
    reply(actor=carol_customer, ticket_id=ticket.pk, body_text="Firefox")
    clock = clock_of(ticket.pk)
    assert clock.resolution_due_at == MONDAY + 7 * H + 6 * H
    assert clock.next_response_due_at == MONDAY + 7 * H + 2 * H


def test_response_clocks_do_not_run_while_pending(
    frozen: time_machine.Coordinates, standard_policy: Policy, carol_customer: Contact, alice_agent: Agent
) -> None:
    ticket = open_ticket(carol_customer, "Export fails")
    frozen.move_to(MONDAY + 10 * M)
    update_ticket(actor=alice_agent, ticket_id=ticket.pk, status=Status.PENDING)
    assert states(ticket.pk)[Metric.FIRST_RESPONSE][0] == ClockState.PAUSED
    assert clock_of(ticket.pk).next_check_at is None


@pytest.mark.parametrize("pause_on_hold", [False, True])
def test_on_hold_pauses_resolution_only_when_the_policy_says_so(
    frozen: time_machine.Coordinates, carol_customer: Contact, alice_agent: Agent, pause_on_hold: bool
) -> None:
    make_policy("Standard", pause_on_hold=pause_on_hold)
    ticket = open_ticket(carol_customer, "Report is empty")
    frozen.move_to(MONDAY + H)
    reply(
        actor=alice_agent, ticket_id=ticket.pk, body_text="Our developers will look.", status=Status.ON_HOLD
    )

    frozen.move_to(MONDAY + 3 * H)
    clock = clock_of(ticket.pk)
    if pause_on_hold:
        assert clock.resolution_running_since is None
        assert clock.resolution_elapsed == 3600
        update_ticket(actor=alice_agent, ticket_id=ticket.pk, status=Status.OPEN)
        assert clock_of(ticket.pk).resolution_due_at == MONDAY + 3 * H + 7 * H
    else:
        # "Waiting on developers" is our hand-off: the customer's clock keeps running.
        assert clock.resolution_due_at == MONDAY + 8 * H
        assert states(ticket.pk)[Metric.RESOLUTION][0] == ClockState.RUNNING


def test_hand_offs_between_teams_and_people_keep_the_clock(
    frozen: time_machine.Coordinates,
    standard_policy: Policy,
    carol_customer: Contact,
    alice_agent: Agent,
    bob_other_team: Agent,
    billing_team: Team,
    admin: Agent,
) -> None:
    ticket = open_ticket(carol_customer, "Charged twice")
    before = clock_of(ticket.pk)

    frozen.move_to(MONDAY + 20 * M)
    update_ticket(actor=alice_agent, ticket_id=ticket.pk, assignee=alice_agent)
    frozen.move_to(MONDAY + 40 * M)
    update_ticket(actor=admin, ticket_id=ticket.pk, team=billing_team, assignee=bob_other_team)
    frozen.move_to(MONDAY + 50 * M)
    update_ticket(actor=bob_other_team, ticket_id=ticket.pk, status=Status.ON_HOLD)

    after = clock_of(ticket.pk)
    assert after.first_response_due_at == before.first_response_due_at == MONDAY + H
    assert after.resolution_due_at == before.resolution_due_at == MONDAY + 8 * H
    assert after.resolution_elapsed == 0


def test_reopening_a_solved_ticket_continues_the_resolution_clock(
    frozen: time_machine.Coordinates, standard_policy: Policy, carol_customer: Contact, alice_agent: Agent
) -> None:
    ticket = open_ticket(carol_customer, "Slow dashboard")
    frozen.move_to(MONDAY + 3 * H)
    reply(actor=alice_agent, ticket_id=ticket.pk, body_text="Cache cleared.", status=Status.SOLVED)
    clock = clock_of(ticket.pk)
    assert clock.resolved_at == MONDAY + 3 * H
    assert clock.resolution_elapsed == 3 * 3600
    assert clock.due_at is None and clock.next_check_at is None
    assert states(ticket.pk)[Metric.RESOLUTION][0] == ClockState.DONE

    frozen.move_to(MONDAY + 30 * H)
    reply(actor=carol_customer, ticket_id=ticket.pk, body_text="It is slow again.")
    clock = clock_of(ticket.pk)
    assert clock.resolved_at is None
    assert clock.resolution_due_at == MONDAY + 30 * H + 5 * H  # 5 of the 8 hours were left


def test_a_condition_change_picks_the_policy_again_from_the_same_facts(
    frozen: time_machine.Coordinates, standard_policy: Policy, carol_customer: Contact, alice_agent: Agent
) -> None:
    urgent = make_policy("Urgent", first=15, resolution=120, position=1, priorities=[Priority.URGENT])
    billing = make_policy("Billing", first=30, resolution=240, position=2, kinds=["billing"])
    ticket = open_ticket(carol_customer, "Site is down")
    assert clock_of(ticket.pk).policy == standard_policy

    frozen.move_to(MONDAY + 10 * M)
    update_ticket(actor=alice_agent, ticket_id=ticket.pk, priority=Priority.URGENT)
    clock = clock_of(ticket.pk)
    assert clock.policy == urgent
    assert clock.first_response_due_at == MONDAY + 15 * M  # from creation, not from the change
    assert clock.resolution_due_at == MONDAY + 2 * H

    update_ticket(actor=alice_agent, ticket_id=ticket.pk, priority=Priority.NORMAL, kind="billing")
    clock = clock_of(ticket.pk)
    assert clock.policy == billing
    assert clock.first_response_due_at == MONDAY + 30 * M


def test_the_customers_tier_chooses_the_policy(
    frozen: time_machine.Coordinates, standard_policy: Policy, carol_customer: Contact, erin_customer: Contact
) -> None:
    from zabota.customers.models import Tier

    gold = make_policy("Gold", first=5, position=1)
    gold.tiers.add(Tier.objects.get(name="Gold"))

    carol_ticket = open_ticket(carol_customer, "Acme (Gold) asks")
    erin_ticket = open_ticket(erin_customer, "Globex (no tier) asks")
    assert clock_of(carol_ticket.pk).policy == gold
    assert clock_of(carol_ticket.pk).first_response_due_at == MONDAY + 5 * M
    assert clock_of(erin_ticket.pk).policy == standard_policy


def test_a_ticket_no_policy_matches_has_a_clock_without_due_times(
    frozen: time_machine.Coordinates, carol_customer: Contact
) -> None:
    make_policy("Chat only", channels=["chat"])
    ticket = open_ticket(carol_customer, "By email")
    clock = clock_of(ticket.pk)
    assert clock.policy is None
    assert clock.due_at is None and clock.next_check_at is None
    assert clock_state(clock, MONDAY) == []


def test_an_organization_condition_and_a_tier_change_taken_up_at_once(
    frozen: time_machine.Coordinates,
    standard_policy: Policy,
    carol_customer: Contact,
    erin_customer: Contact,
    admin: Agent,
) -> None:
    from zabota.customers.actions import save_organization
    from zabota.customers.models import Organization, Tier

    acme = Organization.objects.get(name="Acme")
    acme_policy = make_policy("Acme contract", first=10, position=1)
    acme_policy.organizations.add(acme)
    gold = make_policy("Gold", first=20, position=2)
    gold.tiers.add(Tier.objects.get(name="Gold"))

    carol_ticket = open_ticket(carol_customer, "Acme asks")
    erin_ticket = open_ticket(erin_customer, "Globex asks")
    assert clock_of(carol_ticket.pk).policy == acme_policy
    assert clock_of(erin_ticket.pk).policy == standard_policy

    # Globex becomes a Gold customer: its open tickets take up the Gold policy at once.
    save_organization(actor=admin, organization=Organization.objects.get(name="Globex"), tier="Gold")
    assert clock_of(erin_ticket.pk).policy == gold
    assert clock_of(erin_ticket.pk).first_response_due_at == MONDAY + 20 * M


def test_a_requester_who_joins_an_organization_and_its_tier_change_are_taken_up_at_once(
    frozen: time_machine.Coordinates, standard_policy: Policy, admin: Agent, acme: object, globex: object
) -> None:
    from zabota.customers.actions import save_contact, save_organization
    from zabota.customers.models import Organization, Tier

    gold = make_policy("Gold", first=20, position=1)
    gold.tiers.add(Tier.objects.get(name="Gold"))
    # Fay writes from a private address: her ticket has no organization of its own.
    fay = save_contact(actor=admin, name="Fay Freelancer", emails=["fay@freemail.test"])
    ticket = open_ticket(fay, "Invoice question")
    assert ticket.organization_id is None
    assert clock_of(ticket.pk).policy == standard_policy

    # She joins Globex (no tier yet): the clock reads the requester's organization.
    globex = Organization.objects.get(name="Globex")
    save_contact(actor=admin, contact=fay, organization_id=globex.pk)
    assert clock_of(ticket.pk).policy == standard_policy

    # Globex becomes Gold: Fay's open ticket takes up the Gold policy at once, like Globex's own.
    save_organization(actor=admin, organization=globex, tier="Gold")
    assert clock_of(ticket.pk).policy == gold
    assert clock_of(ticket.pk).first_response_due_at == MONDAY + 20 * M


def test_a_requester_who_joins_a_gold_organization_gets_its_policy_at_once(
    frozen: time_machine.Coordinates, standard_policy: Policy, admin: Agent, acme: object
) -> None:
    from zabota.customers.actions import save_contact
    from zabota.customers.models import Organization, Tier

    gold = make_policy("Gold", first=20, position=1)
    gold.tiers.add(Tier.objects.get(name="Gold"))
    fay = save_contact(actor=admin, name="Fay Freelancer", emails=["fay@freemail.test"])
    ticket = open_ticket(fay, "Invoice question")
    assert clock_of(ticket.pk).policy == standard_policy

    # Fay's contract moves under Acme, a Gold customer: her open ticket follows at once.
    save_contact(actor=admin, contact=fay, organization_id=Organization.objects.get(name="Acme").pk)
    assert clock_of(ticket.pk).policy == gold
    assert clock_of(ticket.pk).first_response_due_at == MONDAY + 20 * M


def test_a_merged_duplicate_waiting_for_an_answer_starts_the_targets_next_response_clock(
    frozen: time_machine.Coordinates, standard_policy: Policy, carol_customer: Contact, alice_agent: Agent
) -> None:
    from zabota.tickets.actions import merge_tickets

    target = open_ticket(carol_customer, "Login broken")
    reply(actor=alice_agent, ticket_id=target.pk, body_text="Clear your cookies?")
    assert clock_of(target.pk).awaiting_since is None
    # An hour later Carol writes a new email instead of replying; Alice merges it into the first.
    frozen.move_to(MONDAY + 60 * M)
    duplicate = open_ticket(carol_customer, "Login still broken", "Cookies cleared, still broken.")
    merge_tickets(actor=alice_agent, source_id=duplicate.pk, target_id=target.pk)

    # Carol's message now waits on the target: its next response clock runs from it.
    clock = clock_of(target.pk)
    assert clock.awaiting_since == MONDAY + 60 * M
    assert clock.next_response_due_at == MONDAY + 60 * M + 120 * M
