"""Going away, busy and off shift: an agent who goes away hands their unanswered tickets back to
the queue (with an event, their team lead told) and they are routed to someone eligible; busy
agents keep theirs; an agent whose shift ends hands back that team's unanswered tickets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from zabota.accounts.models import Agent, Team
from zabota.customers.models import Contact
from zabota.notifications.models import Notification, NotificationKind
from zabota.routing import queries
from zabota.routing.actions import set_status, sync_shifts
from zabota.routing.choices import Availability
from zabota.tickets.actions import add_note, reply, update_ticket
from zabota.tickets.choices import Status
from zabota.tickets.models import Activity, Ticket
from zabota.tickets.views.timeline_text import describe


def _reload(t: Ticket) -> Ticket:
    return Ticket.objects.get(pk=t.pk)


@pytest.fixture
def led(support_team: Team, greta: Agent) -> Team:
    support_team.lead = greta
    support_team.save()
    return support_team


def test_going_away_hands_back_unanswered_tickets_and_they_are_rerouted(
    round_robin: Team,
    led: Team,
    crew: list[Agent],
    alice_agent: Agent,
    carol_customer: Contact,
    new_ticket: Callable[..., Ticket],
    delivered: Callable[[], Any],
) -> None:
    mine = [t for t in (new_ticket(subject=f"Q{i}") for i in range(6)) if t.assignee_id == alice_agent.pk]
    assert len(mine) == 2
    waiting, answered = mine
    reply(actor=alice_agent, ticket_id=answered.pk, body_text="Try turning it off and on again.")
    add_note(actor=alice_agent, ticket_id=waiting.pk, body_text="Looking into it")  # a note is no answer

    with delivered():
        set_status(actor=alice_agent, agent=alice_agent, status=Availability.AWAY)

    assert _reload(answered).assignee_id == alice_agent.pk
    now = _reload(waiting)
    assert now.assignee_id not in (None, alice_agent.pk)
    verbs = list(Activity.objects.filter(ticket=waiting).order_by("id").values_list("verb", flat=True))
    assert verbs[-4:] == ["changed", "returned_to_queue", "changed", "routed"]
    event = Activity.objects.get(ticket=waiting, verb="returned_to_queue")
    assert describe(event) == "Returned to the queue: Alice Agent went away"
    lead_note = Notification.objects.get(agent=led.lead, ticket=waiting, kind=NotificationKind.ROUTED_BACK)
    assert lead_note.actor_name == "Alice Agent"


def test_a_customer_writing_after_the_agents_reply_makes_it_unanswered_again(
    round_robin: Team,
    crew: list[Agent],
    carol_customer: Contact,
    new_ticket: Callable[..., Ticket],
    delivered: Callable[[], Any],
) -> None:
    first = crew[0]
    ticket = new_ticket()
    reply(actor=first, ticket_id=ticket.pk, body_text="Which browser?", status=Status.PENDING)
    assert not queries.unanswered_tickets(first.pk).exists()

    reply(actor=carol_customer, ticket_id=ticket.pk, body_text="Firefox.")
    assert list(queries.unanswered_tickets(first.pk).values_list("pk", flat=True)) == [ticket.pk]

    with delivered():
        set_status(actor=first, agent=first, status=Availability.AWAY)
    assert _reload(ticket).assignee_id == crew[1].pk


def test_solved_tickets_are_not_handed_back(
    round_robin: Team, crew: list[Agent], new_ticket: Callable[..., Ticket], delivered: Callable[[], Any]
) -> None:
    first = crew[0]
    ticket = new_ticket()
    update_ticket(actor=first, ticket_id=ticket.pk, status=Status.SOLVED)

    with delivered():
        set_status(actor=first, agent=first, status=Availability.AWAY)

    assert _reload(ticket).assignee_id == first.pk


def test_busy_keeps_tickets_but_receives_no_new_ones(
    round_robin: Team, crew: list[Agent], new_ticket: Callable[..., Ticket], delivered: Callable[[], Any]
) -> None:
    first = crew[0]
    kept = new_ticket()
    assert kept.assignee_id == first.pk

    with delivered():
        set_status(actor=first, agent=first, status=Availability.BUSY)

    assert _reload(kept).assignee_id == first.pk
    assert first.pk not in {new_ticket().assignee_id for _ in range(4)}


def test_nobody_else_available_leaves_handed_back_tickets_in_the_queue(
    round_robin: Team, crew: list[Agent], new_ticket: Callable[..., Ticket], delivered: Callable[[], Any]
) -> None:
    first, second, third = crew
    with delivered():
        set_status(actor=second, agent=second, status=Availability.AWAY)
        set_status(actor=third, agent=third, status=Availability.AWAY)
    ticket = new_ticket()
    assert ticket.assignee_id == first.pk

    with delivered():
        set_status(actor=first, agent=first, status=Availability.AWAY)

    assert _reload(ticket).assignee_id is None
    assert _reload(ticket).team_id == round_robin.pk


def test_coming_back_routes_the_queue(
    round_robin: Team, crew: list[Agent], new_ticket: Callable[..., Ticket], delivered: Callable[[], Any]
) -> None:
    with delivered():
        for agent in crew:
            set_status(actor=agent, agent=agent, status=Availability.AWAY)
    queued = [new_ticket() for _ in range(2)]
    assert all(t.assignee_id is None for t in queued)

    with delivered():
        set_status(actor=crew[1], agent=crew[1], status=Availability.AVAILABLE)

    assert {_reload(t).assignee_id for t in queued} == {crew[1].pk}


# --- Shifts --------------------------------------------------------------------------------------

DAY = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday


@pytest.fixture
def rota(monkeypatch: pytest.MonkeyPatch, support_team: Team, crew: list[Agent]) -> None:
    """Support has a rota: the first agent works 08-16, the second 16-24 (UTC); the third is
    on no shift at all. Other teams have no rota."""
    first, second, _third = crew

    def on_shift(team_id: int, at: datetime) -> set[int] | None:
        if team_id != support_team.pk:
            return None
        hour = at.astimezone(UTC).hour
        return {first.pk} if 8 <= hour < 16 else {second.pk} if hour >= 16 else set()

    monkeypatch.setattr(queries, "on_shift_ids", on_shift)


def test_only_agents_on_shift_receive_tickets(
    round_robin: Team, rota: None, crew: list[Agent], new_ticket: Callable[..., Ticket]
) -> None:
    with time_machine.travel(DAY + timedelta(hours=9), tick=False):
        morning = {new_ticket().assignee_id for _ in range(3)}
    with time_machine.travel(DAY + timedelta(hours=17), tick=False):
        evening = {new_ticket().assignee_id for _ in range(3)}
    with time_machine.travel(DAY + timedelta(hours=3), tick=False):
        night = {new_ticket().assignee_id for _ in range(2)}

    assert morning == {crew[0].pk}
    assert evening == {crew[1].pk}
    assert night == {None}


def test_a_shift_ending_hands_back_unanswered_tickets_to_the_next_shift(
    round_robin: Team,
    rota: None,
    crew: list[Agent],
    new_ticket: Callable[..., Ticket],
    delivered: Callable[[], Any],
) -> None:
    first, second, _ = crew
    with time_machine.travel(DAY + timedelta(hours=15, minutes=50), tick=False):
        sync_shifts()
        ticket = new_ticket()
        assert ticket.assignee_id == first.pk

    # The job ran late (a missed minute is caught up: the change is against what it saw last).
    with time_machine.travel(DAY + timedelta(hours=16, minutes=2), tick=False), delivered():
        done = sync_shifts()

    assert done["handed_back"] == [ticket.pk]
    assert _reload(ticket).assignee_id == second.pk
    event = Activity.objects.get(ticket=ticket, verb="returned_to_queue")
    assert describe(event) == f"Returned to the queue: {first}'s shift ended"

    # Running again changes nothing.
    with time_machine.travel(DAY + timedelta(hours=16, minutes=3), tick=False), delivered():
        assert sync_shifts() == {"handed_back": [], "routed": []}


def test_a_shift_starting_routes_the_night_queue(
    round_robin: Team,
    rota: None,
    crew: list[Agent],
    new_ticket: Callable[..., Ticket],
    delivered: Callable[[], Any],
) -> None:
    with time_machine.travel(DAY + timedelta(hours=3), tick=False):
        sync_shifts()
        night = [new_ticket() for _ in range(2)]
    assert all(t.assignee_id is None for t in night)

    with time_machine.travel(DAY + timedelta(hours=8, minutes=1), tick=False), delivered():
        done = sync_shifts()

    assert sorted(done["routed"]) == sorted(t.pk for t in night)
    assert {_reload(t).assignee_id for t in night} == {crew[0].pk}


def test_a_customer_writing_to_an_away_agent_is_handed_to_someone_available(
    round_robin: Team,
    crew: list[Agent],
    carol_customer: Contact,
    new_ticket: Callable[..., Ticket],
    delivered: Callable[[], Any],
) -> None:
    first = crew[0]
    ticket = new_ticket()
    reply(actor=first, ticket_id=ticket.pk, body_text="Done, please check.", status=Status.PENDING)
    with delivered():
        set_status(actor=first, agent=first, status=Availability.AWAY)
    assert _reload(ticket).assignee_id == first.pk  # answered: nothing to hand back yet

    with delivered():
        reply(actor=carol_customer, ticket_id=ticket.pk, body_text="Still broken!")

    assert _reload(ticket).assignee_id == crew[1].pk
    assert Activity.objects.filter(ticket=ticket, verb="returned_to_queue").count() == 1


def test_someone_on_shift_from_outside_the_team_receives_its_tickets(
    round_robin: Team,
    crew: list[Agent],
    bob_other_team: Agent,
    dave_collaborator: Agent,
    monkeypatch: pytest.MonkeyPatch,
    new_ticket: Callable[..., Ticket],
) -> None:
    """A rota may put anyone on duty: Bob (Billing) on Support's shift gets Support's tickets."""
    monkeypatch.setattr(
        queries,
        "on_shift_ids",
        lambda team_id, at: {bob_other_team.pk} if team_id == round_robin.pk else None,
    )

    assert {new_ticket().assignee_id for _ in range(2)} == {bob_other_team.pk}


def test_a_collaborator_on_shift_must_be_on_the_team(
    admin: Agent,
    billing_team: Team,
    dave_collaborator: Agent,
    monkeypatch: pytest.MonkeyPatch,
    new_ticket: Callable[..., Ticket],
) -> None:
    """Dave is on Support, not Billing: on Billing's shift he still can't be assigned its tickets."""
    from zabota.routing.actions import save_team_routing
    from zabota.routing.choices import RoutingMode

    save_team_routing(actor=admin, team=billing_team, mode=RoutingMode.ROUND_ROBIN)
    monkeypatch.setattr(queries, "on_shift_ids", lambda team_id, at: {dave_collaborator.pk})

    assert new_ticket(team=billing_team).assignee_id is None


def test_on_a_restricted_team_only_members_on_shift_receive(
    admin: Agent,
    security_team: Team,
    sam_security: Agent,
    alice_agent: Agent,
    monkeypatch: pytest.MonkeyPatch,
    new_ticket: Callable[..., Ticket],
) -> None:
    from zabota.routing.actions import save_team_routing
    from zabota.routing.choices import RoutingMode

    save_team_routing(actor=admin, team=security_team, mode=RoutingMode.ROUND_ROBIN)
    monkeypatch.setattr(queries, "on_shift_ids", lambda team_id, at: {alice_agent.pk})

    assert new_ticket(team=security_team).assignee_id is None


def test_a_deactivated_agents_unsolved_tickets_all_go_back_and_are_rerouted(
    round_robin: Team,
    led: Team,
    crew: list[Agent],
    admin: Agent,
    alice_agent: Agent,
    new_ticket: Callable[..., Ticket],
    delivered: Callable[[], Any],
) -> None:
    from zabota.accounts.actions import set_agent_active

    mine = [t for t in (new_ticket(subject=f"Q{i}") for i in range(6)) if t.assignee_id == alice_agent.pk]
    assert len(mine) == 2
    answered, solved = mine
    reply(actor=alice_agent, ticket_id=answered.pk, body_text="We are on it.")  # answered: still hers
    update_ticket(actor=alice_agent, ticket_id=solved.pk, status=Status.SOLVED)

    # Alice leaves the company: even her answered ticket has nobody to work it any more.
    with delivered():
        set_agent_active(actor=admin, agent=alice_agent, active=False)

    now = _reload(answered)
    assert now.assignee_id not in (None, alice_agent.pk)
    event = Activity.objects.get(ticket=answered, verb="returned_to_queue")
    assert describe(event) == "Returned to the queue: Alice Agent was deactivated"
    assert _reload(solved).assignee_id == alice_agent.pk  # the record of who solved it stays
