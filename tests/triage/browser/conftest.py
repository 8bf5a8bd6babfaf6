"""The browser fixtures of ``tests/browser`` (a real ``zabota run`` server and Chromium), reused
for the triage stories. Package scope, as there: Playwright's loop is closed when this package
is done, so the database tests of ``tests/triage`` are unaffected."""

from tests.browser.conftest import (  # noqa: F401  (fixtures and the report hook)
    _login_states,
    browse,
    browser,
    pytest_runtest_makereport,
    recorder,
    server,
)
