"""Helpers for tests: opening tickets through the action, a JSON API client, the error shape."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from zabota.accounts.actions import create_or_update_agent
from zabota.accounts.models import Agent, Role
from zabota.customers.models import Contact
from zabota.tickets.actions import create_ticket
from zabota.tickets.models import Ticket

API = "/api/v1"


def make_agent(
    email: str, role: str = Role.AGENT, *, name: str = "", can_reply_publicly: bool = False
) -> Agent:
    agent, _ = create_or_update_agent(
        email=email, role=role, name=name, can_reply_publicly=can_reply_publicly
    )
    return agent


def fresh(agent: Agent) -> Agent:
    """A new instance of ``agent``: queries cache team membership on the instance."""
    return Agent.objects.get(pk=agent.pk)


def open_ticket(
    requester: Contact,
    subject: str = "The printer is on fire",
    body: str = "Smoke everywhere, please help.",
    *,
    actor: Agent | Contact | None = None,
    **kwargs: Any,
) -> Ticket:
    """Open a ticket the way the product does; by default the customer writes in themselves."""
    return create_ticket(
        actor=requester if actor is None else actor,
        requester=requester,
        subject=subject,
        body_text=body,
        **kwargs,
    )


def reload(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


class Api:
    """A JSON client for /api/v1 that sends ``Authorization: Bearer <token>`` when it has one."""

    def __init__(self, token: str | None = None):
        headers = {"authorization": f"Bearer {token}"} if token else {}
        self.token = token
        self.client = Client(headers=headers)

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.client.get(API + path, params or {})

    def request(self, method: str, path: str, body: Any = None) -> Any:
        data = "" if body is None else json.dumps(body)
        return self.client.generic(method, API + path, data=data, content_type="application/json")

    def post(self, path: str, body: Any = None) -> Any:
        return self.request("POST", path, {} if body is None else body)

    def patch(self, path: str, body: Any = None) -> Any:
        return self.request("PATCH", path, {} if body is None else body)

    def put(self, path: str, body: Any = None) -> Any:
        return self.request("PUT", path, {} if body is None else body)

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path)


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The one error shape: ``{"error": {"code", "message", "fields"}}``."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}, error
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["fields"], dict)
    if code is not None:
        assert error["code"] == code, error
    return error
