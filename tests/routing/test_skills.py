"""Skills: when a team matches skills, a Russian-speaking customer reaches a Russian-speaking
agent, and a ticket about a product area reaches someone who knows it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from zabota.accounts.models import Agent, Team
from zabota.core.errors import ValidationFailed
from zabota.customers.actions import create_project
from zabota.customers.models import Contact, Organization
from zabota.routing.actions import save_team_routing
from zabota.routing.choices import AreaSource, RoutingMode
from zabota.tickets.actions.config import save_custom_field
from zabota.tickets.models import Activity, Ticket
from zabota.tickets.views.timeline_text import describe


@pytest.fixture
def speakers(
    admin: Agent,
    support_team: Team,
    alice_agent: Agent,
    ivan: Agent,
    greta: Agent,
    set_capacity: Callable[..., None],
) -> None:
    save_team_routing(actor=admin, team=support_team, mode=RoutingMode.ROUND_ROBIN, match_language=True)
    set_capacity(alice_agent, None, languages=["en"])
    set_capacity(ivan, None, languages=["ru", "en"])
    set_capacity(greta, None, languages=["en", "de"])


def test_a_russian_speaking_customer_goes_to_the_russian_speaking_agent(
    speakers: None, ivan: Agent, olga_customer: Contact, new_ticket: Callable[..., Ticket]
) -> None:
    got = {new_ticket(olga_customer).assignee_id for _ in range(3)}

    assert got == {ivan.pk}
    event = Activity.objects.filter(verb="routed").last()
    assert event is not None
    assert describe(event) == f"Routed to {ivan} (round-robin: next in turn; speaks ru)"


def test_english_tickets_still_go_round_everyone_who_speaks_english(
    speakers: None, crew: list[Agent], new_ticket: Callable[..., Ticket]
) -> None:
    got = [new_ticket().assignee_id for _ in range(3)]

    assert got == [a.pk for a in crew]


def test_without_skill_matching_language_does_not_matter(
    round_robin: Team, crew: list[Agent], olga_customer: Contact, new_ticket: Callable[..., Ticket]
) -> None:
    got = [new_ticket(olga_customer).assignee_id for _ in range(3)]

    assert got == [a.pk for a in crew]


def test_nobody_speaking_the_language_leaves_the_ticket_in_the_queue(
    speakers: None,
    ivan: Agent,
    olga_customer: Contact,
    new_ticket: Callable[..., Ticket],
    set_capacity: Callable[..., None],
) -> None:
    set_capacity(ivan, None, languages=["en"])

    assert new_ticket(olga_customer).assignee_id is None


def test_product_area_from_the_project(
    admin: Agent,
    support_team: Team,
    crew: list[Agent],
    acme: Organization,
    new_ticket: Callable[..., Ticket],
    set_capacity: Callable[..., None],
) -> None:
    save_team_routing(
        actor=admin, team=support_team, mode=RoutingMode.ROUND_ROBIN, area_source=AreaSource.PROJECT
    )
    set_capacity(crew[2], None, areas=["Mobile app"])
    mobile = create_project(actor=admin, organization=acme, name="Mobile App")

    got = {new_ticket(project=mobile).assignee_id for _ in range(2)}

    assert got == {crew[2].pk}
    # A ticket with no project is not restricted by area.
    assert new_ticket().assignee_id is not None


def test_product_area_from_a_custom_field(
    admin: Agent,
    support_team: Team,
    crew: list[Agent],
    new_ticket: Callable[..., Ticket],
    set_capacity: Callable[..., None],
) -> None:
    save_custom_field(actor=admin, key="module", label="Module", type="choice", choices=["billing", "api"])
    save_team_routing(
        actor=admin,
        team=support_team,
        mode=RoutingMode.ROUND_ROBIN,
        area_source=AreaSource.CUSTOM_FIELD,
        area_field="module",
    )
    set_capacity(crew[1], None, areas=["api"])

    got = {new_ticket(custom_fields={"module": "api"}).assignee_id for _ in range(2)}

    assert got == {crew[1].pk}


def test_a_custom_field_that_does_not_exist_is_refused(admin: Agent, support_team: Team) -> None:
    with pytest.raises(ValidationFailed):
        save_team_routing(
            actor=admin,
            team=support_team,
            mode=RoutingMode.ROUND_ROBIN,
            area_source=AreaSource.CUSTOM_FIELD,
            area_field="nope",
        )
