"""Browser fixtures: Debian's Chromium driven by Playwright's sync API.

Playwright's own browser download does not work on these machines, so the tests launch
/usr/bin/chromium; without it they skip with the reason, unless CONSULT_REQUIRE_BROWSER=1
(CI), where a missing browser is a failure. Screenshots go to tests/e2e/artifacts/.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
# Without the background-networking flags Chromium keeps trying to reach the internet.
LAUNCH_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}


def browser_require() -> None:
    """Skips the test when Chromium is absent, or fails it when CONSULT_REQUIRE_BROWSER=1."""
    if CHROMIUM.exists():
        return
    if os.environ.get("CONSULT_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{CHROMIUM} is missing and CONSULT_REQUIRE_BROWSER=1")
    pytest.skip(
        f"{CHROMIUM} is not installed (apt-get install chromium); "
        "set CONSULT_REQUIRE_BROWSER=1 to fail instead"
    )


@pytest.fixture
def artifacts() -> Path:
    """The folder for screenshots (ignored by git)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A headless Chromium for one test; open a context per person (separate cookies)."""
    browser_require()
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread; the ORM calls in the
    # test are plain synchronous test code, not code running inside that loop.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    # While that loop runs, Django keeps this thread's database connection somewhere else
    # (asgiref's Local switches from thread to context storage), so a connection opened before
    # or during the test would be left open and block dropping the test database.
    _connections_close()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
            _connections_close()
    _connections_close()


def _connections_close() -> None:
    """Closes this thread's database connections, unless a test transaction holds one."""
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close()
