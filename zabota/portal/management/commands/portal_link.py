"""zabota portal_link EMAIL [--inbox SLUG]: print a one-time portal sign-in link for a contact.

For operators helping a customer who cannot receive mail, for the demo and for browser tests.
The link is the same kind the portal emails (single use, expires after PORTAL_LINK_MINUTES); it
is printed, never stored.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zabota.core.errors import NotFound
from zabota.portal import actions, mail, queries


class Command(BaseCommand):
    help = "Print a one-time sign-in link to the customer portal for the contact with EMAIL."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--inbox", default="", help="The slug of the portal to brand the session with")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            inbox = queries.inbox_by_slug(opts["inbox"]) if opts["inbox"] else queries.default_inbox()
        except NotFound as exc:
            raise CommandError(f"no inbox has the portal address {opts['inbox']!r}") from exc
        try:
            link, token = actions.issue_sign_in_link(email=opts["email"], inbox=inbox)
        except actions.LinkInvalid as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(mail.sign_in_url(token))
        self.stderr.write(f"valid once, until {link.expires_at:%Y-%m-%d %H:%M %Z}")
