"""The inbox page: built-in views, columns, sorting, paging, permission, query budget."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client

from tests.support import make_agent, open_ticket
from zabota.accounts.models import Agent, Team
from zabota.core import clock
from zabota.customers.models import Contact
from zabota.tickets.actions import reply, update_ticket
from zabota.tickets.choices import Priority, Status
from zabota.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def numbers(html: str) -> list[int]:
    """Ticket numbers of the list's rows, in order."""
    return [int(n) for n in re.findall(r'data-nav-item data-ticket="(\d+)"', html)]


def get(client: Client, agent: Agent, url: str, **headers: str) -> str:
    client.force_login(agent)
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def test_anonymous_visitor_goes_to_login(client: Client) -> None:
    response = client.get("/inbox/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_mine_lists_my_unsolved_tickets(
    client: Client, alice_agent: Agent, carol_customer: Contact, support_team: Team
) -> None:
    mine = open_ticket(carol_customer, "Printer jam", team=support_team)
    update_ticket(actor=alice_agent, ticket_id=mine.pk, assignee=alice_agent)
    other = open_ticket(carol_customer, "Someone else's", team=support_team)
    solved = open_ticket(carol_customer, "Done already", team=support_team)
    update_ticket(actor=alice_agent, ticket_id=solved.pk, assignee=alice_agent, status=Status.SOLVED)

    html = get(client, alice_agent, "/inbox/")
    assert numbers(html) == [mine.number]
    assert "Printer jam" in html and "Someone else" not in html
    assert numbers(get(client, alice_agent, "/inbox/unassigned/")) == [other.number]
    assert numbers(get(client, alice_agent, "/inbox/solved/")) == [solved.number]


def test_columns_show_priority_subject_snippet_requester_tier_assignee_status(
    client: Client, alice_agent: Agent, carol_customer: Contact, support_team: Team
) -> None:
    ticket = open_ticket(carol_customer, "Cannot export", "First words of the customer.", team=support_team)
    update_ticket(actor=alice_agent, ticket_id=ticket.pk, assignee=alice_agent, priority=Priority.URGENT)
    reply(actor=alice_agent, ticket_id=ticket.pk, body_text="We are looking at the export now. " * 10)

    html = get(client, alice_agent, "/inbox/")
    row = html[html.index(f'data-ticket="{ticket.number}"') :]
    row = row[: row.index("</tr>")]
    assert "Urgent" in row and "priority-urgent" in row
    assert f'href="/tickets/{ticket.number}/"' in row and "data-nav-open" in row
    # The snippet is the latest public message, cut to about 120 characters.
    snippet = re.search(r'<div class="snippet">(.*?)</div>', row, re.S).group(1)
    assert snippet.startswith("We are looking at the export now.") and len(snippet) <= 121
    assert "Carol Customer" in row and "Acme" in row
    assert 'class="tier-badge" data-tier-color="#d4af37">Gold<' in row
    assert "Alice Agent" in row and "Open" in row
    assert f'name="ticket" value="{ticket.pk}"' in row


def test_built_in_views(
    client: Client,
    alice_agent: Agent,
    bob_other_team: Agent,
    carol_customer: Contact,
    support_team: Team,
    billing_team: Team,
) -> None:
    support = open_ticket(carol_customer, "Support one", team=support_team)
    billing = open_ticket(carol_customer, "Billing one", team=billing_team)
    pending = open_ticket(carol_customer, "Waiting on customer", team=support_team)
    update_ticket(actor=alice_agent, ticket_id=pending.pk, status=Status.PENDING)
    held = open_ticket(carol_customer, "Waiting on devs", team=support_team)
    update_ticket(actor=alice_agent, ticket_id=held.pk, status=Status.ON_HOLD)
    old_solved = open_ticket(carol_customer, "Solved long ago", team=support_team)
    update_ticket(actor=alice_agent, ticket_id=old_solved.pk, status=Status.SOLVED)
    Ticket.objects.filter(pk=old_solved.pk).update(
        solved_at=clock.now() - timedelta(days=8), updated_at=clock.now() - timedelta(days=8)
    )

    assert set(numbers(get(client, alice_agent, "/inbox/teams/"))) == {support.number}
    assert set(numbers(get(client, bob_other_team, "/inbox/teams/"))) == {billing.number}
    assert set(numbers(get(client, alice_agent, "/inbox/open/"))) == {support.number, billing.number}
    assert numbers(get(client, alice_agent, "/inbox/pending/")) == [pending.number]
    assert numbers(get(client, alice_agent, "/inbox/on-hold/")) == [held.number]
    assert numbers(get(client, alice_agent, "/inbox/solved/")) == []
    client.force_login(alice_agent)
    assert client.get("/inbox/nonsense/").status_code == 404


def test_agent_without_teams_has_an_empty_my_teams(
    client: Client, carol_customer: Contact, support_team: Team
) -> None:
    loner = make_agent("loner@zabota.test", name="Lone Agent")
    open_ticket(carol_customer, "Support one", team=support_team)
    open_ticket(carol_customer, "No team at all")
    html = get(client, loner, "/inbox/teams/")
    assert numbers(html) == [] and 'id="inbox-empty"' in html


def test_restricted_tickets_never_listed_for_outsiders(
    client: Client,
    bob_other_team: Agent,
    sam_security: Agent,
    security_ticket: Ticket,
    billing_ticket: Ticket,
) -> None:
    html = get(client, bob_other_team, "/inbox/open/")
    assert security_ticket.number not in numbers(html)
    assert "Suspicious login" not in html
    assert security_ticket.number in numbers(get(client, sam_security, "/inbox/open/"))


def test_collaborator_sees_only_their_teams_and_followed_tickets(
    client: Client, dave_collaborator: Agent, support_ticket: Ticket, billing_ticket: Ticket
) -> None:
    html = get(client, dave_collaborator, "/inbox/open/")
    assert numbers(html) == [support_ticket.number]
    assert 'id="bulk-bar"' not in html  # a collaborator cannot change fields


def test_sort_by_priority_and_newest_and_updated(
    client: Client, alice_agent: Agent, carol_customer: Contact, support_team: Team
) -> None:
    low = open_ticket(carol_customer, "Low one", team=support_team, priority=Priority.LOW)
    urgent = open_ticket(carol_customer, "Urgent one", team=support_team, priority=Priority.URGENT)
    normal = open_ticket(carol_customer, "Normal one", team=support_team)
    assert numbers(get(client, alice_agent, "/inbox/open/")) == [urgent.number, normal.number, low.number]
    assert numbers(get(client, alice_agent, "/inbox/open/?sort=newest")) == [
        normal.number,
        urgent.number,
        low.number,
    ]
    assert numbers(get(client, alice_agent, "/inbox/open/?sort=oldest")) == [
        low.number,
        urgent.number,
        normal.number,
    ]
    update_ticket(actor=alice_agent, ticket_id=low.pk, kind="problem")
    assert numbers(get(client, alice_agent, "/inbox/open/?sort=updated"))[0] == low.number
    # An unknown sort falls back to the view's default instead of an error.
    assert numbers(get(client, alice_agent, "/inbox/open/?sort=bogus"))[0] == urgent.number


def test_cursor_paging_fifty_a_page(
    client: Client, alice_agent: Agent, carol_customer: Contact, support_team: Team
) -> None:
    created = [open_ticket(carol_customer, f"Ticket {i}", team=support_team) for i in range(53)]
    html = get(client, alice_agent, "/inbox/open/?sort=newest")
    first = numbers(html)
    assert len(first) == 50 and first[0] == created[-1].number
    next_url = re.search(r'id="next-page" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert "sort=newest" in next_url
    html2 = get(client, alice_agent, next_url)
    assert numbers(html2) == [t.number for t in reversed(created[:3])]
    assert 'id="next-page"' not in html2 and 'id="first-page"' in html2
    # A tampered cursor shows the first page, not an error.
    assert numbers(get(client, alice_agent, "/inbox/open/?cursor=garbage"))[0] == created[0].number


def test_htmx_refresh_returns_only_the_list(
    client: Client, alice_agent: Agent, support_ticket: Ticket
) -> None:
    html = get(
        client,
        alice_agent,
        "/inbox/open/?sort=newest",
        **{"HX-Request": "true", "HX-Target": "inbox-results"},
    )
    assert html.lstrip().startswith('<div id="inbox-results"')
    assert "<html" not in html
    assert 'hx-trigger="live-inbox from:body"' in html
    assert 'hx-get="/inbox/open/?sort=newest"' in html
    assert numbers(html) == [support_ticket.number]


def test_page_wires_live_counts_and_keyboard_list(
    client: Client, alice_agent: Agent, support_ticket: Ticket
) -> None:
    html = get(client, alice_agent, "/inbox/open/")
    assert 'hx-get="/inbox/counts?current=open"' in html
    assert 'hx-trigger="load, live-inbox from:body, every 60s"' in html
    assert "data-nav-list" in html
    assert "data-live-inbox" in html  # the live layer watches the inbox on this page
    assert 'aria-current="page"' in html


def test_subject_and_names_are_escaped(
    client: Client, alice_agent: Agent, carol_customer: Contact, support_team: Team
) -> None:
    open_ticket(
        carol_customer, "<script>alert(1)</script>", "<img src=x onerror=alert(2)>", team=support_team
    )
    html = get(client, alice_agent, "/inbox/open/")
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html


@pytest.mark.parametrize("how_many", [5, 60])
@pytest.mark.parametrize("view", ["", "unassigned/", "teams/", "open/", "pending/", "on-hold/", "solved/"])
def test_query_budget(
    client: Client,
    django_assert_max_num_queries: object,
    alice_agent: Agent,
    carol_customer: Contact,
    support_team: Team,
    how_many: int,
    view: str,
) -> None:
    for i in range(how_many):
        t = open_ticket(carol_customer, f"Ticket {i}", team=support_team, tags=["vip"])
        if i % 2:
            update_ticket(actor=alice_agent, ticket_id=t.pk, assignee=alice_agent)
        if i % 3 == 0:
            reply(actor=alice_agent, ticket_id=t.pk, body_text=f"Reply {i}")
    client.force_login(alice_agent)
    with django_assert_max_num_queries(15):  # type: ignore[operator]
        response = client.get(f"/inbox/{view}")
    assert response.status_code == 200
