"""Full-text search over tickets: word forms in Russian and English, scope, order, paging."""

from __future__ import annotations

import pytest
from django.db import transaction

from tests.support import assert_error, open_ticket
from zabota.core.errors import ValidationFailed
from zabota.tickets import queries
from zabota.tickets.actions import add_note, merge_tickets, reply, update_ticket
from zabota.tickets.queries import search_tickets

pytestmark = pytest.mark.django_db


def row_ids(items):
    """Ids of result rows (plain rows or tickets)."""
    return [row["id"] if isinstance(row, dict) else row.pk for row in items]


def found(actor, query, **kwargs):
    return row_ids(search_tickets(actor, query, **kwargs).items)


def all_pages(actor, query, *, limit, sort="newest"):
    ids, cursor, pages = [], None, 0
    while True:
        result = search_tickets(actor, query, cursor=cursor, limit=limit, sort=sort)
        ids += row_ids(result.items)
        pages += 1
        cursor = result.next_cursor
        if cursor is None:
            return ids, pages
        assert pages < 50, "paging does not end"


def test_a_russian_word_is_found_in_another_form(alice_agent, carol_customer):
    ticket = open_ticket(carol_customer, "Очередь", "Сколько тикетов у нас в очереди?")
    open_ticket(carol_customer, "Другое", "Принтер не печатает")

    assert found(alice_agent, "тикеты") == [ticket.pk]
    assert found(alice_agent, "ТИКЕТ") == [ticket.pk]
    assert found(alice_agent, "очередью") == [ticket.pk]


def test_an_english_word_is_found_in_another_form(alice_agent, carol_customer):
    ticket = open_ticket(carol_customer, "Slow support", "Your replies take days.")
    open_ticket(carol_customer, "Other", "The printer does not print")

    assert found(alice_agent, "reply") == [ticket.pk]
    assert found(alice_agent, "Replied") == [ticket.pk]


def test_every_word_of_the_query_must_match(alice_agent, carol_customer):
    both = open_ticket(carol_customer, "Invoice", "The invoice total is wrong")
    open_ticket(carol_customer, "Invoice", "Please send the invoice again")

    assert found(alice_agent, "wrong invoices") == [both.pk]


def test_the_requesters_name_and_email_are_searchable(alice_agent, carol_customer, erin_customer):
    carols = open_ticket(carol_customer, "Help", "Something broke")
    erins = open_ticket(erin_customer, "Help", "Something broke")

    assert found(alice_agent, "Carol") == [carols.pk]
    assert found(alice_agent, "carol@acme.test") == [carols.pk]
    assert found(alice_agent, "erin@globex.test") == [erins.pk]


def test_agents_find_words_of_internal_notes(alice_agent, support_ticket):
    add_note(actor=alice_agent, ticket_id=support_ticket.pk, body_text="Escalated to the frobnicator team")

    assert found(alice_agent, "frobnicator") == [support_ticket.pk]


def test_a_reply_is_searchable_within_the_same_transaction(alice_agent, carol_customer, support_ticket):
    with transaction.atomic():
        reply(
            actor=carol_customer,
            ticket_id=support_ticket.pk,
            body_text="Here is the screenshot of the kaleidoscope",
        )
        assert found(alice_agent, "kaleidoscope") == [support_ticket.pk]


def test_a_new_subject_replaces_the_old_one_in_the_index(alice_agent, support_ticket):
    with transaction.atomic():
        update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, subject="Password reset email missing")
        assert found(alice_agent, "password reset") == [support_ticket.pk]
        assert found(alice_agent, "Cannot log") == []  # neither "cannot" nor "log" in the body


def test_after_a_merge_the_duplicates_words_find_the_kept_ticket(alice_agent, carol_customer, support_ticket):
    duplicate = open_ticket(carol_customer, "Again", "My zeppelin login does not work")

    with transaction.atomic():
        merge_tickets(actor=alice_agent, source_id=duplicate.pk, target_id=support_ticket.pk)
        assert found(alice_agent, "zeppelin") == [support_ticket.pk]


def test_bob_cannot_find_security_tickets_but_sam_and_the_admin_can(
    admin, bob_other_team, sam_security, security_ticket, billing_ticket
):
    assert found(bob_other_team, "suspicious login") == []
    assert found(sam_security, "suspicious login") == [security_ticket.pk]
    assert found(admin, "suspicious login") == [security_ticket.pk]
    result = search_tickets(bob_other_team, "suspicious login")
    assert (result.total, result.total_is_capped) == (0, False)


def test_a_collaborator_finds_only_tickets_of_his_teams(
    alice_agent, dave_collaborator, support_ticket, billing_ticket
):
    reply(actor=alice_agent, ticket_id=support_ticket.pk, body_text="Checking the quokka service")
    reply(actor=alice_agent, ticket_id=billing_ticket.pk, body_text="Checking the quokka service")

    assert found(dave_collaborator, "quokka") == [support_ticket.pk]
    assert sorted(found(alice_agent, "quokka")) == sorted([support_ticket.pk, billing_ticket.pk])


def test_newest_first(alice_agent, carol_customer):
    tickets = [open_ticket(carol_customer, f"Wombat {i}", "wombat sighting") for i in range(4)]

    assert found(alice_agent, "wombat") == [t.pk for t in reversed(tickets)]


@pytest.mark.parametrize("limit", [1, 2, 3, 7])
def test_paging_lists_every_match_once(alice_agent, carol_customer, limit):
    tickets = [open_ticket(carol_customer, f"Platypus {i}", "platypus") for i in range(7)]

    ids, pages = all_pages(alice_agent, "platypus", limit=limit)

    assert ids == [t.pk for t in reversed(tickets)]
    assert pages == -(-7 // limit)


def test_paging_skips_what_the_agent_may_not_see_without_gaps(
    bob_other_team, carol_customer, erin_customer, support_team, security_team
):
    visible = []
    for i in range(9):
        if i % 3 == 0:
            open_ticket(erin_customer, f"Breach {i}", "walrus", team=security_team)
        else:
            visible.append(open_ticket(carol_customer, f"Walrus {i}", "walrus", team=support_team))

    ids, _ = all_pages(bob_other_team, "walrus", limit=2)

    assert ids == [t.pk for t in reversed(visible)]
    assert search_tickets(bob_other_team, "walrus").total == len(visible)


def test_relevance_puts_the_most_relevant_ticket_first(alice_agent, carol_customer):
    strong = open_ticket(carol_customer, "Lemur lemur", "lemur lemur lemur")
    weak = open_ticket(
        carol_customer,
        "Weekly report",
        "A long message about many things, and a lemur is mentioned once in passing.",
    )

    assert found(alice_agent, "lemur") == [weak.pk, strong.pk]
    assert found(alice_agent, "lemur", sort="relevance") == [strong.pk, weak.pk]


def test_relevance_paging_lists_every_match_once(alice_agent, carol_customer):
    tickets = [open_ticket(carol_customer, f"Otter {i}", "otter " * (i + 1)) for i in range(5)]

    ids, _ = all_pages(alice_agent, "otter", limit=2, sort="relevance")

    assert sorted(ids) == sorted(t.pk for t in tickets)
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("who", ["admin", "alice_agent"])
def test_the_total_is_capped_for_very_common_words(request, carol_customer, monkeypatch, who):
    actor = request.getfixturevalue(who)
    monkeypatch.setattr(queries.search, "COUNT_CAP", 3)
    for i in range(5):
        open_ticket(carol_customer, f"Capybara {i}", "capybara")
    open_ticket(carol_customer, "Rare", "narwhal narwhal")

    common = search_tickets(actor, "capybara", limit=2)
    assert (common.total, common.total_is_capped) == (3, True)  # shown as "3+"
    assert len(common.items) == 2

    rare = search_tickets(actor, "narwhal")
    assert (rare.total, rare.total_is_capped) == (1, False)


def test_a_query_without_words_is_refused(alice_agent):
    with pytest.raises(ValidationFailed):
        search_tickets(alice_agent, "?! ... --")


def test_the_search_endpoint(alice_api, support_ticket):
    response = alice_api.get("/search", {"q": "password wrong"})

    assert response.status_code == 200
    body = response.json()
    assert [row["id"] for row in body["items"]] == [support_ticket.pk]
    assert body["items"][0]["requester"]["name"] == "Carol Customer"
    assert (body["total"], body["total_is_capped"], body["next_cursor"]) == (1, False, None)

    assert_error(alice_api.get("/search", {"q": "!!!"}), 422, "invalid")
    assert_error(alice_api.get("/search", {"q": "password", "sort": "random"}), 422, "invalid")
    assert_error(alice_api.get("/search", {"q": "password", "cursor": "not-a-cursor"}), 422, "invalid")


def test_search_ignores_search_syntax_in_the_query(alice_agent, support_ticket):
    # FTS5 and tsquery operators are plain words to the user.
    assert found(alice_agent, 'password OR "wrong" NEAR(login) AND NOT*') == []
    assert found(alice_agent, "password* wrong^") == [support_ticket.pk]


def test_a_ticket_number_finds_that_ticket_first_but_only_for_those_who_may_see_it(
    alice_agent, bob_other_team, sam_security, security_ticket, carol_customer
):
    """Agents paste "#262" from an email or a chat: the search box and the incident's "add
    affected tickets" box find the ticket itself (and, for a bare number, any ticket with the
    word too)."""
    printer = open_ticket(carol_customer, "Printer jam")
    mention = open_ticket(carol_customer, f"Same as {printer.number}", "See the other ticket.")
    assert found(alice_agent, f"#{printer.number}") == [printer.pk]
    assert found(alice_agent, str(printer.number)) == [printer.pk, mention.pk]
    assert search_tickets(alice_agent, f"#{printer.number}").total == 1
    # A number never reveals a ticket the agent may not see.
    assert found(bob_other_team, f"#{security_ticket.number}") == []
    assert found(sam_security, f"#{security_ticket.number}") == [security_ticket.pk]
    assert found(alice_agent, "#999999999") == []
