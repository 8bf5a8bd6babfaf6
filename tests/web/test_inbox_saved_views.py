"""Saved views: filter, save (private or shared), use, edit, delete; others' private views are 404."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.support import open_ticket
from zabota.accounts.models import Agent, Team
from zabota.customers.actions import create_tier, save_organization
from zabota.customers.models import Contact, Organization
from zabota.tickets.actions import create_saved_view, update_ticket
from zabota.tickets.choices import Channel, Priority
from zabota.tickets.models import Inbox, SavedView, Ticket

pytestmark = pytest.mark.django_db


def numbers(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-nav-item data-ticket="(\d+)"', html)]


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return response.content.decode()


@pytest.fixture
def tickets(
    carol_customer: Contact, erin_customer: Contact, support_team: Team, billing_team: Team
) -> dict[str, Ticket]:
    inbox = Inbox.objects.create(name="Sales", slug="sales")
    return {
        "urgent_email": open_ticket(
            carol_customer,
            "Urgent email",
            team=support_team,
            priority=Priority.URGENT,
            channel=Channel.EMAIL,
            tags=["vip"],
        ),
        "chat": open_ticket(carol_customer, "Chat one", team=support_team, channel=Channel.CHAT, inbox=inbox),
        "billing": open_ticket(erin_customer, "Billing one", team=billing_team, kind="billing"),
    }


def test_filters_on_any_field(
    client: Client, alice_agent: Agent, tickets: dict[str, Ticket], acme: Organization, support_team: Team
) -> None:
    client.force_login(alice_agent)
    t = tickets
    assert numbers(page(client, "/inbox/filter/?priority=urgent")) == [t["urgent_email"].number]
    assert numbers(page(client, "/inbox/filter/?channel=chat")) == [t["chat"].number]
    assert numbers(page(client, "/inbox/filter/?tag=VIP")) == [t["urgent_email"].number]
    assert numbers(page(client, "/inbox/filter/?kind=billing")) == [t["billing"].number]
    assert set(numbers(page(client, "/inbox/filter/?organization=acme"))) == {
        t["urgent_email"].number,
        t["chat"].number,
    }
    gold = acme.tier_id
    assert set(numbers(page(client, f"/inbox/filter/?tier={gold}"))) == {
        t["urgent_email"].number,
        t["chat"].number,
    }
    inbox = Inbox.objects.get(slug="sales")
    assert numbers(page(client, f"/inbox/filter/?inbox={inbox.pk}")) == [t["chat"].number]
    assert set(numbers(page(client, f"/inbox/filter/?team={support_team.pk}"))) == {
        t["urgent_email"].number,
        t["chat"].number,
    }
    assert set(numbers(page(client, "/inbox/filter/?team=mine"))) == {
        t["urgent_email"].number,
        t["chat"].number,
    }
    update_ticket(actor=alice_agent, ticket_id=t["chat"].pk, assignee=alice_agent)
    assert numbers(page(client, "/inbox/filter/?assignee=me")) == [t["chat"].number]
    assert set(numbers(page(client, "/inbox/filter/?assignee=unassigned"))) == {
        t["urgent_email"].number,
        t["billing"].number,
    }
    assert numbers(page(client, "/inbox/filter/?status=pending")) == []


def test_unknown_organization_is_a_form_error_not_a_crash(
    client: Client, alice_agent: Agent, tickets: dict[str, Ticket]
) -> None:
    client.force_login(alice_agent)
    html = page(client, "/inbox/filter/?organization=Nope%20Inc")
    assert "No organization is called Nope Inc." in html
    assert numbers(html) == []
    assert client.get("/inbox/filter/?status=bogus").status_code == 200


def test_save_current_filters_as_a_private_view(
    client: Client, alice_agent: Agent, bob_other_team: Agent, tickets: dict[str, Ticket]
) -> None:
    client.force_login(alice_agent)
    html = page(client, "/inbox/filter/?channel=email&priority=urgent&sort=newest")
    query = re.search(r'name="filters_query" value="([^"]*)"', html).group(1).replace("&amp;", "&")
    response = client.post(
        "/inbox/views/new", {"filters_query": query, "name": "  Urgent   mail ", "shared": ""}
    )
    view = SavedView.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/inbox/views/{view.pk}/"
    assert view.name == "Urgent mail" and not view.shared and view.owner_id == alice_agent.pk
    assert view.filters == {"channel": ["email"], "priority": ["urgent"], "sort": "newest"}
    html = page(client, f"/inbox/views/{view.pk}/")
    assert numbers(html) == [tickets["urgent_email"].number]
    assert "Urgent mail" in html
    # Another agent cannot open someone's private view: 404, as for a missing one.
    client.force_login(bob_other_team)
    assert client.get(f"/inbox/views/{view.pk}/").status_code == 404
    assert client.get("/inbox/views/999999/").status_code == 404
    assert client.get(f"/inbox/views/{view.pk}/edit").status_code == 404
    assert client.get(f"/inbox/views/{view.pk}/refine").status_code == 404
    assert client.post(f"/inbox/views/{view.pk}/delete").status_code == 404
    assert SavedView.objects.filter(pk=view.pk).exists()


def test_saving_needs_a_name(client: Client, alice_agent: Agent, tickets: dict[str, Ticket]) -> None:
    client.force_login(alice_agent)
    response = client.post("/inbox/views/new", {"filters_query": "channel=chat", "name": "   "})
    assert response.status_code == 200
    assert (
        "Give the view a name." in response.content.decode()
        or "This field is required." in response.content.decode()
    )
    assert not SavedView.objects.exists()


def test_shared_view_is_visible_to_others_but_editable_only_by_the_owner(
    client: Client, alice_agent: Agent, bob_other_team: Agent, tickets: dict[str, Ticket]
) -> None:
    view = create_saved_view(actor=alice_agent, name="All chats", filters={"channel": ["chat"]}, shared=True)
    client.force_login(bob_other_team)
    html = page(client, f"/inbox/views/{view.pk}/")
    assert numbers(html) == [tickets["chat"].number]
    assert 'id="edit-view"' not in html
    assert client.get(f"/inbox/views/{view.pk}/edit").status_code == 404
    assert client.post(f"/inbox/views/{view.pk}/delete").status_code == 404


def test_a_view_applies_permissions_of_whoever_looks(
    client: Client, alice_agent: Agent, sam_security: Agent, security_ticket: Ticket, support_ticket: Ticket
) -> None:
    view = create_saved_view(actor=sam_security, name="Everything", filters={}, shared=True)
    client.force_login(sam_security)
    assert security_ticket.number in numbers(page(client, f"/inbox/views/{view.pk}/"))
    client.force_login(alice_agent)
    html = page(client, f"/inbox/views/{view.pk}/")
    assert security_ticket.number not in numbers(html) and support_ticket.number in numbers(html)


def test_edit_and_delete_own_view(
    client: Client, alice_agent: Agent, tickets: dict[str, Ticket], acme: Organization
) -> None:
    view = create_saved_view(
        actor=alice_agent, name="Chats", filters={"channel": ["chat"], "organization": acme.pk}
    )
    client.force_login(alice_agent)
    html = page(client, f"/inbox/views/{view.pk}/edit")
    assert 'value="Acme"' in html  # the organization is shown by name
    response = client.post(
        f"/inbox/views/{view.pk}/edit",
        {"name": "Email", "shared": "on", "channel": ["email"], "sort": "oldest"},
    )
    assert response.status_code == 302
    view.refresh_from_db()
    assert view.name == "Email" and view.shared and view.filters == {"channel": ["email"], "sort": "oldest"}
    assert numbers(page(client, f"/inbox/views/{view.pk}/")) == [tickets["urgent_email"].number]
    response = client.post(f"/inbox/views/{view.pk}/delete")
    assert response.status_code == 302 and not SavedView.objects.filter(pk=view.pk).exists()


def test_admin_may_tidy_shared_views(client: Client, admin: Agent, alice_agent: Agent) -> None:
    shared = create_saved_view(actor=alice_agent, name="Shared", filters={}, shared=True)
    private = create_saved_view(actor=alice_agent, name="Private", filters={})
    client.force_login(admin)
    assert client.get(f"/inbox/views/{private.pk}/").status_code == 404
    assert client.post(f"/inbox/views/{shared.pk}/delete").status_code == 302
    assert not SavedView.objects.filter(pk=shared.pk).exists()


def test_a_broken_saved_filter_does_not_break_the_inbox(
    client: Client, alice_agent: Agent, tickets: dict[str, Ticket]
) -> None:
    view = SavedView.objects.create(
        owner=alice_agent,
        name="Odd",
        filters={"status": ["nope", "new"], "priority": "x", "team": "abc", "sort": 5},
    )
    client.force_login(alice_agent)
    assert len(numbers(page(client, f"/inbox/views/{view.pk}/"))) == 3
    assert client.get("/inbox/counts").status_code == 200


def test_query_budget_for_a_saved_view_with_every_filter(
    client: Client,
    django_assert_max_num_queries: object,
    alice_agent: Agent,
    carol_customer: Contact,
    support_team: Team,
    acme: Organization,
) -> None:
    for i in range(60):
        open_ticket(carol_customer, f"T{i}", team=support_team, tags=["vip"], channel=Channel.EMAIL)
    create_tier(actor=None, name="Silver", rank=3)
    other = save_organization(actor=alice_agent, name="Other", tier="Silver")
    del other
    view = create_saved_view(
        actor=alice_agent,
        name="Everything",
        filters={
            "status": ["new", "open", "pending", "on_hold", "solved"],
            "priority": ["normal"],
            "kind": ["question"],
            "channel": ["email"],
            "team": "mine",
            "tag": "vip",
            "tier": acme.tier_id,
            "organization": acme.pk,
            "sort": "queue",
        },
    )
    client.force_login(alice_agent)
    with django_assert_max_num_queries(15):  # type: ignore[operator]
        html = page(client, f"/inbox/views/{view.pk}/")
    assert len(numbers(html)) == 50


def test_own_views_are_listed_before_shared_ones(
    client: Client, alice_agent: Agent, bob_other_team: Agent
) -> None:
    create_saved_view(actor=bob_other_team, name="Aardvark (Bob's)", filters={}, shared=True)
    create_saved_view(actor=alice_agent, name="Zebra (mine)", filters={})
    client.force_login(alice_agent)
    html = page(client, "/inbox/")
    assert html.index("Zebra (mine)") < html.index("Aardvark (Bob")


def test_a_built_in_view_is_the_starting_point_of_a_saved_view(
    client: Client, alice_agent: Agent, tickets: dict[str, Ticket]
) -> None:
    update_ticket(actor=alice_agent, ticket_id=tickets["chat"].pk, assignee=alice_agent)
    client.force_login(alice_agent)
    html = page(client, "/inbox/")
    url = re.search(r'id="customize-view" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert url.startswith("/inbox/filter/?") and "assignee=me" in url and "sort=queue" in url
    filtered = page(client, url)
    assert numbers(filtered) == numbers(html) == [tickets["chat"].number]
    assert 'value="me" selected' in filtered


def test_paging_and_sorting_keep_the_ad_hoc_filters(
    client: Client, alice_agent: Agent, carol_customer: Contact, support_team: Team
) -> None:
    made = [
        open_ticket(carol_customer, f"Chat {i}", team=support_team, channel=Channel.CHAT) for i in range(52)
    ]
    open_ticket(carol_customer, "Email one", team=support_team, channel=Channel.EMAIL)
    client.force_login(alice_agent)
    html = page(client, "/inbox/filter/?channel=chat&sort=newest")
    assert numbers(html)[0] == made[-1].number and len(numbers(html)) == 50
    next_url = re.search(r'id="next-page" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert "channel=chat" in next_url and "sort=newest" in next_url
    assert numbers(page(client, next_url)) == [made[1].number, made[0].number]
    oldest = re.search(r'data-sort="oldest"', html) and re.search(
        r'href="([^"]+)"[^>]*data-sort="oldest"', html
    )
    assert oldest is not None and "channel=chat" in oldest.group(1)
