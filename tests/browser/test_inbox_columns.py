"""Story: a lead reads the inbox on a laptop (1280 px): the short columns stay readable.

With the SLA column beside them, the priority, status and header words were broken inside the
word ("Prio|rity", "Hig|h", "Ope|n"): every cell inherits ``overflow-wrap: anywhere`` (meant for
long subjects), which lets the table squeeze those columns to a letter or two.
"""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import Browse, Server, new_ticket, uid

# A text broken onto several lines has one client rect per line.
WRAPPED = """() => [...document.querySelectorAll(
    '.inbox-table thead th, .inbox-table thead th a, .inbox-table .priority, .inbox-table .status-badge')]
  .filter(e => e.children.length === 0 && e.textContent.trim())
  .filter(e => { const r = document.createRange(); r.selectNodeContents(e); return r.getClientRects().length > 1; })
  .map(e => e.textContent.trim())"""


def test_priority_status_and_headers_are_not_broken_inside_a_word(browse: Browse, server: Server) -> None:
    word = uid("cols")
    new_ticket(
        server,
        f"The reports page shows a long error about the nightly export of every invoice {word}",
        "Since this morning the reports page shows an error for every user of our organization. " * 4,
        priority="high",
    )
    page = browse.page("admin", viewport={"width": 1280, "height": 900})
    page.goto("/inbox/open/?sort=newest")
    expect(page.locator(".inbox-table tbody tr").first).to_be_visible()
    assert page.evaluate(WRAPPED) == []
