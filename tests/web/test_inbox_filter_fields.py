"""Filters on any ticket field: project, requester, custom fields (text, choice, yes/no, integer),
several tags (all of them), created/updated date ranges. One TicketFilter serves the inbox's filter
form, saved views and the API list: each case is checked through all three."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.utils import timezone

from tests.support import Api, open_ticket
from zabota.accounts.models import Agent, Team
from zabota.customers.models import Contact, Organization, Project
from zabota.tickets.actions import create_saved_view
from zabota.tickets.choices import CustomFieldType
from zabota.tickets.models import CustomFieldDefinition, Ticket
from zabota.tickets.queries import TicketFilter, count_tickets, list_tickets

pytestmark = pytest.mark.django_db


def numbers(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-nav-item data-ticket="(\d+)"', html)]


@pytest.fixture
def world(
    carol_customer: Contact, erin_customer: Contact, acme: Organization, support_team: Team
) -> dict[str, Ticket]:
    CustomFieldDefinition.objects.create(key="plan", label="Plan", type=CustomFieldType.TEXT)
    CustomFieldDefinition.objects.create(
        key="severity", label="Severity", type=CustomFieldType.CHOICE, choices=["minor", "major"]
    )
    CustomFieldDefinition.objects.create(key="vip", label="VIP", type=CustomFieldType.BOOLEAN)
    CustomFieldDefinition.objects.create(key="seats", label="Seats", type=CustomFieldType.INTEGER)
    # A key named like a lookup must still be a key.
    CustomFieldDefinition.objects.create(key="contains", label="Contains", type=CustomFieldType.TEXT)
    mobile = Project.objects.create(organization=acme, name="Mobile app")
    web = Project.objects.create(organization=acme, name="Web")
    t = {
        "gold": open_ticket(
            carol_customer,
            "Gold plan",
            team=support_team,
            project=mobile,
            tags=["vip", "billing", "eu"],
            custom_fields={"plan": "Gold", "severity": "major", "vip": True, "seats": 25, "contains": "x"},
        ),
        "silver": open_ticket(
            carol_customer,
            "Silver plan",
            team=support_team,
            project=web,
            tags=["vip"],
            custom_fields={"plan": "Silver", "severity": "minor", "vip": False, "seats": 5},
        ),
        "erin": open_ticket(erin_customer, "Erin's", team=support_team, tags=["billing", "eu"]),
    }
    # Created 10, 5 and 1 days ago; updated in the opposite order.
    now = timezone.now()
    for ticket, created, updated in ((t["gold"], 10, 1), (t["silver"], 5, 5), (t["erin"], 1, 10)):
        Ticket.objects.filter(pk=ticket.pk).update(
            created_at=now - timedelta(days=created), updated_at=now - timedelta(days=updated)
        )
    return t


def via_form(client: Client, params: dict[str, Any]) -> list[int]:
    response = client.get("/inbox/filter/?" + urlencode(params, doseq=True))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="errorlist' not in html, html[html.find("errorlist") - 300 : html.find("errorlist") + 300]
    return sorted(numbers(html))


def via_saved_view(client: Client, agent: Agent, params: dict[str, Any]) -> list[int]:
    """Save the form's filters as a view (the product's own path) and open it."""
    response = client.post(
        "/inbox/views/new", {"name": f"View {params}"[:90], "filters_query": urlencode(params, doseq=True)}
    )
    assert response.status_code == 302, response.content[:500]
    return sorted(numbers(client.get(response["Location"]).content.decode()))


def via_api(api: Api, params: dict[str, Any]) -> list[int]:
    response = api.get("/tickets", params)
    assert response.status_code == 200, response.content
    return sorted(t["number"] for t in response.json()["items"])


CASES: list[tuple[str, dict[str, Any], dict[str, Any], list[str]]] = [
    # name, form params, API params, expected tickets
    ("project", {"project": "mobile app"}, {"project_id": "<mobile>"}, ["gold"]),
    ("requester", {"requester": "ERIN@globex.test"}, {"requester_id": "<erin>"}, ["erin"]),
    ("text field", {"custom_field": "plan", "custom_value": "Gold"}, {"custom_field": "plan:Gold"}, ["gold"]),
    (
        "choice field",
        {"custom_field": "severity", "custom_value": "minor"},
        {"custom_field": "severity:minor"},
        ["silver"],
    ),
    ("yes/no true", {"custom_field": "vip", "custom_value": "true"}, {"custom_field": "vip:true"}, ["gold"]),
    (
        "yes/no false",
        {"custom_field": "vip", "custom_value": "no"},
        {"custom_field": "vip:false"},
        ["silver"],
    ),
    ("integer", {"custom_field": "seats", "custom_value": "5"}, {"custom_field": "seats:5"}, ["silver"]),
    (
        "lookup-named key",
        {"custom_field": "contains", "custom_value": "x"},
        {"custom_field": "contains:x"},
        ["gold"],
    ),
    ("all of several tags", {"tag": "billing EU"}, {"tag": ["billing", "eu"]}, ["erin", "gold"]),
    ("three tags", {"tag": "vip, billing eu"}, {"tag": ["vip", "billing", "eu"]}, ["gold"]),
    ("an unknown tag among them", {"tag": "vip nosuchtag"}, {"tag": ["vip", "nosuchtag"]}, []),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_each_field_filters_the_same_in_the_form_a_saved_view_and_the_api(
    client: Client,
    alice_agent: Agent,
    alice_api: Api,
    world: dict[str, Ticket],
    erin_customer: Contact,
    case: tuple[str, dict[str, Any], dict[str, Any], list[str]],
) -> None:
    _, form, api, expected = case
    want = sorted(world[k].number for k in expected)
    ids = {"<mobile>": Project.objects.get(name="Mobile app").pk, "<erin>": erin_customer.pk}
    api = {k: ids.get(v, v) if isinstance(v, str) else v for k, v in api.items()}
    client.force_login(alice_agent)
    assert via_form(client, form) == want
    assert via_saved_view(client, alice_agent, form) == want
    assert via_api(alice_api, api) == want


def test_date_ranges_are_whole_days_in_the_agents_timezone(
    client: Client, alice_agent: Agent, alice_api: Api, world: dict[str, Ticket]
) -> None:
    today = timezone.localdate()
    client.force_login(alice_agent)
    week_ago = (today - timedelta(days=7)).isoformat()
    # Created within the last week: silver (5 days) and erin (1 day).
    created = {"created_from": week_ago}
    want = sorted([world["silver"].number, world["erin"].number])
    assert via_form(client, created) == want
    assert via_saved_view(client, alice_agent, created) == want
    # "On or before" includes the whole day: created exactly 10 days ago, to that date.
    ten = (today - timedelta(days=10)).isoformat()
    assert via_form(client, {"created_from": ten, "created_to": ten}) == [world["gold"].number]
    # Updated between 6 and 2 days ago: only silver.
    updated = {
        "updated_from": (today - timedelta(days=6)).isoformat(),
        "updated_to": (today - timedelta(days=2)).isoformat(),
    }
    assert via_form(client, updated) == [world["silver"].number]
    assert via_saved_view(client, alice_agent, updated) == [world["silver"].number]
    # The API takes instants: the same windows.
    now = timezone.now()
    since = (now - timedelta(days=7)).isoformat()
    assert via_api(alice_api, {"created_since": since}) == want
    assert via_api(
        alice_api,
        {
            "updated_since": (now - timedelta(days=6)).isoformat(),
            "updated_before": (now - timedelta(days=2)).isoformat(),
        },
    ) == [world["silver"].number]
    assert via_api(alice_api, {"created_before": (now - timedelta(days=7)).isoformat()}) == [
        world["gold"].number
    ]


def test_bad_values_are_form_errors_and_422s(
    client: Client, alice_agent: Agent, alice_api: Api, world: dict[str, Ticket]
) -> None:
    client.force_login(alice_agent)
    for params in (
        {"custom_field": "seats", "custom_value": "many"},
        {"custom_field": "severity", "custom_value": "catastrophic"},
        {"custom_field": "vip"},
        {"custom_value": "Gold"},
        {"requester": "nobody@nowhere.test"},
        {"project": "No such project"},
        {"created_from": "2026-05-02", "created_to": "2026-05-01"},
        {"tag": "not/a/tag"},
    ):
        html = client.get("/inbox/filter/?" + urlencode(params)).content.decode()
        assert 'class="errorlist' in html, params
        assert numbers(html) == []
    for params in (
        {"custom_field": "seats:many"},
        {"custom_field": "nosuchfield:1"},
        {"custom_field": "plan"},
        {"tag": ["t"] * 3 + [f"t{i}" for i in range(11)]},
    ):
        assert alice_api.get("/tickets", params).status_code == 422, params


def test_editing_a_saved_view_shows_its_new_conditions(
    client: Client, alice_agent: Agent, world: dict[str, Ticket], erin_customer: Contact
) -> None:
    view = create_saved_view(
        actor=alice_agent,
        name="Rich",
        filters={
            "tag": ["billing", "eu"],
            "requester": erin_customer.pk,
            "project": Project.objects.get(name="Web").pk,
            "custom_field": "vip",
            "custom_value": False,
            "created_from": "2026-01-02",
        },
    )
    client.force_login(alice_agent)
    html = client.get(f"/inbox/views/{view.pk}/edit").content.decode()
    assert 'value="billing eu"' in html
    assert 'value="erin@globex.test"' in html
    assert 'value="Web"' in html
    assert '<option value="vip" selected>' in html
    assert 'value="false"' in html
    assert 'type="date" name="created_from" value="2026-01-02"' in html
    # "Refine filters" opens the filter page with the same conditions, names shown as typed.
    page = client.get(f"/inbox/views/{view.pk}/")
    assert f'id="customize-view" href="/inbox/views/{view.pk}/refine"' in page.content.decode()
    refine = client.get(f"/inbox/views/{view.pk}/refine")
    assert refine.status_code == 302
    assert refine["Location"].startswith("/inbox/filter/?")
    for part in ("tag=billing+eu", "requester=erin%40globex.test", "project=Web", "custom_value=false"):
        assert part in refine["Location"], refine["Location"]
    # A view saved before tags were a list (one string) still filters.
    old = create_saved_view(actor=alice_agent, name="Old", filters={"tag": "vip"})
    html = client.get(f"/inbox/views/{old.pk}/").content.decode()
    assert sorted(numbers(html)) == sorted([world["gold"].number, world["silver"].number])


def test_list_and_count_agree_on_the_new_conditions(admin: Agent, world: dict[str, Ticket]) -> None:
    flt = TicketFilter(tags=["billing"], tag="eu", custom_fields={"plan": "Gold"}, sort="queue")
    assert [r["number"] for r in list_tickets(admin, flt).items] == [world["gold"].number]
    assert count_tickets(admin, flt) == (1, False)
    since = timezone.now() - timedelta(days=7)
    flt = TicketFilter(created_since=since, status=["new"], sort="status")
    assert count_tickets(admin, flt) == (2, False)
    assert isinstance(since, datetime)


@pytest.mark.parametrize("sort", ["queue", "status", "assignee", "requester"])
def test_a_saved_view_with_every_new_condition_keeps_the_inbox_query_budget(
    client: Client,
    django_assert_max_num_queries: object,
    alice_agent: Agent,
    world: dict[str, Ticket],
    carol_customer: Contact,
    acme: Organization,
    sort: str,
) -> None:
    view = create_saved_view(
        actor=alice_agent,
        name="Everything",
        filters={
            "status": ["new", "open", "pending", "on_hold"],
            "tag": ["billing", "eu"],
            "organization": acme.pk,
            "project": Project.objects.get(name="Mobile app").pk,
            "requester": carol_customer.pk,
            "custom_field": "plan",
            "custom_value": "Gold",
            "created_from": "2000-01-01",
            "updated_to": "2999-01-01",
            "team": "mine",
            "sort": sort,
        },
    )
    client.force_login(alice_agent)
    with django_assert_max_num_queries(15):  # type: ignore[operator]
        html = client.get(f"/inbox/views/{view.pk}/").content.decode()
    assert numbers(html) == [world["gold"].number]


@pytest.mark.parametrize("sort", ["queue", "status", "assignee", "requester"])
def test_the_filter_page_keeps_the_budget_with_new_conditions(
    client: Client,
    django_assert_max_num_queries: object,
    alice_agent: Agent,
    world: dict[str, Ticket],
    sort: str,
) -> None:
    """The ad hoc filter page also loads its form's choice lists and resolves the names typed
    in it (organization, project, requester: a query each when given)."""
    params = {
        "status": ["new", "open"],
        "tag": "billing eu",
        "requester": "carol@acme.test",
        "custom_field": "plan",
        "custom_value": "Gold",
        "created_from": "2000-01-01",
        "updated_to": "2999-01-01",
        "sort": sort,
    }
    client.force_login(alice_agent)
    # +1 since the SLA clocks: one query for the page's clocks
    with django_assert_max_num_queries(16):  # type: ignore[operator]
        html = client.get("/inbox/filter/?" + urlencode(params, doseq=True)).content.decode()
    assert numbers(html) == [world["gold"].number]
