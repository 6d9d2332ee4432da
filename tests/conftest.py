"""Shared fixtures: a fresh migrated database per test on SQLite AND PostgreSQL, the app, a test
client, a live uvicorn server and Debian's Chromium through Playwright.

Helpers live in tests/support/ and import as `support.*` (this folder is put on sys.path).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

TESTS_DIR = Path(__file__).resolve().parent
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

from support.browser import DEFAULT_TIMEOUT_MS, LAUNCH_ARGS, chromium_path  # noqa: E402
from support.live import LiveServer  # noqa: E402
from support.pg import PostgresServer  # noqa: E402
from support.sqlite import copy_template, make_template  # noqa: E402

if TYPE_CHECKING:
    from litestar import Litestar
    from litestar.testing import TestClient
    from playwright.sync_api import Browser, Page
    from sqlalchemy.engine import Engine

    from portal.settings import Settings

BACKENDS = ("sqlite", "postgresql")
TEMPLATE_DB = "portal_template"
TEST_BASE_URL = "http://testserver.local"

# The tests must not pick up a developer's PORTAL_* settings (PORTAL_TEST_* are the tests' own knobs).
for _name in [n for n in os.environ if n.startswith("PORTAL_") and not n.startswith("PORTAL_TEST_")]:
    del os.environ[_name]


def pytest_configure(config: pytest.Config) -> None:
    """WeasyPrint's and fontTools' progress (INFO, a line per page and font) would flood a failing test's output:
    the tests that render PDFs without the app (archive/) get the app's levels too."""
    from portal.app import quiet_libraries

    quiet_libraries()
    _one_ast_parse_at_a_time()


def _one_ast_parse_at_a_time() -> None:
    """CPython 3.11 keeps ast.parse's recursion counter per interpreter, not per thread: two threads formatting a
    traceback at once (pytest showing a failure while a server thread logs an error; 3.11's traceback module parses
    each line for its carets) can make one of them raise "SystemError: AST constructor recursion depth mismatch",
    which pytest reports as an INTERNALERROR that ends the whole run. Parsing one at a time keeps a failure a failure.
    """
    import ast
    import threading

    if getattr(ast.parse, "_one_at_a_time", False):
        return
    parse, lock = ast.parse, threading.RLock()

    def serialised(*args: Any, **kwargs: Any) -> Any:
        with lock:
            return parse(*args, **kwargs)

    serialised._one_at_a_time = True  # type: ignore[attr-defined]
    ast.parse = serialised  # type: ignore[assignment]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run browser tests last: Playwright's sync API keeps an event loop on the main thread."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


# --- databases ------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL server (one per xdist worker) with a migrated `portal_template` database."""
    from portal.db import migrate

    server = PostgresServer().start()
    try:
        migrate(server.create_database(TEMPLATE_DB))
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per session (per xdist worker)."""
    return make_template(tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3")


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh database at the latest migration, once per backend (ids `[sqlite]`, `[postgresql]`)."""
    if request.param == "sqlite":
        yield copy_template(request.getfixturevalue("sqlite_template"), tmp_path / "var" / "portal.sqlite3")
        return
    server: PostgresServer = request.getfixturevalue("pg_server")
    name = server.new_database_name()
    url = server.create_database(name, template=TEMPLATE_DB)
    try:
        yield url
    finally:
        server.drop_database(name)


@pytest.fixture
def db_backend(db_url: str) -> str:
    """`sqlite` or `postgresql`: the backend of this test's database."""
    return "sqlite" if db_url.startswith("sqlite") else "postgresql"


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    from portal.settings import Settings

    return Settings(data_dir=tmp_path / "var", database_url=db_url, secret_key="test-secret", _env_file=None)


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    from portal.db import make_engine

    eng = make_engine(settings.effective_database_url)
    try:
        yield eng
    finally:
        eng.dispose()


# --- the app --------------------------------------------------------------------------------
@pytest.fixture
def app(settings: Settings) -> Litestar:
    from portal.app import create_app

    return create_app(settings)


@pytest.fixture
def client(app: Litestar) -> Iterator[TestClient[Any]]:
    """Litestar's TestClient (runs the app's lifespan); cookies are not Secure in tests."""
    from litestar.testing import TestClient

    with TestClient(app=app, base_url=TEST_BASE_URL) as test_client:
        yield test_client


@pytest.fixture
def live_server(settings: Settings) -> Iterator[str]:
    """Base URL (`http://127.0.0.1:<port>`) of a real uvicorn server running its own app from `settings`."""
    from portal.app import create_app

    server = LiveServer(create_app(settings))
    url = server.start()
    try:
        yield url
    finally:
        server.stop()


# --- the browser ----------------------------------------------------------------------------
@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium, one per session (per xdist worker)."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=DEFAULT_TIMEOUT_MS)
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=LAUNCH_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


def _new_page(request: pytest.FixtureRequest, browser: Browser, **context_options: Any) -> Iterator[Page]:
    if "live_server" in request.fixturenames:
        context_options.setdefault("base_url", request.getfixturevalue("live_server"))
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **context_options)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def page(request: pytest.FixtureRequest, browser: Browser) -> Iterator[Page]:
    """A page in a new browser context; `page.goto("/path")` works when the test also uses live_server."""
    yield from _new_page(request, browser)


@pytest.fixture
def page_nojs(request: pytest.FixtureRequest, browser: Browser) -> Iterator[Page]:
    """Like `page`, with JavaScript disabled (checks that pages work without it)."""
    yield from _new_page(request, browser, java_script_enabled=False)
