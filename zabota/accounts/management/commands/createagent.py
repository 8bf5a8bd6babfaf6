"""zabota createagent --email E --role admin|agent|collaborator [--password P] [--name N]"""

from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zabota.accounts.actions import create_or_update_agent
from zabota.accounts.models import Role
from zabota.core.errors import DomainError


class Command(BaseCommand):
    help = "Create an agent, or set an existing agent's role and password (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument(
            "--password", help="Omit to be asked (or to leave the password unset with --no-input)"
        )
        parser.add_argument("--name", default="")
        parser.add_argument(
            "--can-reply-publicly", action="store_true", help="Collaborators: allow public replies"
        )
        parser.add_argument("--no-input", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        password = opts["password"]
        if password is None and not opts["no_input"]:
            password = getpass.getpass("Password (empty to leave unset): ") or None
        try:
            agent, created = create_or_update_agent(
                email=opts["email"],
                role=opts["role"],
                name=opts["name"],
                password=password,
                can_reply_publicly=opts["can_reply_publicly"],
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"{'Created' if created else 'Updated'} {agent.role} {agent.email}")
