"""Finding the agents a message mentions: ``@<email local part>`` or ``@"Full Name"``.

``@alice`` matches agents whose email starts with ``alice@`` (case-insensitive);
``@"Alice Agent"`` matches the agent's name exactly (case-insensitive). An address such as
``bob@example.com`` is not a mention (the ``@`` must not follow a word character).
"""

from __future__ import annotations

import re

from django.db.models import Q

from zabota.accounts.models import Agent

MENTION = re.compile(r'(?<![\w.+\-@])@(?:"([^"\n]{1,200})"|([A-Za-z0-9][\w.+\-]{0,63}))')
MAX_MENTIONS = 20  # per message: a pasted list of addresses notifies no crowd


def parse_mentions(text: str) -> tuple[set[str], set[str]]:
    """(email local parts lower-cased, full names as written)."""
    locals_, names = set(), set()
    for match in MENTION.finditer(text or ""):
        name, local = match.group(1), match.group(2)
        if name and name.strip():
            names.add(" ".join(name.split()))
        elif local:
            local = local.rstrip(".-+")
            if local:
                locals_.add(local.casefold())
        if len(locals_) + len(names) >= MAX_MENTIONS:
            break
    return locals_, names


def mentioned_agents(text: str) -> list[Agent]:
    """Active agents the text mentions (visibility of the ticket is the caller's check)."""
    locals_, names = parse_mentions(text)
    if not locals_ and not names:
        return []
    q = Q()
    for local in locals_:
        q |= Q(email__istartswith=f"{local}@")
    for name in names:
        q |= Q(name__iexact=name)
    # SQLite's iexact folds ASCII only; the check below folds every script.
    folded = {n.casefold() for n in names}
    found = []
    for agent in Agent.objects.filter(q, is_active=True):
        local = agent.email.split("@", 1)[0].casefold()
        if local in locals_ or " ".join(agent.name.split()).casefold() in folded:
            found.append(agent)
    return found
