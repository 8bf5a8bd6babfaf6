"""SLA state in the API: every ticket carries ``sla`` (policy, clocks with due time, seconds left
and state, past breaches); ``GET /tickets`` filters by SLA state and due time and sorts by the
nearest due time; the SLA endpoints; nothing leaks to people who may not see a ticket."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.sla_ui.conftest import MONDAY, every_minute_policy
from tests.support import Api, assert_error, open_ticket
from zabota.accounts.models import Agent, Team
from zabota.customers.models import Contact, Organization
from zabota.sla.jobs import check_due
from zabota.tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)
M = timedelta(minutes=1)


@pytest.fixture
def gold_ticket(
    frozen: time_machine.Coordinates,
    admin: Agent,
    acme: Organization,
    carol_customer: Contact,
    support_team: Team,
) -> Ticket:
    assert acme.tier is not None
    every_minute_policy(admin, tiers=[acme.tier])
    return open_ticket(carol_customer, "Gold customer waits", team=support_team)


def test_a_ticket_shows_its_clocks(
    alice_api: Api, gold_ticket: Ticket, frozen: time_machine.Coordinates
) -> None:
    frozen.move_to(MONDAY + 50 * M)
    body = alice_api.get(f"/tickets/{gold_ticket.pk}").json()
    sla = body["sla"]
    assert sla["policy"]["name"] == "Gold care"
    clocks = {c["metric"]: c for c in sla["clocks"]}
    assert clocks["first_response"] == {
        "metric": "first_response",
        "due_at": "2026-06-01T11:00:00Z",
        "seconds_left": 600,
        "state": "at_risk",
    }
    assert clocks["resolution"]["state"] == "running"
    assert clocks["resolution"]["seconds_left"] == (480 - 50) * 60
    assert sla["breaches"] == []


def test_a_breach_is_listed_once_it_has_fired(
    alice_api: Api, gold_ticket: Ticket, frozen: time_machine.Coordinates
) -> None:
    frozen.move_to(MONDAY + 61 * M)
    check_due()
    sla = alice_api.get(f"/tickets/{gold_ticket.pk}").json()["sla"]
    first = next(c for c in sla["clocks"] if c["metric"] == "first_response")
    assert first["state"] == "breached" and first["seconds_left"] == -60
    assert [(b["metric"], b["due_at"]) for b in sla["breaches"]] == [
        ("first_response", "2026-06-01T11:00:00Z")
    ]


def test_tickets_without_a_policy_have_an_empty_sla(alice_api: Api, support_ticket: Ticket) -> None:
    assert alice_api.get(f"/tickets/{support_ticket.pk}").json()["sla"] == {
        "policy": None,
        "clocks": [],
        "breaches": [],
    }


def test_the_list_filters_and_sorts_by_sla(
    alice_api: Api,
    gold_ticket: Ticket,
    frozen: time_machine.Coordinates,
    carol_customer: Contact,
    erin_customer: Contact,
) -> None:
    frozen.move_to(MONDAY + 30 * M)
    later = open_ticket(carol_customer, "Second Gold ticket")
    untimed = open_ticket(erin_customer, "No policy")
    frozen.move_to(MONDAY + 80 * M)  # the first is breached, the second at risk (warning 11:15)

    def ids(params: dict[str, object]) -> list[int]:
        response = alice_api.get("/tickets", params)
        assert response.status_code == 200, response.content
        return [t["id"] for t in response.json()["items"]]

    assert ids({"sla": "breached"}) == [gold_ticket.pk]
    assert ids({"sla": "at_risk"}) == [later.pk]
    assert ids({"sla": "none"}) == [untimed.pk]
    assert ids({"sla": ["at_risk", "breached"], "sort": "due"}) == [gold_ticket.pk, later.pk]
    assert ids({"sla_due_before": "2026-06-01T11:15:00Z"}) == [gold_ticket.pk]
    assert ids({"sort": "due"}) == [gold_ticket.pk, later.pk, untimed.pk]
    # Paging through the due order.
    first = alice_api.get("/tickets", {"sort": "due", "limit": 1}).json()
    second = alice_api.get("/tickets", {"sort": "due", "limit": 1, "cursor": first["next_cursor"]}).json()
    assert [t["id"] for t in first["items"] + second["items"]] == [gold_ticket.pk, later.pk]
    row = alice_api.get("/tickets", {"sla": "breached"}).json()["items"][0]
    assert row["sla"]["policy"]["name"] == "Gold care"


def test_bad_sla_filters_are_422(alice_api: Api) -> None:
    assert_error(alice_api.get("/tickets", {"sla": "soonish"}), 422)
    assert_error(alice_api.get("/tickets", {"sla_due_before": "not a time"}), 422)
    assert_error(alice_api.get("/tickets", {"sort": "due", "cursor": "bm9wZQ"}), 422)


def test_the_list_reads_clocks_in_constant_queries(
    alice_api: Api, gold_ticket: Ticket, carol_customer: Contact, frozen: time_machine.Coordinates
) -> None:
    def cost() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert alice_api.get("/tickets", {"limit": 50}).status_code == 200
        return len(ctx.captured_queries)

    few = cost()
    for i in range(10):
        open_ticket(carol_customer, f"More {i}")
    frozen.move_to(MONDAY + 2 * 60 * M)
    check_due()
    assert cost() == few


def test_others_tickets_stay_hidden_in_sla_lists(
    bob_api: Api, admin: Agent, security_ticket: Ticket, frozen: time_machine.Coordinates
) -> None:
    every_minute_policy(admin, "Everyone")
    frozen.move_to(MONDAY + 5 * 60 * M)
    assert bob_api.get("/tickets", {"sla": "breached"}).json()["items"] == []
    assert_error(bob_api.get(f"/tickets/{security_ticket.pk}"), 404)


def test_policies_are_readable_by_agents_and_jobs_only_by_admins(
    alice_api: Api, admin_api: Api, dave_api: Api, admin: Agent
) -> None:
    policy = every_minute_policy(admin)
    body = alice_api.get("/sla/policies").json()
    assert [p["name"] for p in body] == ["Gold care"]
    assert {(t["metric"], t["minutes"]) for t in body[0]["targets"]} == {
        ("first_response", 60),
        ("next_response", 120),
        ("resolution", 480),
    }
    from zabota.sla.models import RecomputeJob

    job = RecomputeJob.objects.order_by("-id").first()
    assert job is not None and policy.name in job.reason
    assert admin_api.get(f"/sla/recompute-jobs/{job.pk}").json()["finished_at"] is not None
    assert_error(alice_api.get(f"/sla/recompute-jobs/{job.pk}"), 403)
    assert_error(dave_api.get(f"/sla/recompute-jobs/{job.pk}"), 403)
    assert_error(admin_api.get("/sla/recompute-jobs/999999"), 404)
