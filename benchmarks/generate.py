"""Realistic data at volume: `zabota seed --tickets N` and the demo workspace.

Tickets are written in bulk with raw SQL (executemany on SQLite, COPY on PostgreSQL), bypassing
the actions on purpose: a million tickets through the ORM would take hours. The rows are the
same ones the actions write (ticket, messages, a "created" activity row, tags, the requester as
follower, the search document), so every read path sees ordinary data. Everything else (tiers,
teams, agents, organizations, contacts) goes through the ORM.

Shape: English and Russian (about 60/40), organizations in three tiers, 1-6 messages per
ticket, two years of timestamps in id order, about 13 % of tickets unsolved (mostly recent).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Max

from benchmarks import text as T
from zabota.accounts.models import Agent, Role, Team
from zabota.core import clock
from zabota.core.models import Counter
from zabota.core.search import normalise
from zabota.customers.models import Contact, ContactEmail, Organization, OrganizationDomain, Tier
from zabota.tickets.choices import Channel, Kind, Status
from zabota.tickets.models import Tag, Ticket

CHUNK = 5000
UNSOLVED_SHARE = 0.13
RARE_SHARE = 0.01
COMMON_SHARE = 0.30

TIERS = [("Platinum", 1, "#7c3aed"), ("Gold", 2, "#d97706"), ("Standard", 3, "#6b7280")]
TEAMS = [("Support", False), ("Billing", False), ("Tech", False), ("Security", True)]


@dataclass
class World:
    """Ids of the people and things tickets refer to."""

    teams: list[int]
    agents: list[int]
    agent_teams: dict[int, list[int]]
    contacts: Sequence[tuple[int, int | None, str, str, bool]]  # id, org id, name, email, russian
    tags: list[int]


def _cached(fn: Callable[[str], str]) -> Callable[[str], str]:
    cache: dict[str, str] = {}

    def wrapper(s: str) -> str:
        v = cache.get(s)
        if v is None:
            v = cache[s] = fn(s)
        return v

    return wrapper


norm = _cached(normalise)


def ensure_world(n_tickets: int, rng: random.Random) -> World:
    """Tiers, teams, agents, organizations, contacts and tags in proportion to ``n_tickets``."""
    for name, rank, color in TIERS:
        Tier.objects.get_or_create(name=name, defaults={"rank": rank, "color": color})
    tiers = list(Tier.objects.order_by("rank"))
    teams = []
    for name, restricted in TEAMS:
        team, _ = Team.objects.get_or_create(name=name, defaults={"restricted": restricted})
        teams.append(team)
    n_agents = max(8, min(60, n_tickets // 5000))
    existing = {a.email for a in Agent.objects.filter(email__endswith="@agents.zabota.test")}
    new_agents = []
    for i in range(n_agents):
        email = f"agent{i + 1}@agents.zabota.test"
        if email not in existing:
            ru = i % 3 == 2
            first = rng.choice(T.RU_FIRST if ru else T.EN_FIRST)
            last = rng.choice(T.RU_LAST if ru else T.EN_LAST)
            a = Agent(email=email, name=f"{first} {last}", role=Role.AGENT, locale="ru" if ru else "en")
            a.set_unusable_password()
            new_agents.append(a)
    Agent.objects.bulk_create(new_agents)
    agents = list(Agent.objects.filter(email__endswith="@agents.zabota.test").order_by("id"))
    for i, a in enumerate(agents):
        team = teams[i % 3]  # Support, Billing, Tech; Security is staffed below
        team.members.add(a)
        if i % 10 == 0:
            teams[3].members.add(a)
    agent_teams: dict[int, list[int]] = {}
    for team in teams:
        for aid in team.members.values_list("id", flat=True):
            agent_teams.setdefault(team.pk, []).append(aid)

    n_orgs = max(10, min(20_000, n_tickets // 50))
    have_orgs = Organization.objects.count()
    if have_orgs < n_orgs:
        orgs, domains = [], []
        now = clock.now()
        for i in range(have_orgs, n_orgs):
            r = rng.random()
            tier = tiers[0] if r < 0.05 else tiers[1] if r < 0.25 else tiers[2]
            name = f"{rng.choice(T.COMPANY_WORDS)} {rng.choice(T.COMPANY_SUFFIX)} {i + 1}"
            orgs.append(
                Organization(
                    name=name,
                    tier=tier,
                    created_at=now,
                    updated_at=now,
                    attributes={"plan": tier.name.lower(), "seats": rng.randint(3, 500)},
                )
            )
        Organization.objects.bulk_create(orgs, batch_size=2000)
        for org in Organization.objects.filter(domains__isnull=True).only("id"):
            domains.append(OrganizationDomain(organization_id=org.pk, domain=f"org{org.pk}.example.com"))
        OrganizationDomain.objects.bulk_create(domains, batch_size=5000)
    org_ids = list(Organization.objects.values_list("id", flat=True))

    n_contacts = max(20, min(200_000, n_tickets // 5))
    have_contacts = Contact.objects.count()
    if have_contacts < n_contacts:
        now = clock.now()
        batch: list[Contact] = []
        for _ in range(have_contacts, n_contacts):
            ru = rng.random() < 0.4
            name = (
                f"{rng.choice(T.RU_FIRST if ru else T.EN_FIRST)} {rng.choice(T.RU_LAST if ru else T.EN_LAST)}"
            )
            org_id: int | None = rng.choice(org_ids) if rng.random() < 0.85 else None
            batch.append(
                Contact(
                    name=name,
                    organization_id=org_id,
                    locale="ru" if ru else "en",
                    created_at=now,
                    updated_at=now,
                )
            )
        Contact.objects.bulk_create(batch, batch_size=5000)
        emails = [
            ContactEmail(
                contact_id=cid,
                email=f"customer{cid}@{f'org{oid}.example.com' if oid else 'mail.example.net'}",
                is_primary=True,
            )
            for cid, oid in Contact.objects.filter(emails__isnull=True).values_list("id", "organization_id")
        ]
        ContactEmail.objects.bulk_create(emails, batch_size=5000)
    contacts = [
        (cid, oid, name, email, locale == "ru")
        for cid, oid, name, locale, email in Contact.objects.filter(emails__is_primary=True).values_list(
            "id", "organization_id", "name", "locale", "emails__email"
        )
    ]
    for name in T.TAGS:
        Tag.objects.get_or_create(name=name)
    tags = list(Tag.objects.filter(name__in=T.TAGS).values_list("id", flat=True))
    return World(
        teams=[t.pk for t in teams],
        agents=[a.pk for a in agents],
        agent_teams=agent_teams,
        contacts=contacts,
        tags=tags,
    )


class Writer:
    """Bulk row writer: executemany on SQLite, COPY on PostgreSQL."""

    def __init__(self) -> None:
        self.pg = connection.vendor == "postgresql"

    def write(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if self.pg:
            raw = connection.connection
            with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["?"] * len(columns))
            connection.connection.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", rows
            )


TICKET_COLS = [
    "id",
    "number",
    "subject",
    "status",
    "priority",
    "kind",
    "channel",
    "inbox_id",
    "requester_id",
    "organization_id",
    "project_id",
    "assignee_id",
    "team_id",
    "custom_fields",
    "snoozed_until",
    "merged_into_id",
    "created_at",
    "updated_at",
    "solved_at",
]
MESSAGE_COLS = [
    "id",
    "ticket_id",
    "kind",
    "author_agent_id",
    "author_contact_id",
    "body_text",
    "body_html",
    "channel",
    "delivery_status",
    "created_at",
]
ACTIVITY_COLS = [
    "ticket_id",
    "actor_agent_id",
    "actor_contact_id",
    "verb",
    "field",
    "before",
    "after",
    "created_at",
]


def _ts(dt: datetime, pg: bool) -> Any:
    return dt if pg else dt.isoformat(sep=" ")


def generate(
    n_tickets: int, *, seed: int = 42, progress: Callable[[int], None] | None = None, span_days: int = 730
) -> int:
    """Add ``n_tickets`` tickets. Returns the number written."""
    rng = random.Random(seed + Ticket.objects.count())
    world = ensure_world(n_tickets, rng)
    writer = Writer()
    pg = writer.pg
    start_id = (Ticket.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    msg_id = (
        (connection.cursor().execute("SELECT COALESCE(MAX(id), 0) FROM tickets_message").fetchone()[0]) + 1
    )
    start_number = (Ticket.objects.aggregate(m=Max("number"))["m"] or 0) + 1
    now = clock.now().replace(microsecond=0)
    begin = now - timedelta(days=span_days)
    step = timedelta(days=span_days).total_seconds() / max(n_tickets, 1)
    team_ids = world.teams
    kinds = list(Kind.values)
    kind_weights = [40, 30, 10, 6, 6, 6, 2]
    channels = [Channel.EMAIL, Channel.CHAT, Channel.PORTAL, Channel.API, Channel.PHONE, Channel.TELEGRAM]
    channel_weights = [55, 20, 12, 5, 4, 4]
    unsolved = [Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD]
    unsolved_weights = [25, 45, 20, 10]
    written = 0
    for chunk_start in range(0, n_tickets, CHUNK):
        chunk = min(CHUNK, n_tickets - chunk_start)
        tickets, messages, activity, ticket_tags, followers, docs = [], [], [], [], [], []
        for j in range(chunk):
            k = chunk_start + j
            tid = start_id + k
            created = begin + timedelta(seconds=step * k + rng.random() * step)
            age_days = (now - created).days
            p_unsolved = UNSOLVED_SHARE * (3.0 if age_days < 60 else 0.88)
            if rng.random() < p_unsolved:
                status = rng.choices(unsolved, unsolved_weights)[0]
            else:
                status = Status.CLOSED if age_days > 30 and rng.random() < 0.7 else Status.SOLVED
            cid, org_id, cname, cemail, ru = world.contacts[rng.randrange(len(world.contacts))]
            subject = rng.choice(T.RU_SUBJECT_POOL if ru else T.EN_SUBJECT_POOL)
            team = team_ids[rng.randrange(3)] if rng.random() < 0.97 else team_ids[3]
            assignee = None
            if status != Status.NEW and rng.random() < 0.9:
                members = world.agent_teams.get(team) or world.agents
                assignee = members[rng.randrange(len(members))]
            priority = rng.choices([1, 2, 3, 4], [15, 55, 22, 8])[0]
            n_msgs = rng.randint(1, 6)
            doc_parts = [norm(subject), norm(cname), norm(cemail)]
            t = created
            for m in range(n_msgs):
                if m == 0 or m % 2 == 0:
                    body = rng.choice(T.RU_CUSTOMER_POOL if ru else T.EN_CUSTOMER_POOL)
                    kind, a_agent, a_contact = "reply", None, cid
                elif rng.random() < 0.2:
                    body = rng.choice(T.RU_NOTE_POOL if ru else T.EN_NOTE_POOL)
                    kind, a_agent, a_contact = "note", assignee or world.agents[0], None
                else:
                    body = rng.choice(T.RU_AGENT_POOL if ru else T.EN_AGENT_POOL)
                    kind, a_agent, a_contact = "reply", assignee or world.agents[0], None
                doc_parts.append(norm(body))
                if m == 0:
                    if rng.random() < RARE_SHARE:
                        body += f" We use the {T.RARE_WORD} environment."
                        doc_parts.append(norm(T.RARE_WORD))
                    if rng.random() < COMMON_SHARE:
                        body += f" Help {T.COMMON_WORD}."
                        doc_parts.append(norm(T.COMMON_WORD))
                messages.append((msg_id, tid, kind, a_agent, a_contact, body, "", "email", "", _ts(t, pg)))
                msg_id += 1
                t = t + timedelta(minutes=rng.randint(5, 600))
            updated = min(t, now)
            solved_at = _ts(updated, pg) if status in (Status.SOLVED, Status.CLOSED) else None
            tickets.append(
                (
                    tid,
                    start_number + k,
                    subject,
                    status,
                    priority,
                    rng.choices(kinds, kind_weights)[0],
                    rng.choices(channels, channel_weights)[0],
                    None,
                    cid,
                    org_id,
                    None,
                    assignee,
                    team,
                    "{}",
                    None,
                    None,
                    _ts(created, pg),
                    _ts(updated, pg),
                    solved_at,
                )
            )
            activity.append(
                (
                    tid,
                    None,
                    cid,
                    "created",
                    "",
                    None,
                    f'{{"status": "new", "number": {start_number + k}}}',
                    _ts(created, pg),
                )
            )
            for tag in rng.sample(world.tags, rng.choices([0, 1, 2, 3], [35, 35, 20, 10])[0]):
                ticket_tags.append((tid, tag))
            followers.append((tid, None, cid, _ts(created, pg)))
            docs.append((tid, " ".join(doc_parts)))
        with transaction.atomic():
            writer.write("tickets_ticket", TICKET_COLS, tickets)
            writer.write("tickets_message", MESSAGE_COLS, messages)
            writer.write("tickets_activity", ACTIVITY_COLS, activity)
            writer.write("tickets_tickettag", ["ticket_id", "tag_id"], ticket_tags)
            writer.write("tickets_follower", ["ticket_id", "agent_id", "contact_id", "created_at"], followers)
            writer.write("core_searchdocument", ["ticket_id", "document"], docs)
        written += chunk
        if progress:
            progress(chunk)
    with transaction.atomic():
        last = start_number + n_tickets - 1
        Counter.objects.update_or_create(name="ticket", defaults={"value": last})
        if pg:
            with connection.cursor() as cur:
                for table in (
                    "tickets_ticket",
                    "tickets_message",
                    "tickets_activity",
                    "tickets_tickettag",
                    "tickets_follower",
                ):
                    cur.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
                    )
    if pg:
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    else:
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
            cur.execute("PRAGMA optimize")
    return written
