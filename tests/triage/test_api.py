"""The incidents API: mark, link and unlink, list the linked tickets, send an update and follow
its progress, solve the linked tickets; read-only tokens, collaborators and invisible tickets
are refused with the one error shape."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import Api, assert_error, open_ticket, reload
from zabota.customers.models import Contact
from zabota.tickets.choices import Status
from zabota.tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def outage(carol_customer: Contact, support_team: Any) -> Ticket:
    return open_ticket(carol_customer, "Login is down", "Nobody can log in.", team=support_team)


@pytest.fixture
def other(erin_customer: Contact, support_team: Any) -> Ticket:
    return open_ticket(erin_customer, "Can't log in", "It spins.", team=support_team)


def test_the_whole_incident_through_the_api(
    alice_api: Api, outage: Ticket, other: Ticket, committed: Any
) -> None:
    r = alice_api.post(f"/tickets/{outage.pk}/incident")
    assert r.status_code == 201 and r.json()["number"] == outage.number
    r = alice_api.post(f"/tickets/{outage.pk}/incident/tickets", {"ticket_ids": [other.pk, 10**12]})
    assert r.json() == [
        {"ticket_id": other.pk, "ok": True, "code": ""},
        {"ticket_id": 10**12, "ok": False, "code": "not_found"},
    ]
    linked = alice_api.get(f"/tickets/{outage.pk}/incident/tickets").json()
    assert [(t["number"], t["requester_name"]) for t in linked] == [(other.number, "Erin Example")]
    assert alice_api.get(f"/tickets/{outage.pk}/incident").json()["linked_count"] == 1

    r = committed(alice_api.post, f"/tickets/{outage.pk}/incident/updates", {"body": "We are on it."})
    assert r.status_code == 202 and r.json()["total"] == 2
    progress = alice_api.get(f"/tickets/{outage.pk}/incident/updates").json()
    assert progress[0]["state"] == "done" and progress[0]["sent"] == 2 and progress[0]["pending"] == 0
    assert Message.objects.filter(ticket=other, body_text="We are on it.").exists()

    r = alice_api.post(f"/tickets/{outage.pk}/incident/solve-linked")
    assert r.json() == [{"ticket_id": other.pk, "ok": True, "code": ""}]
    assert reload(other).status == Status.SOLVED
    assert alice_api.delete(f"/tickets/{outage.pk}/incident/tickets/{other.pk}").status_code == 204
    assert alice_api.get(f"/tickets/{outage.pk}/incident/tickets").json() == []
    assert alice_api.delete(f"/tickets/{outage.pk}/incident").status_code == 204
    assert_error(alice_api.get(f"/tickets/{outage.pk}/incident"), 404, "not_incident")


def test_refusals(
    alice_api: Api, dave_api: Api, bob_api: Api, read_only_api: Api, outage: Ticket, security_ticket: Ticket
) -> None:
    assert_error(dave_api.post(f"/tickets/{outage.pk}/incident"), 403, "incident_not_allowed")
    assert_error(read_only_api.post(f"/tickets/{outage.pk}/incident"), 403, "token_read_only")
    assert_error(bob_api.post(f"/tickets/{security_ticket.pk}/incident"), 404)
    alice_api.post(f"/tickets/{outage.pk}/incident")
    assert_error(dave_api.post(f"/tickets/{outage.pk}/incident/updates", {"body": "x"}), 403)
    assert_error(alice_api.post(f"/tickets/{outage.pk}/incident/updates", {"body": ""}), 422)
    assert_error(alice_api.post(f"/tickets/{outage.pk}/incident/tickets", {"ticket_ids": []}), 422)
    r = alice_api.post(f"/tickets/{outage.pk}/incident/tickets", {"ticket_ids": [security_ticket.pk]})
    assert r.json()[0]["code"] == "not_found"


def test_absurd_ids_are_invalid_input(alice_api: Api, outage: Ticket) -> None:
    alice_api.post(f"/tickets/{outage.pk}/incident")
    assert_error(alice_api.post(f"/tickets/{outage.pk}/incident/tickets", {"ticket_ids": [2**70]}), 422)
