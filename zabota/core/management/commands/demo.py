"""zabota demo: a demo workspace on first start (agents, teams, tiered organizations, tickets).

Idempotent with --if-empty: does nothing when tickets already exist, and in every case prints
how to log in. The admin's generated password is kept in var/demo-login.txt (mode 600).
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from benchmarks.generate import generate
from zabota.accounts.actions import create_or_update_agent, create_team, create_token
from zabota.accounts.models import Agent, ApiToken
from zabota.channels.email.actions import save_mailbox
from zabota.customers.actions import find_or_create_contact
from zabota.rotas import demo as rotas_demo
from zabota.routing.actions.config import save_agent_routing, save_team_routing
from zabota.sla import demo as sla_demo
from zabota.tickets.actions import add_note, create_ticket, reply
from zabota.tickets.actions.config import save_inbox
from zabota.tickets.models import Ticket
from zabota.triage import demo as triage_demo

ADMIN_EMAIL = "admin@zabota.local"
DEMO_MAILBOX = "support@demo.zabota.local"


def _freshen_open_tickets(seed: int = 7) -> None:
    """The generator spreads tickets over two years; a demo inbox whose open tickets are all
    hundreds of days overdue shows nothing of SLA clocks. Move each unsolved ticket (with its
    messages and activity) so that it was opened in the last three days. Demo data only: bulk
    writes on purpose, like the generator's."""
    import random
    from datetime import timedelta

    from django.db import transaction
    from django.db.models import F

    from zabota.core import clock
    from zabota.tickets.choices import UNSOLVED
    from zabota.tickets.models import Activity, Message

    rng = random.Random(seed)
    now = clock.now()
    with transaction.atomic():
        for ticket_id, created_at in Ticket.objects.filter(status__in=UNSOLVED).values_list(
            "id", "created_at"
        ):
            opened = now - timedelta(minutes=rng.randint(20, 3 * 24 * 60))
            shift = opened - created_at
            Ticket.objects.filter(pk=ticket_id).update(
                created_at=F("created_at") + shift, updated_at=F("updated_at") + shift
            )
            Message.objects.filter(ticket_id=ticket_id).update(created_at=F("created_at") + shift)
            Activity.objects.filter(ticket_id=ticket_id).update(created_at=F("created_at") + shift)
        # Never in the future: a ticket's last message may have been later than its opening.
        Message.objects.filter(created_at__gt=now).update(created_at=now)
        Activity.objects.filter(created_at__gt=now).update(created_at=now)
        Ticket.objects.filter(updated_at__gt=now).update(updated_at=now)


def login_file() -> Path:
    return Path(settings.VAR_DIR) / "demo-login.txt"


class Command(BaseCommand):
    help = "Create the demo workspace (on first start) and print how to log in."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-empty", action="store_true", help="Only when there are no tickets yet")
        parser.add_argument("--tickets", type=int, default=300)

    def handle(self, *args: Any, **opts: Any) -> None:
        if not (opts["if_empty"] and Ticket.objects.exists()):
            self._create(opts["tickets"])
        self._print_login()

    def _create(self, n: int) -> None:
        password = secrets.token_urlsafe(12)
        admin, _ = create_or_update_agent(
            email=ADMIN_EMAIL, role="admin", name="Demo Admin", password=password
        )
        alice, _ = create_or_update_agent(
            email="alice@zabota.local", role="agent", name="Alice Agent", password=password
        )
        bob, _ = create_or_update_agent(
            email="bob@zabota.local", role="agent", name="Боб Петров", password=password
        )
        dave, _ = create_or_update_agent(
            email="dave@zabota.local", role="collaborator", name="Dave Developer", password=password
        )
        Agent.objects.filter(pk=bob.pk).update(locale="ru", timezone="Europe/Moscow")
        support = create_team(name="Support", members=[alice, dave])
        inbox = save_inbox(
            actor=admin,
            name="Demo Support",
            slug="demo",
            email=DEMO_MAILBOX,
            color="#0f766e",
            portal_greeting="Welcome! Sign in with your email to see your requests. / Войдите по адресу почты, чтобы увидеть свои обращения.",
            default_team=support,
        )
        # Mail to this address (zabota ingest FILE.eml, or LMTP with ZABOTA_LMTP_PORT) lands in the
        # demo inbox; replies and acknowledgements go out through EMAIL_BACKEND (var/mail/ in
        # `make run`). No IMAP account: add one in Settings -> Mailboxes.
        save_mailbox(actor=admin, inbox=inbox, address=DEMO_MAILBOX, from_name="Demo Support")
        create_team(name="Billing", members=[bob])
        generate(n, seed=7)
        _freshen_open_tickets()
        # Issue 6: priority rules, SLA calendars and policies (every open ticket then gets its
        # clock: the generator wrote tickets in bulk, bypassing the actions) and the duty rota.
        triage_demo.seed_demo()
        sla_demo.seed_demo()
        rotas_demo.seed_demo()
        # Support routes to the least-loaded person on duty today (the rota above), each up to
        # their capacity; the rest waits in the team queue.
        save_agent_routing(actor=admin, agent=alice, capacity=25, languages=["en", "ru"], areas=[])
        save_agent_routing(actor=admin, agent=dave, capacity=10, languages=["en"], areas=[])
        save_team_routing(actor=admin, team=support, mode="least_loaded")
        carol = find_or_create_contact(email="carol@acme.example.com", name="Carol Customer")
        t = create_ticket(
            actor=carol,
            requester=carol,
            subject="Cannot export the monthly report",
            body_text="Hi, the export button shows an error since this morning.",
            channel="email",
            inbox=inbox,
        )
        add_note(actor=alice, ticket_id=t.pk, body_text="Dave, is this the queue worker again?")
        reply(actor=alice, ticket_id=t.pk, body_text="Thanks Carol, we're on it.", status="pending")
        ivan = find_or_create_contact(email="ivan@romashka.example.ru", name="Иван Смирнов")
        create_ticket(
            actor=ivan,
            requester=ivan,
            subject="Не приходят письма с уведомлениями",
            body_text="Добрый день! Уже два дня не приходят уведомления о новых счетах.",
            channel="email",
            inbox=inbox,
        )
        _, token = create_token(agent=admin, name="demo")
        path = login_file()
        path.write_text(f"{ADMIN_EMAIL}\n{password}\n{token}\n")
        path.chmod(0o600)

    def _print_login(self) -> None:
        path = login_file()
        if not path.exists():
            self.stdout.write("No demo login recorded (the database was not created by `zabota demo`).")
            return
        email, password, token = (path.read_text().splitlines() + ["", "", ""])[:3]
        active = ApiToken.objects.filter(prefix=token[:10], revoked_at__isnull=True).exists()
        self.stdout.write("")
        self.stdout.write("  Zabota demo workspace")
        self.stdout.write(f"  Workspace:    {settings.SITE_URL}/login/")
        self.stdout.write(f"  Admin login:  {email} / {password}   (also alice@, bob@, dave@zabota.local)")
        self.stdout.write(f"  Portal:       {settings.SITE_URL}/portal/demo/  as carol@acme.example.com")
        if settings.EMAIL_BACKEND.endswith("filebased.EmailBackend"):
            self.stdout.write(f"                (sign-in links are written to {settings.EMAIL_FILE_PATH}/)")
        self.stdout.write("                or print a link: zabota portal_link carol@acme.example.com")
        self.stdout.write(f"  Email:        mail to {DEMO_MAILBOX} opens tickets: zabota ingest FILE.eml")
        self.stdout.write(f"  Django admin: {settings.SITE_URL}/admin/")
        self.stdout.write(f"  API docs:     {settings.SITE_URL}/api/docs")
        if active:
            self.stdout.write(f"  API token:    {token}")
        self.stdout.write(f"  (kept in {path})")
        self.stdout.write("")
