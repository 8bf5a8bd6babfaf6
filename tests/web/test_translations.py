"""Translations: the Russian catalog is complete and shipped compiled, Russian plurals are right,
the language follows the agent's setting and then the browser, and times are in the agent's zone.

The guard ``test_every_marked_string_is_in_the_catalog`` extracts the strings afresh from a copy
of the source: a developer who marks a new string without running ``make messages`` and
translating it gets a failing test, not an English word on a Russian page.
"""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polib  # type: ignore[import-untyped]
import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test import Client
from django.utils import translation
from django.utils.translation import ngettext, pgettext

from zabota.accounts.models import Agent
from zabota.tickets.models import Message, Ticket

LOCALE = Path(django_settings.BASE_DIR) / "zabota" / "locale"
PO = LOCALE / "ru" / "LC_MESSAGES" / "django.po"
MO = LOCALE / "ru" / "LC_MESSAGES" / "django.mo"
RUSSIAN_PLURALS = (
    "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);"
)
PLACEHOLDER = re.compile(r"%\(\w+\)[sdfi]|\{\w+\}")

Key = tuple[str, str, str]  # (context, msgid, msgid_plural)


def _key(e: polib.POEntry | polib.MOEntry) -> Key:
    return (e.msgctxt or "", e.msgid, e.msgid_plural or "")


def _where(e: polib.POEntry) -> str:
    return ", ".join(f"{path}:{line}" for path, line in e.occurrences[:2]) or "?"


@pytest.fixture(scope="module")
def po() -> polib.POFile:
    return polib.pofile(str(PO))


# --- The catalog -------------------------------------------------------------------------------


def test_catalog_header_has_russian_plural_forms(po: polib.POFile) -> None:
    assert po.metadata["Language"] == "ru"
    assert po.metadata["Plural-Forms"] == RUSSIAN_PLURALS
    assert po.metadata["Content-Type"] == "text/plain; charset=UTF-8"
    assert not po.metadata_is_fuzzy


def test_every_entry_is_translated_and_current(po: polib.POFile) -> None:
    problems = []
    for e in po:
        if e.obsolete:
            problems.append(f"obsolete (run make messages): {e.msgid!r}")
        elif "fuzzy" in e.flags:
            problems.append(f"fuzzy: {e.msgid!r} ({_where(e)})")
        elif e.msgid_plural:
            forms = [e.msgstr_plural.get(i, "") for i in range(3)]
            if not all(forms) or sorted(e.msgstr_plural) != [0, 1, 2]:
                problems.append(f"plural needs 3 Russian forms: {e.msgid!r} ({_where(e)})")
        elif not e.msgstr:
            problems.append(f"untranslated: {e.msgid!r} ({_where(e)})")
    assert len(po) > 100
    assert problems == []


def test_translations_keep_their_placeholders(po: polib.POFile) -> None:
    problems = []
    for e in po:
        if e.obsolete:
            continue
        wanted = sorted(set(PLACEHOLDER.findall(e.msgid)))
        translations = list(e.msgstr_plural.values()) if e.msgid_plural else [e.msgstr]
        for text in translations:
            # A singular form may leave the number out ("one ticket"), never anything else.
            got = sorted(set(PLACEHOLDER.findall(text)))
            if got != wanted and not (e.msgid_plural and set(got) <= set(wanted)):
                problems.append(f"{e.msgid!r}: {wanted} became {got} in {text!r}")
    assert problems == []


def test_the_shipped_mo_is_the_compiled_po(po: polib.POFile) -> None:
    """The .mo is committed (a fresh machine may lack gettext): it must match the .po exactly."""

    def table(entries: Any) -> dict[Key, Any]:
        out: dict[Key, Any] = {}
        for e in entries:
            if not e.msgid or getattr(e, "obsolete", False):
                continue
            out[_key(e)] = (
                tuple(e.msgstr_plural[i] for i in sorted(e.msgstr_plural)) if e.msgid_plural else e.msgstr
            )
        return out

    mo = polib.mofile(str(MO))
    assert mo.metadata.get("Plural-Forms") == RUSSIAN_PLURALS
    assert table(mo) == table(po), "the .mo is stale: run `make messages` and commit both files"


def test_every_marked_string_is_in_the_catalog(
    tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch, po: polib.POFile
) -> None:
    """Fresh extraction from a copy of the source; nothing it finds may be missing."""
    if shutil.which("xgettext") is None or shutil.which("msgmerge") is None:
        pytest.fail("GNU gettext (xgettext, msgmerge) is needed: apt-get install gettext")
    source = Path(django_settings.BASE_DIR) / "zabota"
    copy = tmp_path / "zabota"
    shutil.copytree(
        source,
        copy,
        ignore=shutil.ignore_patterns("locale", "__pycache__", "static", "*.pyc", "*.mo", "*.po"),
    )
    (copy / "locale").mkdir()
    settings.LOCALE_PATHS = [str(copy / "locale")]  # never the real catalog
    monkeypatch.chdir(tmp_path)
    call_command("makemessages", locale=["ru"], verbosity=0, no_obsolete=True)
    fresh = polib.pofile(str(copy / "locale" / "ru" / "LC_MESSAGES" / "django.po"))
    assert len(fresh) > 100, "the extraction found almost nothing: is the copy right?"
    committed = {_key(e) for e in po if not e.obsolete}
    missing = [f"{e.msgid!r} ({_where(e)})" for e in fresh if _key(e) not in committed]
    assert not missing, "Not in the catalog (run `make messages`, translate, commit .po and .mo):\n" + (
        "\n".join(missing)
    )


# --- Russian plurals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, "1 тикет"),
        (2, "2 тикета"),
        (5, "5 тикетов"),
        (11, "11 тикетов"),
        (21, "21 тикет"),
        (22, "22 тикета"),
        (25, "25 тикетов"),
        (12, "12 тикетов"),
        (101, "101 тикет"),
        (111, "111 тикетов"),
        (0, "0 тикетов"),
    ],
)
def test_russian_plural_of_tickets(n: int, expected: str) -> None:
    with translation.override("ru"):
        assert ngettext("%(counter)s ticket", "%(counter)s tickets", n) % {"counter": n} == expected
    with translation.override("en"):
        assert ngettext("%(counter)s ticket", "%(counter)s tickets", n) % {"counter": n} == (
            f"{n} ticket" if n == 1 else f"{n} tickets"
        )


@pytest.mark.parametrize(
    ("n", "expected"),
    [(1, "1 обращение"), (3, "3 обращения"), (7, "7 обращений"), (14, "14 обращений"), (31, "31 обращение")],
)
def test_russian_plural_of_portal_requests(n: int, expected: str) -> None:
    with translation.override("ru"):
        assert ngettext("%(counter)s request", "%(counter)s requests", n) % {"counter": n} == expected


def test_other_russian_plurals() -> None:
    with translation.override("ru"):
        unread = "You have %(counter)s unread notification:"
        unread_many = "You have %(counter)s unread notifications:"
        assert ngettext(unread, unread_many, 1) % {"counter": 1} == "У вас 1 непрочитанное уведомление:"
        assert ngettext(unread, unread_many, 3) % {"counter": 3} == "У вас 3 непрочитанных уведомления:"
        assert ngettext(unread, unread_many, 11) % {"counter": 11} == "У вас 11 непрочитанных уведомлений:"
        link = "The link works once and expires after %(minutes)s minute."
        links = "The link works once and expires after %(minutes)s minutes."
        assert ngettext(link, links, 21) % {"minutes": 21} == "Ссылка одноразовая и действует 21 минуту."
        assert ngettext(link, links, 30) % {"minutes": 30} == "Ссылка одноразовая и действует 30 минут."


def test_ambiguous_words_get_the_right_russian() -> None:
    """The same English word, different Russian: a ticket is masculine, a request neuter."""
    with translation.override("ru"):
        assert translation.gettext("Open") == "Открыт"
        assert pgettext("request status", "Open") == "В работе"
        assert translation.gettext("Solved") == "Решён"
        assert pgettext("request status", "Solved") == "Решено"
        assert pgettext("verb", "Open") == "Открыть"
        assert pgettext("workspace page", "Inbox") == "Входящие"
        assert pgettext("person", "Name") == "Имя"
        assert translation.gettext("Internal note") == "Внутренняя заметка"
        assert translation.gettext("Assignee") == "Исполнитель"


# --- Which language a page is in ---------------------------------------------------------------


def _set(agent: Agent, **fields: Any) -> Agent:
    Agent.objects.filter(pk=agent.pk).update(**fields)
    return Agent.objects.get(pk=agent.pk)


def _html(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return str(response.content.decode())


def test_login_page_follows_the_browser(client: Client) -> None:
    russian = _html(client.get("/login/", HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9,en;q=0.5"))
    assert '<html lang="ru">' in russian
    assert "Вход в Zabota" in russian
    assert "Sign in to Zabota" not in russian

    english = _html(Client().get("/login/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9"))
    assert '<html lang="en">' in english
    assert "Sign in to Zabota" in english

    other = _html(Client().get("/login/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9"))
    assert "Sign in to Zabota" in other  # a language we do not have: English


def test_agent_with_russian_locale_gets_russian_pages_whatever_the_browser(
    client: Client, alice_agent: Agent, support_ticket: Ticket
) -> None:
    client.force_login(_set(alice_agent, locale="ru"))
    inbox = _html(client.get("/inbox/open/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9"))
    assert '<html lang="ru">' in inbox
    assert "Входящие" in inbox and "Все открытые" in inbox and "Исполнитель" in inbox
    assert "All open" not in inbox
    ticket = _html(client.get(f"/tickets/{support_ticket.number}/", HTTP_ACCEPT_LANGUAGE="en"))
    assert '<html lang="ru">' in ticket
    assert "Внутренняя заметка" in ticket and "Свойства" in ticket


def test_agent_with_english_locale_gets_english_even_from_a_russian_browser(
    client: Client, alice_agent: Agent
) -> None:
    client.force_login(_set(alice_agent, locale="en"))
    inbox = _html(client.get("/inbox/open/", HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9"))
    assert '<html lang="en">' in inbox
    assert "All open" in inbox and "Все открытые" not in inbox


def test_agent_without_a_locale_follows_the_browser(client: Client, alice_agent: Agent) -> None:
    client.force_login(_set(alice_agent, locale=""))
    russian = _html(client.get("/inbox/open/", HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9,en;q=0.8"))
    assert '<html lang="ru">' in russian and "Все открытые" in russian
    english = _html(client.get("/inbox/open/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9"))
    assert '<html lang="en">' in english and "All open" in english
    no_header = _html(client.get("/inbox/open/"))
    assert '<html lang="en">' in no_header and "All open" in no_header


def test_russian_inbox_has_no_english_column_or_view_names(client: Client, alice_agent: Agent) -> None:
    client.force_login(_set(alice_agent, locale="ru"))
    inbox = _html(client.get("/inbox/open/"))
    for english in (
        "Unassigned",
        "My teams",
        "Saved views",
        "Last update",
        "Requester",
        "Keyboard shortcuts",
    ):
        assert f">{english}<" not in inbox, english


# --- Dates and times in the agent's zone -------------------------------------------------------

WHEN = datetime(2026, 3, 10, 9, 15, tzinfo=UTC)  # 12:15 in Moscow (UTC+3, no DST)


@pytest.fixture
def dated_ticket(support_ticket: Ticket) -> Ticket:
    Ticket.objects.filter(pk=support_ticket.pk).update(created_at=WHEN, updated_at=WHEN)
    Message.objects.filter(ticket=support_ticket).update(created_at=WHEN)
    return Ticket.objects.get(pk=support_ticket.pk)


def _shown_at(html: str, stamp: str) -> list[str]:
    """The visible text of every <time> element whose machine-readable value is ``stamp``."""
    return re.findall(rf'<time[^>]*datetime="{re.escape(stamp)}"[^>]*>([^<]*)</time>', html)


@pytest.mark.parametrize(
    ("zone", "locale", "stamp", "clock"),
    [
        ("Europe/Moscow", "ru", "2026-03-10T12:15:00+03:00", "12:15"),
        ("UTC", "ru", "2026-03-10T09:15:00+00:00", "09:15"),
        ("Europe/Moscow", "en", "2026-03-10T12:15:00+03:00", "12:15"),
    ],
)
def test_ticket_page_and_inbox_show_times_in_the_agents_zone(
    client: Client, alice_agent: Agent, dated_ticket: Ticket, zone: str, locale: str, stamp: str, clock: str
) -> None:
    client.force_login(_set(alice_agent, timezone=zone, locale=locale))
    other = "2026-03-10T09:15:00+00:00" if zone != "UTC" else "2026-03-10T12:15:00+03:00"
    for url in (f"/tickets/{dated_ticket.number}/", "/inbox/open/"):
        html = _html(client.get(url))
        shown = _shown_at(html, stamp)
        assert shown, f"{url}: no time shown for {stamp}"
        assert any(clock in text and "2026" in text for text in shown), (url, shown)
        assert other not in html, url


def test_inbox_view_counts_say_how_many_tickets_in_russian(
    client: Client, alice_agent: Agent, support_ticket: Ticket
) -> None:
    def sidebar() -> str:
        response = client.get("/inbox/counts?current=open", headers={"HX-Request": "true"})
        return _html(response)

    client.force_login(_set(alice_agent, locale="ru"))
    assert 'title="1 тикет" data-count-for="open">1<' in sidebar()
    assert 'title="0 тикетов" data-count-for="pending">0<' in sidebar()
    client.force_login(_set(alice_agent, locale="en"))
    assert 'title="1 ticket" data-count-for="open">1<' in sidebar()
