"""Seed the browser tests' own database through the actions, then print the cast as JSON.

Run by tests/browser/conftest.py after `zabota migrate`, in a fresh process with
DJANGO_SETTINGS_MODULE set and the server's environment (its database, its var/ directory):

    .venv/bin/python tests/browser/seed.py

The cast follows tests/conftest.py: admin, alice (Support), bob (Billing), sam (restricted team
Security), dave (a collaborator on Support), carol (contact of Acme, tier Gold) with a ticket in
the inbox "Acme Support" (portal slug "acme"), erin (Globex). Every agent gets the same random
password and an API token, so tests can arrange data through the HTTP API and observe the
result in the browser.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zabota.config.settings")

import django  # noqa: E402

django.setup()

from zabota.accounts.actions import create_or_update_agent, create_team, create_token  # noqa: E402
from zabota.accounts.models import Agent, Role, Team  # noqa: E402
from zabota.customers.actions import create_tier, save_contact, save_organization  # noqa: E402
from zabota.tickets.actions import add_note, create_ticket  # noqa: E402
from zabota.tickets.actions.config import save_inbox  # noqa: E402
from zabota.tickets.models import Inbox  # noqa: E402


def agent(email: str, role: str, name: str, password: str) -> Agent:
    a, _ = create_or_update_agent(email=email, role=role, name=name, password=password)
    return a


def make_inbox(actor: Agent, team: Team) -> Inbox:
    """The branded portal inbox, through the settings pages' writer."""
    return save_inbox(
        actor=actor,
        name="Acme Support",
        slug="acme",
        email="support@acme.test",
        color="#0f766e",
        portal_greeting="Welcome to Acme Support.",
        default_team=team,
    )


def main() -> None:
    password = "e2e-" + secrets.token_urlsafe(12)
    admin = agent("admin@zabota.test", Role.ADMIN, "Ada Admin", password)
    alice = agent("alice@zabota.test", Role.AGENT, "Alice Agent", password)
    bob = agent("bob@zabota.test", Role.AGENT, "Bob Billing", password)
    sam = agent("sam@zabota.test", Role.AGENT, "Sam Security", password)
    dave = agent("dave@zabota.test", Role.COLLABORATOR, "Dave Developer", password)
    support = create_team(name="Support", members=[alice, dave])
    billing = create_team(name="Billing", members=[bob])
    security = create_team(name="Security", restricted=True, members=[sam])

    create_tier(actor=None, name="Gold", rank=2, color="#d4af37")
    acme = save_organization(actor=admin, name="Acme", tier="Gold", domains=["acme.test"])
    globex = save_organization(actor=admin, name="Globex", domains=["globex.test"])
    carol = save_contact(
        actor=None, name="Carol Customer", emails=["carol@acme.test"], organization_id=acme.pk
    )
    erin = save_contact(
        actor=None, name="Erin Example", emails=["erin@globex.test"], organization_id=globex.pk
    )

    inbox = make_inbox(admin, support)
    carol_ticket = create_ticket(
        actor=carol,
        requester=carol,
        subject="Cannot log in",
        body_text="The login page says my password is wrong.",
        channel="portal",
        inbox=inbox,
        team=support,
    )
    add_note(actor=alice, ticket_id=carol_ticket.pk, body_text="NOTE-CANARY-7f3a: check the SSO logs first.")
    erin_ticket = create_ticket(
        actor=erin,
        requester=erin,
        subject="Invoice is wrong",
        body_text="We were charged twice in March.",
        channel="email",
        team=billing,
    )
    security_ticket = create_ticket(
        actor=erin,
        requester=erin,
        subject="Suspicious login from abroad",
        body_text="Someone logged in from an unknown country.",
        channel="email",
        team=security,
    )
    tokens = {a.email.split("@")[0]: create_token(agent=a, name="e2e")[1] for a in (admin, alice, bob)}
    cast = {
        "password": password,
        "agents": {
            a.email.split("@")[0]: {"id": a.pk, "email": a.email, "name": a.name}
            for a in (admin, alice, bob, sam, dave)
        },
        "tokens": tokens,
        "teams": {"support": support.pk, "billing": billing.pk, "security": security.pk},
        "contacts": {
            "carol": {"id": carol.pk, "email": "carol@acme.test", "name": carol.name},
            "erin": {"id": erin.pk, "email": "erin@globex.test", "name": erin.name},
        },
        "organizations": {"acme": acme.pk, "globex": globex.pk},
        "inbox": {"id": inbox.pk, "slug": inbox.slug, "name": inbox.name},
        "tickets": {
            "carol": {"id": carol_ticket.pk, "number": carol_ticket.number},
            "erin": {"id": erin_ticket.pk, "number": erin_ticket.number},
            "security": {"id": security_ticket.pk, "number": security_ticket.number},
        },
        "note_canary": "NOTE-CANARY-7f3a",
    }
    print(json.dumps(cast))


if __name__ == "__main__":
    main()
