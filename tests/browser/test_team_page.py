"""Story: alice opens the Team page: each team's routing mode is a small badge beside the team's
name, not words of the name ("Support Manual" in the heading's size, as when the badge's style
lived only in the settings pages' stylesheet)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import Browse


def test_the_routing_mode_is_a_badge_beside_the_team_name(browse: Browse) -> None:
    page = browse.page("alice")
    page.goto("/team/")
    mode = page.locator(".routing-team h2 [data-mode]").first
    expect(mode).to_be_visible()
    style = mode.evaluate(
        """e => { const s = getComputedStyle(e), h = getComputedStyle(e.closest('h2'));
                  return {bg: s.backgroundColor, size: parseFloat(s.fontSize), h2: parseFloat(h.fontSize)}; }"""
    )
    assert style["bg"] not in ("rgba(0, 0, 0, 0)", "transparent"), style
    assert style["size"] < style["h2"], style
