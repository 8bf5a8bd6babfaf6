"""Reply addresses and Message-IDs that thread replies back to their ticket.

A reply address is the mailbox address with a plus tag, ``support+t1234.<mac>@example.com``,
where ``<mac>`` is 26 base32 characters (130 bits) of an HMAC-SHA256 of the ticket number under
``SECRET_KEY``. Knowing (or guessing) a ticket number is never enough to write into it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from django.conf import settings

MAC_CHARS = 26  # 130 bits of base32
_TAG = re.compile(r"\+t(\d{1,18})\.([a-z2-7]{" + str(MAC_CHARS) + r"})@", re.I)


def mac(number: int) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), b"ticket-reply:%d" % number, hashlib.sha256).digest()
    return base64.b32encode(digest).decode().lower()[:MAC_CHARS]


def reply_address(mailbox_address: str, number: int) -> str:
    local, _, domain = mailbox_address.partition("@")
    local = local.split("+", 1)[0]
    return f"{local}+t{number}.{mac(number)}@{domain}"


def ticket_number_from(addresses: list[str]) -> int | None:
    """The ticket number of the first address whose tag carries a valid MAC, else None."""
    for address in addresses:
        found = _TAG.search(address)
        if found and hmac.compare_digest(mac(int(found.group(1))), found.group(2).lower()):
            return int(found.group(1))
    return None


def base_address(address: str) -> str:
    """The address without its plus tag: ``support+t1.x@ex.com`` -> ``support@ex.com``."""
    local, _, domain = address.partition("@")
    return f"{local.split('+', 1)[0]}@{domain}".lower()


def new_message_id(domain: str) -> str:
    """A fresh, unique Message-ID on our domain (without angle brackets)."""
    return f"{secrets.token_hex(16)}@{domain or 'zabota.invalid'}"


def key(message_id: str) -> str:
    """The indexed form of a Message-ID."""
    return hashlib.sha256(message_id.strip().strip("<>").lower().encode()).hexdigest()
