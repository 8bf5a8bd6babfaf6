"""Changing a ticket's fields with ``update_ticket``: one activity row per changed field."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support import reload
from zabota.core import clock
from zabota.core.errors import NotFound, PermissionDenied, ValidationFailed
from zabota.customers.actions import create_project
from zabota.tickets.actions import update_ticket
from zabota.tickets.choices import Kind, Priority
from zabota.tickets.models import CustomFieldDefinition

pytestmark = pytest.mark.django_db


def changed_fields(ticket):
    return [(a.field, a.before, a.after) for a in ticket.activity.filter(verb="changed")]


def test_alice_raises_the_priority_and_the_timeline_says_so(alice_agent, support_ticket):
    before = support_ticket.updated_at

    update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, priority=Priority.URGENT)

    ticket = reload(support_ticket)
    assert ticket.priority == Priority.URGENT
    assert ticket.updated_at > before
    assert changed_fields(ticket) == [("priority", "normal", "urgent")]


def test_several_fields_in_one_call_give_one_row_each(alice_agent, support_ticket):
    update_ticket(
        actor=alice_agent,
        ticket_id=support_ticket.pk,
        subject="Cannot log in with SSO",
        kind=Kind.PROBLEM,
        priority=Priority.HIGH,
    )

    assert sorted(changed_fields(reload(support_ticket))) == [
        ("kind", "question", "problem"),
        ("priority", "normal", "high"),
        ("subject", "Cannot log in", "Cannot log in with SSO"),
    ]


def test_an_update_that_changes_nothing_leaves_no_trace(alice_agent, support_ticket):
    before = support_ticket.updated_at

    update_ticket(
        actor=alice_agent, ticket_id=support_ticket.pk, priority=Priority.NORMAL, kind=Kind.QUESTION
    )

    ticket = reload(support_ticket)
    assert changed_fields(ticket) == []
    assert ticket.updated_at == before


def test_tags_can_be_replaced_added_and_removed(alice_agent, support_ticket):
    update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, tags=["login", "sso"])
    update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, add_tags=["VIP"], remove_tags=["sso"])

    ticket = reload(support_ticket)
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["login", "vip"]
    assert changed_fields(ticket) == [
        ("tags", [], ["login", "sso"]),
        ("tags", ["login", "sso"], ["login", "vip"]),
    ]


def test_custom_fields_are_merged_and_a_null_removes_one(alice_agent, support_ticket):
    CustomFieldDefinition.objects.create(key="seats", label="Seats", type="integer")
    CustomFieldDefinition.objects.create(key="renewal", label="Renewal", type="date")

    update_ticket(
        actor=alice_agent, ticket_id=support_ticket.pk, custom_fields={"seats": 5, "renewal": "2030-01-31"}
    )
    update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, custom_fields={"seats": None})

    assert reload(support_ticket).custom_fields == {"renewal": "2030-01-31"}


def test_a_bad_custom_field_value_names_the_field(alice_agent, support_ticket):
    CustomFieldDefinition.objects.create(key="renewal", label="Renewal", type="date")

    with pytest.raises(ValidationFailed) as exc:
        update_ticket(
            actor=alice_agent, ticket_id=support_ticket.pk, custom_fields={"renewal": "next spring"}
        )

    assert exc.value.fields == {"custom_fields.renewal": "must be a date YYYY-MM-DD"}


def test_snoozing_and_waking(alice_agent, support_ticket):
    until = clock.now() + timedelta(days=2)

    update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, snoozed_until=until)
    assert reload(support_ticket).snoozed_until == until

    update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, snoozed_until=None)
    assert reload(support_ticket).snoozed_until is None
    assert [f for f, _, _ in changed_fields(reload(support_ticket))] == ["snoozed_until", "snoozed_until"]


def test_the_project_must_belong_to_the_tickets_organization(
    admin, alice_agent, support_ticket, acme, globex
):
    acme_project = create_project(actor=admin, organization=acme, name="Website")
    globex_project = create_project(actor=admin, organization=globex, name="Rocket")

    update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, project=acme_project)
    assert reload(support_ticket).project == acme_project

    with pytest.raises(ValidationFailed):
        update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, project=globex_project)
    assert reload(support_ticket).project == acme_project


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"subject": " "}, "subject"), ({"priority": 9}, "priority"), ({"kind": "rant"}, "kind")],
    ids=["blank-subject", "unknown-priority", "unknown-kind"],
)
def test_invalid_values_are_refused(alice_agent, support_ticket, kwargs, field):
    with pytest.raises(ValidationFailed) as exc:
        update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, **kwargs)

    assert field in exc.value.fields


def test_dave_the_collaborator_cannot_change_fields(dave_collaborator, support_ticket):
    with pytest.raises(PermissionDenied) as exc:
        update_ticket(actor=dave_collaborator, ticket_id=support_ticket.pk, priority=Priority.URGENT)

    assert exc.value.code == "read_only"
    assert reload(support_ticket).priority == Priority.NORMAL


def test_carol_cannot_change_fields_of_her_own_ticket(carol_customer, support_ticket):
    with pytest.raises(PermissionDenied):
        update_ticket(actor=carol_customer, ticket_id=support_ticket.pk, priority=Priority.URGENT)


def test_bob_cannot_touch_a_security_ticket(bob_other_team, security_ticket):
    with pytest.raises(NotFound):
        update_ticket(actor=bob_other_team, ticket_id=security_ticket.pk, priority=Priority.LOW)
