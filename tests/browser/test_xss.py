"""Stored XSS in the real browser: the payload corpus (tests/fixtures/xss_payloads.txt) as ticket
subjects, message text, HTML replies and notes, contact and organization names and attachment
file names, rendered on the inbox, ticket pages, search, customer pages and the portal.

Nothing may run: alert/confirm/prompt and window.__xss.push are trapped (an init script), any
dialog is recorded, the page's CSP must not even have to block anything (a violation means
markup got through), no element in the live DOM may carry an on* handler or a javascript: URL,
and no injected htmx attribute may fire a request (e.g. to /logout/)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Browse, Recorder, Server, portal_sign_in, uid
from tests.fixtures.security import payloads

CORPUS = payloads()

DOM_CHECK = """() => {
  const bad = [];
  for (const el of document.querySelectorAll("*")) {
    for (const a of el.attributes) {
      const name = a.name.toLowerCase();
      const value = a.value.replace(/[\\u0000-\\u0020]+/g, "").toLowerCase();
      if (name.startsWith("on") || name.startsWith("hx-on") || name === "srcdoc") bad.push(el.tagName + " " + name);
      if (["href", "src", "action", "formaction", "data", "xlink:href"].includes(name) &&
          (value.startsWith("javascript:") || value.startsWith("vbscript:") || value.startsWith("data:text/html")))
        bad.push(el.tagName + " " + name + "=" + a.value);
    }
  }
  for (const s of document.querySelectorAll("script")) {
    if (!s.src && s.type !== "application/json" && s.textContent.trim()) bad.push("inline script: " + s.textContent.slice(0, 80));
  }
  for (const tag of ["iframe[srcdoc]", "object", "embed", "base", "meta[http-equiv]"]) {
    for (const el of document.querySelectorAll(tag)) bad.push("element " + el.outerHTML.slice(0, 80));
  }
  return bad;
}"""


@pytest.fixture(scope="module")
def poisoned(server: Server) -> dict[str, Any]:
    api = server.api("admin")
    support = server.cast["teams"]["support"]
    run = uid("xss")
    tickets = []
    orgs = []
    for i, payload in enumerate(CORPUS):
        org = api.post("/organizations", {"name": f"{payload} {run}-{i}", "domains": [f"{run}-{i}.test"]})
        orgs.append(org)
        tickets.append(
            api.ticket(
                payload,
                f"{payload}\n{run} body {i}",
                requester={"email": f"p@{run}-{i}.test", "name": payload},
                team_id=support,
            )
        )
    alice = server.api("alice")
    admin_id = server.cast["agents"]["admin"]["id"]
    for t in tickets[:8]:  # the admin's notifications name these tickets
        alice.patch(f"/tickets/{t['id']}", {"assignee_id": admin_id})
    joined = "\n".join(CORPUS)
    bodies = api.ticket(
        f"XSS bodies {run}",
        joined,
        requester={"email": f"bodies@{run}-0.test", "name": CORPUS[0]},
        team_id=support,
    )
    api.post(f"/tickets/{bodies['id']}/replies", {"body_html": joined})
    api.post(f"/tickets/{bodies['id']}/notes", {"body_html": joined})
    for start in range(0, len(CORPUS), 20):
        chunk = CORPUS[start : start + 20]
        api.post(
            f"/tickets/{bodies['id']}/replies",
            {
                "body": f"Files {start}",
                "attachments": [api.attachment(f"{p}.txt", b"hello") for p in chunk],
            },
        )
    return {"run": run, "tickets": tickets, "orgs": orgs, "bodies": bodies}


def visit(page: Any, url: str, recorder: Recorder, requests: list[str]) -> list[str]:
    response = page.goto(url)
    assert response is not None and response.status == 200, f"{url}: {response and response.status}"
    page.wait_for_timeout(250)  # onerror / onload / htmx load triggers would have fired by now
    problems = [f"{url}: {p}" for p in page.evaluate(DOM_CHECK)]
    ran = page.evaluate("() => window.__xss.slice()")
    problems += [f"{url}: script ran: {r}" for r in ran]
    return problems


def watch_requests(page: Any) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda r: seen.append(f"{r.method} {r.url}"))
    return seen


def assert_clean(recorder: Recorder, problems: list[str], requests: list[str]) -> None:
    problems = problems + [f"xss: {x}" for x in recorder.xss] + [f"dialog: {d}" for d in recorder.dialogs]
    problems += [f"csp: {c}" for c in recorder.csp]
    problems += [f"request: {r}" for r in requests if "/logout" in r]
    assert problems == []


def test_no_payload_runs_on_the_agent_pages(
    browse: Browse, recorder: Recorder, poisoned: dict[str, Any]
) -> None:
    page = browse.page("admin", xss_trap=True)
    requests = watch_requests(page)
    problems: list[str] = []
    bodies = poisoned["bodies"]
    urls = ["/inbox/open/?sort=newest", "/inbox/", "/notifications/", f"/tickets/{bodies['number']}/"]
    urls += [f"/tickets/{t['number']}/" for t in poisoned["tickets"][::7]]
    urls += [f"/search/?q={q}" for q in ("alert", "script", "click", poisoned["run"], "7*7", "onerror")]
    urls += [
        f"/customers/contacts/{t['requester']['id']}/" for t in poisoned["tickets"][::8] if t.get("requester")
    ]
    urls += [f"/customers/organizations/{o['id']}/" for o in poisoned["orgs"][::8]]
    for url in urls:
        problems += visit(page, url, recorder, requests)
    # Interaction: hover and focus everything in the timeline, press the page's shortcuts.
    page.goto(f"/tickets/{bodies['number']}/")
    page.locator("#timeline .message-body *").evaluate_all(
        """els => els.forEach(el => {
          for (const type of ["mouseover", "mouseenter", "focus", "focusin", "animationstart"]) {
            el.dispatchEvent(new Event(type, {bubbles: true}));
          }
        })"""
    )
    page.locator("body").click(position={"x": 1, "y": 1})
    for key in ("j", "k", "?", "Escape"):
        page.keyboard.press(key)
    problems += [f"after interaction: {p}" for p in page.evaluate(DOM_CHECK)]
    assert_clean(recorder, problems, requests)


def test_a_payload_typed_into_search_does_not_run(browse: Browse, recorder: Recorder, server: Server) -> None:
    page = browse.page("admin", xss_trap=True)
    requests = watch_requests(page)
    problems: list[str] = []
    for payload in CORPUS[::4]:
        page.goto("/inbox/")
        page.keyboard.press("/")
        page.keyboard.type(payload)
        page.keyboard.press("Enter")
        page.wait_for_url("**/search/?q=*")
        page.wait_for_load_state()
        page.wait_for_timeout(150)
        problems += [f"q={payload}: {p}" for p in page.evaluate(DOM_CHECK)]
    assert_clean(recorder, problems, requests)


def test_no_payload_runs_on_the_portal(
    browse: Browse, recorder: Recorder, server: Server, poisoned: dict[str, Any]
) -> None:
    ctx = browse.context(xss_trap=True)
    page = ctx.new_page()
    requests = watch_requests(page)
    portal_sign_in(page, server, f"bodies@{poisoned['run']}-0.test")
    problems: list[str] = []
    for url in (
        "/portal/requests/",
        f"/portal/requests/{poisoned['bodies']['number']}/",
        "/portal/requests/new/",
    ):
        problems += visit(page, url, recorder, requests)
    assert_clean(recorder, problems, requests)
