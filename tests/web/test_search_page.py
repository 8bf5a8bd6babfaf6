"""The search page: highlighted snippets (English and Russian stems), filters, paging,
permission, XSS, empty queries."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.support import open_ticket
from zabota.accounts.models import Agent, Team
from zabota.core.search import query_terms
from zabota.customers.models import Contact
from zabota.tickets.actions import add_note, reply, update_ticket
from zabota.tickets.choices import Status
from zabota.tickets.highlight import highlight, passage
from zabota.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def numbers(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-nav-item data-ticket="(\d+)"', html)]


def search(client: Client, agent: Agent, query: str, **params: str) -> str:
    client.force_login(agent)
    response = client.get("/search/", {"q": query, **params})
    assert response.status_code == 200, response.content[:300]
    return response.content.decode()


def test_highlight_marks_english_and_russian_stems() -> None:
    terms = query_terms("платежи")
    html = highlight("Платёж не прошёл, два платежа и ещё платежи", terms)
    assert html == "<mark>Платёж</mark> не прошёл, два <mark>платежа</mark> и ещё <mark>платежи</mark>"
    assert highlight("He replied to the replies", query_terms("reply")) == (
        "He <mark>replied</mark> to the <mark>replies</mark>"
    )


def test_highlight_escapes_before_marking() -> None:
    html = highlight('<script>alert("x")</script> alert', query_terms("alert"))
    assert "<script>" not in html
    assert html.startswith("&lt;script&gt;<mark>alert</mark>(&quot;x&quot;)&lt;/script&gt;")


def test_passage_is_cut_around_the_first_match() -> None:
    text = "word " * 100 + "the invoice is wrong " + "filler " * 100
    html = passage(text, query_terms("invoice"))
    assert html.startswith("…") and html.endswith("…")
    assert "<mark>invoice</mark>" in html
    assert len(html) < 300


def test_results_have_highlighted_subject_and_message(
    client: Client, alice_agent: Agent, carol_customer: Contact, support_team: Team
) -> None:
    ticket = open_ticket(
        carol_customer, "Платёж не прошёл", "Два платежа списались с карты.", team=support_team
    )
    open_ticket(carol_customer, "Something else entirely", team=support_team)
    html = search(client, alice_agent, "платежи")
    assert numbers(html) == [ticket.number]
    assert "<mark>Платёж</mark> не прошёл" in html
    assert "Два <mark>платежа</mark> списались" in html
    assert "1 ticket found" in html
    assert f'href="/tickets/{ticket.number}/"' in html


def test_best_matching_message_and_notes_for_agents(
    client: Client, alice_agent: Agent, carol_customer: Contact, support_team: Team
) -> None:
    ticket = open_ticket(carol_customer, "Export broken", "The export fails.", team=support_team)
    add_note(actor=alice_agent, ticket_id=ticket.pk, body_text="Root cause: the walrus service timed out.")
    reply(actor=alice_agent, ticket_id=ticket.pk, body_text="We are on it.")
    html = search(client, alice_agent, "walrus")
    assert numbers(html) == [ticket.number]
    assert "the <mark>walrus</mark> service" in html
    assert "is-note" in html and "Internal note" in html


def test_filters_status_assignee_team_tag(
    client: Client, alice_agent: Agent, carol_customer: Contact, support_team: Team, billing_team: Team
) -> None:
    a = open_ticket(carol_customer, "Printer one", team=support_team, tags=["hardware"])
    b = open_ticket(carol_customer, "Printer two", team=billing_team)
    update_ticket(actor=alice_agent, ticket_id=b.pk, status=Status.PENDING)
    c = open_ticket(carol_customer, "Printer three", team=support_team)
    update_ticket(actor=alice_agent, ticket_id=c.pk, assignee=alice_agent)
    assert numbers(search(client, alice_agent, "printer")) == [c.number, b.number, a.number]
    assert numbers(search(client, alice_agent, "printer", status="pending")) == [b.number]
    assert numbers(search(client, alice_agent, "printer", status="unsolved")) == [
        c.number,
        b.number,
        a.number,
    ]
    assert numbers(search(client, alice_agent, "printer", assignee="me")) == [c.number]
    assert numbers(search(client, alice_agent, "printer", assignee="unassigned")) == [b.number, a.number]
    assert numbers(search(client, alice_agent, "printer", team=str(billing_team.pk))) == [b.number]
    assert numbers(search(client, alice_agent, "printer", team="mine")) == [c.number, a.number]
    assert numbers(search(client, alice_agent, "printer", tag="Hardware")) == [a.number]
    html = search(client, alice_agent, "printer", status="closed")
    assert numbers(html) == [] and "with these filters" in html
    assert "0 tickets found" in html


def test_relevance_sort(
    client: Client, alice_agent: Agent, carol_customer: Contact, support_team: Team
) -> None:
    once = open_ticket(carol_customer, "Walrus", "Something else.", team=support_team)
    many = open_ticket(carol_customer, "Walrus walrus", "walrus walrus walrus", team=support_team)
    assert set(numbers(search(client, alice_agent, "walrus", sort="relevance"))) == {once.number, many.number}


def test_restricted_ticket_not_found_by_outsiders(
    client: Client, bob_other_team: Agent, sam_security: Agent, security_ticket: Ticket
) -> None:
    html = search(client, bob_other_team, "suspicious")
    assert numbers(html) == [] and "Suspicious" not in html and "0 tickets found" in html
    assert numbers(search(client, sam_security, "suspicious")) == [security_ticket.number]


def test_script_in_subject_and_body_is_escaped(
    client: Client, alice_agent: Agent, carol_customer: Contact, support_team: Team
) -> None:
    open_ticket(
        carol_customer, "<script>alert(1)</script>", "<img src=x onerror=alert(2)> alert", team=support_team
    )
    html = search(client, alice_agent, "alert")
    assert "<script>alert" not in html
    assert "&lt;script&gt;<mark>alert</mark>(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=<mark>alert</mark>(2)&gt;" in html


@pytest.mark.parametrize("query", ["", "   ", "?! ..."])
def test_empty_query_shows_a_hint(client: Client, alice_agent: Agent, query: str) -> None:
    html = search(client, alice_agent, query)
    assert 'id="search-hint"' in html and 'id="search-form"' in html


def test_paging(client: Client, alice_agent: Agent, carol_customer: Contact, support_team: Team) -> None:
    created = [open_ticket(carol_customer, f"Capybara {i}", team=support_team) for i in range(27)]
    html = search(client, alice_agent, "capybara")
    assert len(numbers(html)) == 25
    next_url = re.search(r'id="search-next-page" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    html2 = client.get(next_url).content.decode()
    assert numbers(html2) == [created[1].number, created[0].number]
    assert client.get("/search/?q=capybara&cursor=junk").status_code == 200


def test_htmx_gets_only_the_results(client: Client, alice_agent: Agent, support_ticket: Ticket) -> None:
    client.force_login(alice_agent)
    response = client.get("/search/?q=login", headers={"HX-Request": "true", "HX-Target": "search-results"})
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="search-results"') and "<html" not in html
    assert numbers(html) == [support_ticket.number]


def test_anonymous_is_sent_to_login(client: Client) -> None:
    response = client.get("/search/?q=x")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_words_with_underscores_are_found_not_an_error(
    client: Client, alice_agent: Agent, carol_customer: Contact, support_team: Team
) -> None:
    ticket = open_ticket(carol_customer, "Error in passage_kind field", team=support_team)
    assert numbers(search(client, alice_agent, "passage_kind")) == [ticket.number]
    assert numbers(search(client, alice_agent, "__")) == []
