"""Browser tests: a real `zabota run` server driven by Playwright with Debian's Chromium.

- ``server`` (package scope): `zabota run` (ASGI: HTTP + WebSockets, embedded worker threads) on a
  free loopback port against its OWN database: a SQLite file in a temporary directory, or, when
  DATABASE_URL is set (CI's PostgreSQL pass), a fresh database ``zabota_e2e_<pid>`` on that
  server, dropped afterwards. REDIS_URL passes through (live updates then go through Redis).
  The server runs like production: no ZABOTA_DEBUG, no HUEY_IMMEDIATE, collected static files;
  mail goes to files (EMAIL_FILE_PATH) so tests read the portal sign-in link.
- The pytest process never touches that database: tests observe through the browser and
  arrange data through the HTTP API (``api("alice")``).
- One Chromium per package, a new context per ``page`` / ``login`` call. Every page records
  CSP violations (an init script listens for ``securitypolicyviolation``), uncaught errors and
  console errors; a test fails when a page broke its own CSP or threw.
- Chromium missing is a failure, never a skip: CI must run these tests.

Package scope, not session scope: Playwright's sync API keeps an asyncio loop marked as running
on the main thread, which would make every later database test raise SynchronousOnlyOperation;
closing it when this package is done keeps the rest of the suite unaffected.
"""

from __future__ import annotations

import atexit
import base64
import email
import email.policy
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

expect.set_options(timeout=8_000)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
TIMEOUT_MS = 10_000

# Runs in every document before the page's own scripts (CDP, so the page's CSP does not apply).
INIT_SCRIPT = """
(() => {
  window.__cspViolations = [];
  window.__xss = [];
  window.__errors = [];
  document.addEventListener("securitypolicyviolation", (e) => {
    const v = {directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample,
               source: e.sourceFile, line: e.lineNumber, page: location.pathname};
    window.__cspViolations.push(v);
    if (window.__zbReport) window.__zbReport("csp", JSON.stringify(v));
  });
  window.addEventListener("error", (e) => {
    if (window.__zbReport && e.message) window.__zbReport("error", e.message + " @ " + location.pathname);
  });
})();
"""

# Added only by the XSS tests: any dialog or a call to window.__xss.push is a payload that ran.
XSS_TRAP_SCRIPT = """
(() => {
  const trap = (kind) => function (m) {
    window.__xss.push(kind + ":" + String(m));
    if (window.__zbReport) window.__zbReport("xss", kind + ":" + String(m) + " @ " + location.pathname);
    return kind === "confirm" ? false : null;
  };
  window.alert = trap("alert");
  window.confirm = trap("confirm");
  window.prompt = trap("prompt");
  const push = Array.prototype.push;
  window.__xss.push = function (...args) {
    if (window.__zbReport) window.__zbReport("xss", "push:" + args.join(",") + " @ " + location.pathname);
    return push.apply(this, args);
  };
})();
"""


# --- The server ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresDatabase:
    """A throw-away database on the server DATABASE_URL points at."""

    def __init__(self, url: str):
        self.admin_url = url
        parts = urllib.parse.urlsplit(url)
        self.name = f"zabota_e2e_{os.getpid()}"
        self.url = urllib.parse.urlunsplit(parts._replace(path="/" + self.name))
        self.maintenance = urllib.parse.urlunsplit(parts._replace(path="/postgres"))

    def _run(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.maintenance, autocommit=True) as conn:
            conn.execute(sql)

    def create(self) -> None:
        self._run(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self._run(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        self._run(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@dataclass
class Server:
    url: str
    cast: dict[str, Any]
    mail_dir: Path
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    redis: bool = False

    @property
    def password(self) -> str:
        return self.cast["password"]

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])

    def log_size(self) -> int:
        try:
            return self.log_path.stat().st_size
        except FileNotFoundError:
            return 0

    def log_since(self, offset: int) -> str:
        try:
            with self.log_path.open("rb") as f:
                f.seek(offset)
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    # -- mail --
    def mails(self) -> list[email.message.EmailMessage]:
        """Every message the server wrote with the file-based mail backend, oldest first."""
        found: list[email.message.EmailMessage] = []
        if not self.mail_dir.exists():
            return found
        for path in sorted(self.mail_dir.glob("*.log"), key=lambda p: (p.stat().st_mtime, p.name)):
            raw = path.read_bytes()
            # The file backend separates messages with a line of 79 dashes.
            for chunk in re.split(rb"\n-{79}\n", raw):
                if chunk.strip():
                    found.append(email.message_from_bytes(chunk.strip() + b"\n", policy=email.policy.default))  # type: ignore[arg-type]
        return found

    def wait_for_mail(self, to: str, *, after: int = 0, timeout: float = 20) -> email.message.EmailMessage:
        """The first message to ``to`` beyond the first ``after`` messages (the worker sends it)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for msg in self.mails()[after:]:
                if to.lower() in str(msg.get("To", "")).lower():
                    return msg
            time.sleep(0.2)
        raise AssertionError(f"no mail to {to} within {timeout}s; server log:\n{self.log_tail()}")

    # -- API --
    def api(self, who: str) -> Api:
        return Api(self.url, self.cast["tokens"][who])


class Api:
    """A tiny JSON client for /api/v1 with a Bearer token, to arrange data for a story."""

    def __init__(self, base: str, token: str):
        self.base = base + "/api/v1"
        self.token = token

    def request(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.base + path,
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                payload = resp.read()
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"{method} {path} -> {exc.code}: {exc.read()[:500]!r}") from exc
        return json.loads(payload) if payload else None

    def get(self, path: str) -> Any:
        return self.request("GET", path)

    def post(self, path: str, body: Any) -> Any:
        return self.request("POST", path, body)

    def patch(self, path: str, body: Any) -> Any:
        return self.request("PATCH", path, body)

    def ticket(self, subject: str, body: str = "Please help.", **fields: Any) -> dict[str, Any]:
        """Open a ticket (by default from carol) and return the API's detail of it."""
        fields.setdefault("requester", {"email": "carol@acme.test", "name": "Carol Customer"})
        return self.post("/tickets", {"subject": subject, "body": body, **fields})

    def attachment(self, name: str, content: bytes) -> dict[str, str]:
        return {"name": name, "content_base64": base64.b64encode(content).decode()}


_current: Server | None = None


def _run(cmd: list[str], env: dict[str, str], log: Path, what: str) -> str:
    proc = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, timeout=300)
    with log.open("ab") as f:
        f.write(f"$ {' '.join(cmd)}\n".encode() + proc.stderr)
    if proc.returncode != 0:
        pytest.fail(
            f"{what} failed ({proc.returncode}):\n{proc.stdout.decode()[-3000:]}\n{proc.stderr.decode()[-3000:]}",
            pytrace=False,
        )
    return proc.stdout.decode()


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    global _current
    tmp = tmp_path_factory.mktemp("e2e")
    var = tmp / "var"
    mail = tmp / "mail"
    var.mkdir()
    mail.mkdir()
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"ZABOTA_DEBUG", "HUEY_IMMEDIATE", "ZABOTA_TESTING", "DATABASE_URL", "MEDIA_ROOT"}
        and not k.startswith(("PYTEST", "S3_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="zabota.config.settings",
        ZABOTA_VAR_DIR=str(var),
        STORAGE_BACKEND="local",
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(mail),
        ZABOTA_SITE_URL=url,
        HUEY_NAME=f"zabota_e2e_{os.getpid()}",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    pg = PostgresDatabase(os.environ["DATABASE_URL"]) if os.environ.get("DATABASE_URL") else None
    if pg is not None:
        pg.create()
        env["DATABASE_URL"] = pg.url
    log = tmp / "server.log"
    zabota = str(BIN / "zabota")
    process: subprocess.Popen[bytes] | None = None
    try:
        # collectstatic needs no database: run it beside migrate + seed.
        static = subprocess.Popen(
            [zabota, "collectstatic", "--noinput", "-v0"],
            env=env,
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        _run([zabota, "migrate", "--noinput", "-v0"], env, log, "zabota migrate")
        out = _run([str(BIN / "python"), str(REPO / "tests/browser/seed.py")], env, log, "seed")
        static_out, _ = static.communicate(timeout=300)
        if static.returncode != 0:
            pytest.fail(f"zabota collectstatic failed:\n{static_out.decode()[-3000:]}", pytrace=False)
        cast = json.loads(out.strip().splitlines()[-1])
        with log.open("ab") as f:
            process = subprocess.Popen(
                [zabota, "run", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                env=env,
                cwd=REPO,
                stdout=f,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        atexit.register(_stop, process)  # even if pytest is interrupted before the teardown
        srv = Server(
            url=url, cast=cast, mail_dir=mail, log_path=log, process=process, redis=bool(env.get("REDIS_URL"))
        )
        _wait_healthy(srv)
        _current = srv
        yield srv
    finally:
        _current = None
        if process is not None:
            _stop(process)
        if pg is not None:
            pg.drop()


def _wait_healthy(srv: Server, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        assert srv.process is not None
        if srv.process.poll() is not None:
            pytest.fail(f"zabota run exited with {srv.process.returncode}:\n{srv.log_tail()}", pytrace=False)
        try:
            with urllib.request.urlopen(srv.url + "/healthz", timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError) as exc:
            last = str(exc)
        time.sleep(0.2)
    pytest.fail(f"zabota run not healthy after {timeout}s ({last}):\n{srv.log_tail()}", pytrace=False)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


# --- The browser -----------------------------------------------------------------------------


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    if not (os.path.exists(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        # CI installs it (.ci/run); a missing browser must fail the run, never skip it.
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@dataclass
class Recorder:
    """What went wrong in the pages of one test: CSP violations, uncaught errors, console errors."""

    csp: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    xss: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def report(self, kind: str, detail: str) -> None:
        {"csp": self.csp, "error": self.errors, "xss": self.xss}.get(kind, self.console).append(detail)

    def summary(self) -> str:
        parts = []
        for name in ("csp", "errors", "xss", "dialogs", "console"):
            items = getattr(self, name)
            if items:
                parts.append(f"{name}:\n  " + "\n  ".join(items))
        return "\n".join(parts)


class Browse:
    """Opens pages in fresh browser contexts, logged in as a persona or anonymous."""

    def __init__(self, browser: Any, server: Server, recorder: Recorder, states: dict[str, Any]):
        self.browser = browser
        self.server = server
        self.recorder = recorder
        self.states = states
        self.contexts: list[Any] = []

    def context(self, *, storage_state: Any = None, xss_trap: bool = False, **options: Any) -> Any:
        options.setdefault("locale", "en-US")
        options.setdefault("timezone_id", "UTC")
        options.setdefault("viewport", {"width": 1280, "height": 900})
        ctx = self.browser.new_context(base_url=self.server.url, storage_state=storage_state, **options)
        ctx.set_default_timeout(TIMEOUT_MS)
        ctx.expose_function("__zbReport", self.recorder.report)
        ctx.add_init_script(INIT_SCRIPT)
        if xss_trap:
            ctx.add_init_script(XSS_TRAP_SCRIPT)
        ctx.on("page", self._watch)
        self.contexts.append(ctx)
        return ctx

    def _watch(self, page: Any) -> None:
        rec = self.recorder
        page.on("pageerror", lambda exc: rec.errors.append(f"{exc} @ {page.url}"))
        page.on(
            "console",
            lambda msg: rec.console.append(f"{msg.text} @ {page.url}") if msg.type == "error" else None,
        )

        def dialog(d: Any) -> None:
            rec.dialogs.append(f"{d.type}: {d.message} @ {page.url}")
            d.accept()

        page.on("dialog", dialog)

        def response(r: Any) -> None:
            # A server error, or a missing script or stylesheet, is a broken page whatever the story.
            if r.status >= 500 or ("/static/" in r.url and r.status >= 400):
                rec.errors.append(f"{r.status} {r.request.method} {r.url} (from {page.url})")

        page.on("response", response)

    def page(self, who: str | None = None, **options: Any) -> Any:
        """A new page in a new context; ``who`` ("alice", "bob", ...) logs in first (cached)."""
        state = self.login_state(who) if who else None
        ctx = self.context(storage_state=state, **options)
        return ctx.new_page()

    def login_state(self, who: str) -> Any:
        if who not in self.states:
            ctx = self.context()
            page = ctx.new_page()
            log_in(page, self.server.cast["agents"][who]["email"], self.server.password)
            page.wait_for_url(re.compile(r"/inbox/"))
            self.states[who] = ctx.storage_state()
            ctx.close()
            self.contexts.remove(ctx)
        return self.states[who]

    def portal_page(self, address: str = "carol@acme.test", **options: Any) -> Any:
        """A new page signed in to the portal as the contact with that address (by link, cached:
        the portal allows only a few links per address per quarter hour)."""
        key = "portal:" + address
        if key not in self.states:
            ctx = self.context()
            page = ctx.new_page()
            portal_sign_in(page, self.server, address)
            self.states[key] = ctx.storage_state()
            ctx.close()
            self.contexts.remove(ctx)
        ctx = self.context(storage_state=self.states[key], **options)
        return ctx.new_page()

    def close(self) -> None:
        for ctx in self.contexts:
            try:
                ctx.close()
            except Exception:
                pass


def log_in(page: Any, email_address: str, password: str, next_url: str = "") -> None:
    """Sign in through the /login/ form like a person would."""
    page.goto("/login/" + (f"?next={urllib.parse.quote(next_url)}" if next_url else ""))
    form = page.locator("form").filter(has=page.locator("input[name=password]"))
    form.locator("input[name=username]").fill(email_address)
    form.locator("input[name=password]").fill(password)
    form.locator("button[type=submit], input[type=submit]").first.click()


LINK = re.compile(r"https?://[^\s\"<>]+(/portal/link/[A-Za-z0-9_-]+)")


def request_portal_link(page: Any, server: Server, address: str, slug: str = "acme") -> str:
    """Ask for a sign-in link on the branded portal page; return its path from the mail."""
    before = len(server.mails())
    page.goto(f"/portal/{slug}/")
    page.locator("#portal-sign-in-form input[name=email]").fill(address)
    page.locator("#portal-send-link").click()
    page.wait_for_load_state()
    mail = server.wait_for_mail(address, after=before)
    body = mail.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else str(mail)
    found = LINK.search(text)
    assert found, f"no sign-in link in the mail:\n{text}"
    return found.group(1)


def portal_sign_in(page: Any, server: Server, address: str) -> None:
    """The whole portal sign-in: request a link, open it from the mail, press the button."""
    path = request_portal_link(page, server, address)
    page.goto(path)
    page.locator("#portal-use-link").click()
    page.wait_for_url(re.compile(r"/portal/requests/"))


_states: dict[str, Any] = {}


@pytest.fixture(scope="package")
def _login_states() -> dict[str, Any]:
    return _states


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def browse(
    browser: Any,
    server: Server,
    recorder: Recorder,
    _login_states: dict[str, Any],
    request: pytest.FixtureRequest,
) -> Iterator[Browse]:
    b = Browse(browser, server, recorder, _login_states)
    offset = server.log_size()
    request.node._zb_log_offset = offset
    request.node._zb_recorder = recorder
    yield b
    b.close()
    # A page that broke its own Content-Security-Policy or threw is broken, whatever the story.
    problems = []
    if recorder.csp:
        problems.append("CSP violations:\n  " + "\n  ".join(recorder.csp))
    if recorder.errors:
        problems.append(
            "uncaught page errors, server errors, missing static files:\n  " + "\n  ".join(recorder.errors)
        )
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def page(browse: Browse) -> Any:
    """An anonymous page."""
    return browse.page()


@pytest.fixture
def cast(server: Server) -> dict[str, Any]:
    return server.cast


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    outcome = yield
    rep = outcome.get_result()
    if rep.failed and _current is not None:
        offset = getattr(item, "_zb_log_offset", None)
        text = _current.log_since(offset) if offset is not None else ""
        tail = "\n".join(text.splitlines()[-80:]) or _current.log_tail(40)
        rep.sections.append(("zabota server log (this test)", tail))
        recorder = getattr(item, "_zb_recorder", None)
        if recorder is not None and recorder.summary():
            rep.sections.append(("browser console", recorder.summary()))


def wait_until(check: Callable[[], Any], timeout: float = 10, message: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {message}")
        time.sleep(0.1)


_counter = [0]


def uid(prefix: str = "e2e") -> str:
    """A word no other ticket of the session contains (for searching and finding rows)."""
    _counter[0] += 1
    return f"{prefix}{os.getpid() % 1000}x{_counter[0]}q{int(time.time() * 1000) % 100000}"


CAROL = {"email": "carol@acme.test", "name": "Carol Customer"}


def new_ticket(server: Server, subject: str, body: str = "Please help.", **fields: Any) -> dict[str, Any]:
    """A fresh ticket in team Support, opened through the API as the admin, by default from
    pat (a customer of no organization; carol's own list stays short for the portal stories)."""
    fields.setdefault("team_id", server.cast["teams"]["support"])
    fields.setdefault("requester", {"email": "pat@customers.test", "name": "Pat Customer"})
    return server.api("admin").ticket(subject, body, **fields)


def messages(detail: dict[str, Any]) -> list[dict[str, Any]]:
    """The messages of a ticket detail from the API, oldest first."""
    return [e["message"] for e in detail["timeline"] if e["type"] == "message"]
