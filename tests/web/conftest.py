"""Browser tests: a real ``theratrial serve`` and Debian's chromium driven by Playwright.

The server is the command a site runs (``theratrial serve --db URL --port P``) on a
temporary store, with one user per role at site ``SITE-A`` (and ``admin``); the browser is
``/usr/bin/chromium`` launched by Playwright with ``executable_path`` (no download). Each
test gets a fresh browser context (its own cookies). Screenshots go to
``build/web-screenshots/`` (look at them); :func:`check_a11y` runs axe-core (vendored in
``tests/web/vendor`` with its MPL-2.0 licence) and fails on a serious or critical violation.

Without chromium the browser tests are skipped with the reason, unless
``THERATRIAL_REQUIRE_BROWSER=1`` (set by ``.ci/run``), where they fail.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from ..conftest import wait_until_ready

os.environ.setdefault("THERATRIAL_ARGON2_TIME_COST", "1")
os.environ.setdefault("THERATRIAL_ARGON2_MEMORY_KIB", "1024")

PASSWORD = "correct horse battery staple"
SITE = "SITE-A"
OTHER_SITE = "SITE-B"
ROLES = (
    "admin", "investigator", "physician", "physicist",
    "coordinator", "statistician", "monitor", "sponsor",
)  # fmt: skip
SHOTS = Path(__file__).resolve().parents[2] / "build" / "web-screenshots"
AXE = Path(__file__).with_name("vendor") / "axe.min.js"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/lib/chromium/chromium")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class WebServer:
    """A running ``theratrial serve``: base URL, store URL, log, and one API token per user."""

    base_url: str
    db_url: str
    log: Path
    tokens: dict[str, str]

    def client(self, user: str | None = None) -> httpx.Client:
        """An API client (Bearer token of ``user``) for arranging data the test needs."""
        headers = {"Authorization": f"Bearer {self.tokens[user]}"} if user else {}
        return httpx.Client(base_url=f"{self.base_url}/api/v1", headers=headers, timeout=60)


def _theratrial() -> str:
    exe = Path(sys.executable).with_name("theratrial")
    return str(exe) if exe.exists() else "theratrial"


def start_web_server(db_url: str, tmp: Path) -> Iterator[WebServer]:
    """Create the users (one per role at SITE-A, plus *-b at SITE-B), start, wait, yield, stop."""
    from theratrial.api import accounts
    from theratrial.store import connect, session_scope

    engine = connect(db_url)
    tokens: dict[str, str] = {}
    with session_scope(engine) as session:
        for role in ROLES:
            for name, site in ((role, SITE), (f"{role}-b", OTHER_SITE)):
                p = accounts.add_user(session, name, role=role, sites=[site], password=PASSWORD)
                tokens[name] = accounts.create_token(session, p, "web tests")
    engine.dispose()
    port = _free_port()
    log = tmp / "serve.log"
    env = {**os.environ, "THERATRIAL_ARGON2_TIME_COST": "1", "THERATRIAL_ARGON2_MEMORY_KIB": "1024"}
    with log.open("w") as out:
        proc = subprocess.Popen(
            [_theratrial(), "serve", "--host", "127.0.0.1", "--port", str(port), "--db", db_url],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=tmp,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base, proc, log, timeout_s=90, what="theratrial serve")
        yield WebServer(base, db_url, log, tokens)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    """The service on a temporary SQLite store, shared by the browser tests of a session."""
    tmp = tmp_path_factory.mktemp("web-sqlite")
    yield from start_web_server(f"sqlite:///{tmp / 'store.sqlite'}", tmp)


@pytest.fixture(scope="session")
def web_server_postgres(
    postgres_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WebServer]:
    """The service on its own database of the test PostgreSQL server (the main flow runs here)."""
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"web_{uuid.uuid4().hex[:8]}"
    url = make_url(postgres_url)
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    tmp = tmp_path_factory.mktemp("web-postgres")
    yield from start_web_server(url.set(database=name).render_as_string(hide_password=False), tmp)


def _chromium() -> str | None:
    for path in CHROMIUM_CANDIDATES:
        if Path(path).exists():
            return path
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's chromium, headless, launched by Playwright (no Playwright download)."""
    exe = _chromium()
    if exe is None:
        reason = "Debian chromium is not installed (apt-get install chromium); .ci/run installs it"
        if os.environ.get("THERATRIAL_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=exe, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser tab (own cookies) that fails the test on any uncaught page error."""
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="en-GB")
    tab = context.new_page()
    tab.set_default_timeout(20_000)
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


@dataclass
class Web:
    """One browser tab on one server, with what a browser test does to it.

    ``login(user)`` signs in through the form; ``visit(path)`` opens ``#PATH`` and waits until
    the page has rendered; ``shot(name)`` writes ``build/web-screenshots/NAME.png``;
    ``a11y(name)`` runs axe-core and fails on a serious or critical violation.
    """

    page: Any
    server: WebServer
    password: str = PASSWORD

    def login(self, user: str) -> None:
        self.page.goto(f"{self.server.base_url}/#/login")
        self.page.get_by_label("User name").fill(user)
        self.page.get_by_label("Password").fill(self.password)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.locator("#sign-out").wait_for()
        self.wait()

    def wait(self) -> None:
        """Until the current page has rendered (the router clears ``aria-busy``)."""
        self.page.wait_for_function("() => !document.querySelector('main[aria-busy]')")

    def visit(self, path: str) -> None:
        """Open ``#PATH`` and wait until the router has rendered this visit (not the last)."""
        url = f"{self.server.base_url}/#{path}"
        same_document = self.page.url.startswith(self.server.base_url)
        before = ""
        if same_document:
            before = self.page.evaluate("() => document.documentElement.dataset.rendered || ''")
        if self.page.url == url:
            self.page.reload()  # the same address again fires no hashchange
            before = ""
        else:
            self.page.goto(url)
        self.page.wait_for_function(
            "(b) => (document.documentElement.dataset.rendered || '') !== b"
            " && !document.querySelector('main[aria-busy]')",
            arg=before,
        )

    def shot(self, name: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def a11y(self, name: str) -> list[dict[str, Any]]:
        page = self.page
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            # evaluated over the DevTools protocol: the page's CSP (no inline script) stays on
            page.evaluate(AXE.read_text(encoding="utf-8"))
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        bad = [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]
        summary = [
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
            for v in bad
        ]
        assert not bad, f"axe-core on {name}: {summary}"
        return list(result["violations"])


@pytest.fixture
def web(page: Any, web_server: WebServer) -> Web:
    """A tab on the SQLite server."""
    return Web(page, web_server)


@pytest.fixture
def web_pg(page: Any, web_server_postgres: WebServer) -> Web:
    """A tab on the PostgreSQL server (the main flows run here too)."""
    return Web(page, web_server_postgres)
