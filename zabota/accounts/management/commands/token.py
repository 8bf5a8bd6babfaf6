"""zabota token create --agent E [--scope read|write] | list --agent E | revoke PREFIX"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zabota.accounts.actions import create_token, revoke_token
from zabota.accounts.models import Agent, ApiToken, TokenScope


class Command(BaseCommand):
    help = "Manage API tokens. `create` prints the token alone on its last line, once."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a token for an agent")
        create.add_argument("--agent", required=True, help="The agent's email")
        create.add_argument("--scope", choices=TokenScope.values, default=TokenScope.WRITE)
        create.add_argument("--name", default="")
        lst = sub.add_parser("list", help="List an agent's tokens")
        lst.add_argument("--agent", required=True)
        revoke = sub.add_parser("revoke", help="Revoke a token by its prefix")
        revoke.add_argument("prefix")

    def _agent(self, email: str) -> Agent:
        agent = Agent.objects.filter(email__iexact=email.strip()).first()
        if agent is None:
            raise CommandError(f"no agent with email {email}")
        return agent

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] == "create":
            agent = self._agent(opts["agent"])
            token, raw = create_token(agent=agent, scope=opts["scope"], name=opts["name"])
            self.stdout.write(f"Created a {token.scope} token for {agent.email} (shown once):")
            self.stdout.write(raw)
        elif opts["action"] == "list":
            for t in ApiToken.objects.filter(agent=self._agent(opts["agent"])):
                state = "revoked" if t.revoked_at else "active"
                self.stdout.write(
                    f"{t.prefix}…  {t.scope:5}  {state:7}  last used {t.last_used_at or 'never'}"
                )
        else:
            tokens = list(ApiToken.objects.filter(prefix=opts["prefix"], revoked_at__isnull=True))
            if len(tokens) != 1:
                raise CommandError("no single active token has that prefix")
            revoke_token(token=tokens[0])
            self.stdout.write(f"Revoked {tokens[0].prefix}…")
