"""Story: a lead fills an SLA policy's targets and escalations: every select shows its whole
choice. The rows' selects were capped at 160 px, so "Raise the priority one step" (and in
Russian "Следующий ответ") was cut off and a row did not say what it does."""

from __future__ import annotations

from tests.browser.conftest import Browse

# Selects whose chosen text (plus room for the arrow) is wider than the select itself.
CUT_OFF = """() => [...document.querySelectorAll('.sla-rows select')].map(s => {
    const c = document.createElement('canvas').getContext('2d');
    c.font = getComputedStyle(s).font;
    const text = s.selectedOptions.length ? s.selectedOptions[0].text : '';
    return [s.name, text, c.measureText(text).width + 24 > s.clientWidth];
  }).filter(r => r[2]).map(r => r[0] + ': ' + r[1])"""


def test_the_policy_rows_show_the_whole_choice(browse: Browse) -> None:
    page = browse.page("admin", viewport={"width": 1280, "height": 900})
    page.goto("/settings/sla/policies/new/")
    page.locator("#id_target-0-metric").select_option("next_response")
    page.locator("#id_escalation-0-action").select_option("raise_priority")
    assert page.evaluate(CUT_OFF) == []
