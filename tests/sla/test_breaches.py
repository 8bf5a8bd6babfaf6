"""The per-minute job: warnings and breaches fire at most 60 s late, once, on the timeline, to
the assignee and the team lead (never to customers), and escalation rules run on a breach."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from tests.sla.conftest import MONDAY, make_policy
from tests.support import make_agent, open_ticket
from zabota.accounts.models import Agent, Team
from zabota.customers.models import Contact
from zabota.notifications.models import Notification, NotificationKind
from zabota.sla.jobs import check_due
from zabota.sla.models import (
    AlertKind,
    EscalationAction,
    EscalationRule,
    Metric,
    Policy,
    SlaAlert,
    TicketClock,
)
from zabota.tickets.actions import reply, update_ticket
from zabota.tickets.choices import Priority
from zabota.tickets.models import Activity, Ticket
from zabota.tickets.views.timeline_text import describe

pytestmark = pytest.mark.django_db(transaction=True)

M = timedelta(minutes=1)
S = timedelta(seconds=1)
DUE = MONDAY + 60 * M  # the standard policy's first response target
WARN = MONDAY + 45 * M


@pytest.fixture
def lena_lead(support_team: Team) -> Agent:
    lena = make_agent("lena@zabota.test", name="Lena Lead")
    support_team.members.add(lena)
    Team.objects.filter(pk=support_team.pk).update(lead=lena)
    return lena


@pytest.fixture
def assigned_ticket(
    frozen: time_machine.Coordinates,
    standard_policy: Policy,
    carol_customer: Contact,
    support_team: Team,
    alice_agent: Agent,
    lena_lead: Agent,
    dave_collaborator: Agent,
) -> Ticket:
    ticket = open_ticket(carol_customer, "Cannot log in", team=support_team)
    update_ticket(actor=alice_agent, ticket_id=ticket.pk, assignee=alice_agent)
    return ticket


def sla_rows(ticket: Ticket) -> list[Activity]:
    return list(Activity.objects.filter(ticket=ticket, verb__startswith="sla_").order_by("id"))


def test_a_breach_fires_at_most_a_minute_late_and_only_once(
    frozen: time_machine.Coordinates, assigned_ticket: Ticket
) -> None:
    frozen.move_to(WARN - S)
    assert check_due() == 0

    frozen.move_to(WARN + 59 * S)
    assert check_due() == 1
    assert [a.verb for a in sla_rows(assigned_ticket)] == ["sla_warning"]

    frozen.move_to(DUE - S)
    assert check_due() == 0

    frozen.move_to(DUE + 59 * S)
    assert check_due() == 1
    assert check_due() == 0  # a second run (or a second worker) never fires twice
    frozen.move_to(DUE + 5 * M)
    assert check_due() == 0

    alerts = SlaAlert.objects.filter(ticket=assigned_ticket)
    assert sorted((a.metric, a.kind) for a in alerts) == [
        (Metric.FIRST_RESPONSE, AlertKind.BREACH),
        (Metric.FIRST_RESPONSE, AlertKind.WARNING),
    ]
    breach = alerts.get(kind=AlertKind.BREACH)
    assert breach.due_at == DUE
    assert breach.created_at - DUE <= timedelta(seconds=60)
    rows = sla_rows(assigned_ticket)
    assert [a.verb for a in rows] == ["sla_warning", "sla_breach"]
    assert rows[1].after == {"metric": "first_response", "due_at": DUE.isoformat(), "policy": "Standard"}
    assert describe(rows[1]) == "SLA breached: First response target of policy Standard missed"
    assert describe(rows[0]) == "SLA at risk: First response target of policy Standard is nearly due"


def test_a_job_that_was_down_fires_the_breach_without_the_stale_warning(
    frozen: time_machine.Coordinates, assigned_ticket: Ticket
) -> None:
    frozen.move_to(DUE + 10 * M)
    assert check_due() == 1
    assert [a.verb for a in sla_rows(assigned_ticket)] == ["sla_breach"]
    assert (
        TicketClock.objects.get(ticket=assigned_ticket).next_check_at == MONDAY + 6 * 60 * M
    )  # resolution warning


def test_a_clock_claimed_by_another_worker_is_left_to_it(
    frozen: time_machine.Coordinates, assigned_ticket: Ticket
) -> None:
    frozen.move_to(DUE + S)
    # Another worker claimed the clock a moment ago (its lease moved next_check_at ahead).
    TicketClock.objects.filter(ticket=assigned_ticket).update(next_check_at=DUE + 5 * M)
    assert check_due() == 0
    assert not SlaAlert.objects.filter(ticket=assigned_ticket).exists()


def test_an_answered_ticket_never_breaches(
    frozen: time_machine.Coordinates, assigned_ticket: Ticket, alice_agent: Agent
) -> None:
    frozen.move_to(MONDAY + 30 * M)
    reply(actor=alice_agent, ticket_id=assigned_ticket.pk, body_text="On it")
    frozen.move_to(DUE + S)
    assert check_due() == 0


def test_the_assignee_and_the_team_lead_are_told_and_nobody_else(
    frozen: time_machine.Coordinates,
    assigned_ticket: Ticket,
    alice_agent: Agent,
    lena_lead: Agent,
    dave_collaborator: Agent,
    admin: Agent,
) -> None:
    frozen.move_to(WARN)
    check_due()
    frozen.move_to(DUE)
    check_due()
    told = sorted(
        Notification.objects.filter(ticket=assigned_ticket, kind__startswith="sla_").values_list(
            "agent__email", "kind"
        )
    )
    assert told == [
        ("alice@zabota.test", NotificationKind.SLA_BREACH),
        ("alice@zabota.test", NotificationKind.SLA_WARNING),
        ("lena@zabota.test", NotificationKind.SLA_BREACH),
        ("lena@zabota.test", NotificationKind.SLA_WARNING),
    ]


def test_escalation_rules_raise_the_priority_reassign_and_notify_on_breach(
    frozen: time_machine.Coordinates,
    assigned_ticket: Ticket,
    standard_policy: Policy,
    billing_team: Team,
    bob_other_team: Agent,
    admin: Agent,
) -> None:
    EscalationRule.objects.create(policy=standard_policy, action=EscalationAction.RAISE_PRIORITY, position=1)
    EscalationRule.objects.create(
        policy=standard_policy,
        metric=Metric.FIRST_RESPONSE,
        action=EscalationAction.ASSIGN_TEAM,
        team=billing_team,
        position=2,
    )
    EscalationRule.objects.create(
        policy=standard_policy,
        metric=Metric.RESOLUTION,
        action=EscalationAction.ASSIGN_AGENT,
        agent=admin,
        position=3,
    )
    EscalationRule.objects.create(
        policy=standard_policy, action=EscalationAction.NOTIFY_AGENT, agent=bob_other_team, position=4
    )

    frozen.move_to(WARN)
    check_due()
    ticket = Ticket.objects.get(pk=assigned_ticket.pk)
    assert ticket.priority == Priority.NORMAL  # a warning escalates nothing

    frozen.move_to(DUE)
    check_due()
    ticket = Ticket.objects.get(pk=assigned_ticket.pk)
    assert ticket.priority == Priority.HIGH
    assert ticket.team == billing_team
    assert ticket.assignee is None  # Alice isn't on Billing: the ticket went to Billing's queue
    assert Notification.objects.filter(
        agent=bob_other_team, ticket=ticket, kind=NotificationKind.ESCALATED
    ).exists()
    # The changes are the system's, on the timeline.
    changed = Activity.objects.filter(ticket=ticket, verb="changed", actor_agent__isnull=True)
    assert {a.field for a in changed} >= {"priority", "team"}
    # The hand-off kept the resolution clock.
    assert TicketClock.objects.get(ticket=ticket).resolution_due_at == MONDAY + 8 * 60 * M


def test_the_customer_never_sees_sla_alerts_on_the_portal(
    frozen: time_machine.Coordinates, assigned_ticket: Ticket, carol_customer: Contact
) -> None:
    from tests.web.test_portal_fixtures import sign_in_client

    frozen.move_to(DUE)
    assert check_due() == 1
    client = sign_in_client(Client(), carol_customer)
    page = client.get(f"/portal/requests/{assigned_ticket.number}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Cannot log in" in text
    assert "SLA" not in text and "breach" not in text.lower()


def test_a_failure_while_telling_people_is_retried_on_the_next_run(
    frozen: time_machine.Coordinates, assigned_ticket: Ticket, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zabota.sla import jobs

    real_notify = jobs.notify

    def broken(**kwargs: object) -> None:
        raise RuntimeError("mail server on fire")

    frozen.move_to(DUE)
    monkeypatch.setattr(jobs, "notify", broken)
    assert check_due() == 0
    assert not SlaAlert.objects.filter(ticket=assigned_ticket).exists()
    assert sla_rows(assigned_ticket) == []

    monkeypatch.setattr(jobs, "notify", real_notify)
    frozen.move_to(DUE + 60 * S)
    assert check_due() == 1
    assert [a.verb for a in sla_rows(assigned_ticket)] == ["sla_breach"]
    assert Notification.objects.filter(ticket=assigned_ticket, kind=NotificationKind.SLA_BREACH).count() == 2


def test_a_resolution_breach_fires_once_even_when_the_ticket_waits_on_the_customer_in_between(
    frozen: time_machine.Coordinates,
    assigned_ticket: Ticket,
    standard_policy: Policy,
    alice_agent: Agent,
    carol_customer: Contact,
) -> None:
    # Alice answers at once, but the ticket stays open past its 8-hour resolution target.
    EscalationRule.objects.create(
        policy=standard_policy, metric=Metric.RESOLUTION, action=EscalationAction.RAISE_PRIORITY
    )
    reply(actor=alice_agent, ticket_id=assigned_ticket.pk, body_text="Looking into it")
    frozen.move_to(MONDAY + 8 * 60 * M + S)
    assert check_due() == 1  # the breach (the warning's time is long gone)
    assert [a.verb for a in sla_rows(assigned_ticket)] == ["sla_breach"]
    fired = SlaAlert.objects.filter(ticket=assigned_ticket).count()
    assert Ticket.objects.get(pk=assigned_ticket.pk).priority == Priority.HIGH

    # Alice asks carol for a log file (pending: the clock pauses); carol sends it an hour later
    # (the ticket reopens: the clock continues from the business time already used).
    reply(actor=alice_agent, ticket_id=assigned_ticket.pk, body_text="Send a log?", status="pending")
    frozen.move_to(MONDAY + 9 * 60 * M)
    reply(actor=None, author_contact=carol_customer, ticket_id=assigned_ticket.pk, body_text="Here")
    assert Ticket.objects.get(pk=assigned_ticket.pk).status == "open"

    # The resolution target was missed once: nobody is told again, nothing escalates again.
    for minutes in (1, 2, 10, 60):
        frozen.move_to(MONDAY + 9 * 60 * M + minutes * M)
        assert check_due() == 0
    assert SlaAlert.objects.filter(ticket=assigned_ticket).count() == fired
    assert [a.verb for a in sla_rows(assigned_ticket)].count("sla_breach") == 1
    assert Ticket.objects.get(pk=assigned_ticket.pk).priority == Priority.HIGH


def test_raising_the_priority_on_a_breach_does_not_breach_again_under_the_stricter_policy(
    frozen: time_machine.Coordinates, assigned_ticket: Ticket, standard_policy: Policy
) -> None:
    # High-priority tickets get a first response in 30 minutes; both policies raise the priority
    # one step on a breach.
    high = make_policy("High priority", first=30, position=1, priorities=[int(Priority.HIGH)])
    for policy in (standard_policy, high):
        EscalationRule.objects.create(policy=policy, action=EscalationAction.RAISE_PRIORITY)

    frozen.move_to(DUE + S)
    assert check_due() == 1  # the first response is late: Normal -> High
    ticket = Ticket.objects.get(pk=assigned_ticket.pk)
    assert ticket.priority == Priority.HIGH
    assert TicketClock.objects.get(ticket=ticket).policy == high

    # Under the High policy the same first response was due long ago: still the one breach,
    # told once; the ticket doesn't climb to Urgent on its own a minute later.
    for minutes in (1, 2, 3):
        frozen.move_to(DUE + minutes * M + S)
        assert check_due() == 0
    ticket = Ticket.objects.get(pk=assigned_ticket.pk)
    assert ticket.priority == Priority.HIGH
    assert [a.verb for a in sla_rows(ticket)] == ["sla_breach"]


def test_a_late_next_response_escalated_to_a_stricter_policy_is_breached_once(
    frozen: time_machine.Coordinates,
    assigned_ticket: Ticket,
    standard_policy: Policy,
    alice_agent: Agent,
    carol_customer: Contact,
) -> None:
    high = make_policy("High priority", next_=30, position=1, priorities=[int(Priority.HIGH)])
    for policy in (standard_policy, high):
        EscalationRule.objects.create(
            policy=policy, metric=Metric.NEXT_RESPONSE, action=EscalationAction.RAISE_PRIORITY
        )
    reply(actor=alice_agent, ticket_id=assigned_ticket.pk, body_text="Try again now?")
    frozen.move_to(MONDAY + 10 * M)
    reply(actor=None, author_contact=carol_customer, ticket_id=assigned_ticket.pk, body_text="Still broken")

    # Nobody answers within the standard two hours: Normal -> High.
    frozen.move_to(MONDAY + 130 * M + S)
    check_due()
    assert Ticket.objects.get(pk=assigned_ticket.pk).priority == Priority.HIGH
    for minutes in (1, 2, 3):
        frozen.move_to(MONDAY + (130 + minutes) * M + S)
        check_due()
    ticket = Ticket.objects.get(pk=assigned_ticket.pk)
    assert ticket.priority == Priority.HIGH
    assert [a.verb for a in sla_rows(ticket)].count("sla_breach") == 1

    # Alice answers; Carol writes again and waits too long again: a new breach, told again.
    reply(actor=alice_agent, ticket_id=ticket.pk, body_text="Fixed?")
    frozen.move_to(MONDAY + 200 * M)
    reply(actor=None, author_contact=carol_customer, ticket_id=ticket.pk, body_text="No")
    frozen.move_to(MONDAY + 231 * M)
    check_due()
    assert [a.verb for a in sla_rows(ticket)].count("sla_breach") == 2
