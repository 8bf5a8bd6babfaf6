"""Automatic priority: rules by tier, kind and keywords (Russian included) set a new ticket's
priority once, say why on its timeline, and never override an agent's choice."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import open_ticket, reload
from zabota.accounts.models import Agent
from zabota.core.errors import PermissionDenied, ValidationFailed
from zabota.customers.models import Contact, Tier
from zabota.tickets.actions import update_ticket
from zabota.tickets.choices import Kind, Priority
from zabota.tickets.models import Activity, Ticket
from zabota.tickets.views.timeline_text import describe
from zabota.triage.actions import save_rule
from zabota.triage.matching import matched_keywords, stems
from zabota.triage.models import PriorityRule

pytestmark = pytest.mark.django_db


@pytest.fixture
def rules(carol_customer: Contact) -> None:
    gold = Tier.objects.get(name="Gold")
    save_rule(
        actor=None, name="Outage words", priority=Priority.URGENT, keywords=["outage", "не работает", "down"]
    )
    save_rule(actor=None, name="Gold problems", priority=Priority.HIGH, tiers=[gold], kinds=[Kind.PROBLEM])
    save_rule(actor=None, name="Feedback is low", priority=Priority.LOW, kinds=[Kind.FEEDBACK])


def auto_event(ticket: Ticket) -> Activity | None:
    return Activity.objects.filter(ticket=ticket, verb="priority_auto").first()


def test_keyword_matching_is_by_whole_words_and_stems() -> None:
    text = stems("Сервис НЕ РАБОТАЮТ с утра; several outages; download is slow")
    assert matched_keywords(["не работает", "outage", "down", "работа не"], text) == ["не работает", "outage"]
    assert matched_keywords(["упал"], stems("Сайт упала вчера")) == ["упал"]
    assert matched_keywords(["ёлка"], stems("Елки")) == ["ёлка"]


def test_a_russian_keyword_makes_the_ticket_urgent_and_the_timeline_says_why(
    rules: None, carol_customer: Contact, committed: Any
) -> None:
    ticket = committed(open_ticket, carol_customer, "Ничего не работает", "Сайт не открывается с утра")
    ticket = reload(ticket)
    assert ticket.priority == Priority.URGENT
    event = auto_event(ticket)
    assert event is not None and event.actor_agent_id is None
    assert event.after["priority"] == "urgent"
    assert event.after["reasons"] == ["keyword «не работает»"]
    assert describe(event) == "Priority set to Urgent automatically: keyword «не работает»"


def test_tier_and_kind_must_both_hold(
    rules: None, carol_customer: Contact, erin_customer: Contact, committed: Any
) -> None:
    gold_problem = reload(
        committed(open_ticket, carol_customer, "Export fails", "CSV is empty", kind=Kind.PROBLEM)
    )
    gold_question = reload(committed(open_ticket, carol_customer, "How to export?", "Where is it?"))
    untiered_problem = reload(
        committed(open_ticket, erin_customer, "Export fails", "CSV is empty", kind=Kind.PROBLEM)
    )
    assert gold_problem.priority == Priority.HIGH
    assert auto_event(gold_problem).after["reasons"] == ["tier Gold", "kind problem"]  # type: ignore[union-attr]
    assert gold_question.priority == Priority.NORMAL and auto_event(gold_question) is None
    assert untiered_problem.priority == Priority.NORMAL and auto_event(untiered_problem) is None


def test_the_highest_matching_priority_wins(rules: None, carol_customer: Contact, committed: Any) -> None:
    ticket = reload(committed(open_ticket, carol_customer, "Outage", "The API is down", kind=Kind.PROBLEM))
    assert ticket.priority == Priority.URGENT
    assert auto_event(ticket).after["reasons"] == ["keyword «outage»", "keyword «down»"]  # type: ignore[union-attr]


def test_a_rule_may_lower_the_priority(rules: None, carol_customer: Contact, committed: Any) -> None:
    ticket = reload(committed(open_ticket, carol_customer, "Nice app", "Thanks!", kind=Kind.FEEDBACK))
    assert ticket.priority == Priority.LOW


def test_an_agents_override_sticks(
    rules: None, carol_customer: Contact, alice_agent: Agent, support_team: Any, committed: Any
) -> None:
    ticket = reload(committed(open_ticket, carol_customer, "Outage", "All down", team=support_team))
    assert ticket.priority == Priority.URGENT
    committed(update_ticket, actor=alice_agent, ticket_id=ticket.pk, priority=Priority.NORMAL)
    committed(
        update_ticket, actor=alice_agent, ticket_id=ticket.pk, kind=Kind.PROBLEM, subject="Outage again"
    )
    assert reload(ticket).priority == Priority.NORMAL
    assert Activity.objects.filter(ticket=ticket, verb="priority_auto").count() == 1


def test_an_agent_opening_a_ticket_with_a_priority_keeps_it(
    rules: None, carol_customer: Contact, alice_agent: Agent, committed: Any
) -> None:
    ticket = committed(
        open_ticket, carol_customer, "Outage", "Down", actor=alice_agent, priority=Priority.LOW
    )
    assert reload(ticket).priority == Priority.LOW
    assert auto_event(ticket) is None


def test_inactive_rules_do_nothing(carol_customer: Contact, committed: Any) -> None:
    save_rule(actor=None, name="Off", priority=Priority.URGENT, keywords=["outage"], is_active=False)
    assert reload(committed(open_ticket, carol_customer, "Outage", "x")).priority == Priority.NORMAL


def test_only_admins_manage_rules_and_a_rule_needs_a_condition(alice_agent: Agent, admin: Agent) -> None:
    with pytest.raises(PermissionDenied):
        save_rule(actor=alice_agent, name="Mine", priority=Priority.URGENT, keywords=["x"])
    with pytest.raises(ValidationFailed):
        save_rule(actor=admin, name="Everything", priority=Priority.URGENT)
    with pytest.raises(ValidationFailed):
        save_rule(actor=admin, name="Punctuation", priority=Priority.HIGH, keywords=["!!!"])
    rule = save_rule(actor=admin, name="Dup", priority=Priority.HIGH, keywords=[" Down ", "down", ""])
    assert rule.keywords == ["Down"]


def test_the_demo_rules_make_sense(carol_customer: Contact, erin_customer: Contact, committed: Any) -> None:
    from zabota.triage.demo import seed_demo

    seed_demo()
    seed_demo()  # safe to run again
    assert PriorityRule.objects.count() == 4
    assert (
        reload(committed(open_ticket, erin_customer, "Сайт упал", "Ничего не открывается")).priority
        == Priority.URGENT
    )
    assert (
        reload(committed(open_ticket, carol_customer, "Question", "How do I export?")).priority
        == Priority.HIGH
    )
    idea = reload(
        committed(open_ticket, erin_customer, "Idea", "Dark mode please", kind=Kind.FEATURE_REQUEST)
    )
    assert idea.priority == Priority.LOW
