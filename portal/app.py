"""The app factory: everything is built from one Settings object, nothing at import time."""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from zoneinfo import ZoneInfo

from anyio import to_thread
from jinja2 import Environment
from litestar import Litestar, Request
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from sqlalchemy.engine import Engine
from sqlmodel import Session

from portal import clock, serving
from portal.alerts.web import AlertController
from portal.api.web import ApiController
from portal.assessment.web import AssessmentController
from portal.assessment.web_rubric import RubricController
from portal.audit.models import AuditEntry, AuditHead
from portal.audit.web import AuditController
from portal.auth.sessions import Toucher
from portal.auth.web import AccountController, LoginController, logout
from portal.bulletins.web import BulletinController
from portal.cases.web import CaseController
from portal.cases.web_files import CaseFilesController
from portal.cases.web_loop import CaseLoopController
from portal.cases.web_reports import ReportController
from portal.cases.web_transfers import TransferController
from portal.db import Unit, keep_off_the_loop, make_engine, read_only, transaction
from portal.dossiers.web import dossier_router, start_keeping, stop_keeping
from portal.experts.web import ExpertController
from portal.health import healthz
from portal.ledger.web import LedgerController
from portal.meetings.web import MeetingController
from portal.orgs.web import OrgController
from portal.people.web import PeopleController, RosterController
from portal.problems.web import ProblemController
from portal.screening.web import ScreeningController
from portal.searching.indexer import IndexerThread
from portal.searching.service import start_warming
from portal.searching.web import SearchApiController, SearchController, SimilarCasesController
from portal.settings import Settings
from portal.stats.web import StatsApiController, StatsController
from portal.subsidies.web import SubsidyController
from portal.training.web import TrainingController
from portal.web import errors, filters, forms
from portal.web.auth import SessionAuthMiddleware
from portal.web.csrf_binding import SessionBoundCsrf
from portal.web.edge import FormGuard, check_request
from portal.web.security import add_security_headers
from portal.workspace import home, workspace
from portal.writers import Writers

PUBLIC_PATHS = ["^/static/", "^/healthz"]


async def provide_db(state: State, request: Request) -> AsyncIterator[Session]:
    """One transaction per request: committed when the handler returns, rolled back on error.

    GET and HEAD only read, unless their route says `opt={"writes": True}` (a view that is audited), or
    `opt={"writes": predicate}` when only some of its requests write.

    An async generator, so that Litestar ends it on the event loop: a sync one it ends in the thread pool, and that
    hand-off cost a read-only page ~10 % of its worker's time. Ending a read is cheap (a deferred transaction on
    SQLite, nothing on PostgreSQL, see read_only); a write's commit can wait on the disk or the network, so it still
    runs in a thread.
    """
    # Threads: the handler runs in the loop's executor (Threads below), its commit in anyio's, which nothing else
    # uses, so a commit never waits for a thread held by a handler that waits for the connection it would free.
    writes = request.route_handler.opt.get("writes", False)
    reads = request.method in ("GET", "HEAD") and not (writes(request) if callable(writes) else writes)
    if reads:
        # Nothing to commit: closing hands the connection back, and the pool's reset ends SQLite's deferred read.
        with Unit(state.reader, expire_on_commit=False) as session:
            yield session
        return
    if request.method in ("GET", "HEAD"):
        # An audited view (a print, a download, an export, a revealed number): it reads as a read-only request does
        # and writes only its audit entry, through the writer — on SQLite the write lock is taken at the entry, at
        # the end, not at the first read, so rendering a PDF or an export holds nobody's change up.
        async with _unit(state.reader, binds={AuditHead: state.engine, AuditEntry: state.engine}) as session:
            yield session
        return
    async with state.writers.turn(), _unit(state.engine) as session:  # the turn: on the loop, holding no thread
        yield session


@asynccontextmanager
async def _unit(engine: Engine, **binds: object) -> AsyncIterator[Session]:
    """A transaction (portal.db.transaction) begun here and ended in a thread: a commit waits on disk or network."""
    unit = transaction(engine, **binds)
    session = unit.__enter__()
    try:
        yield session
    except BaseException as exc:
        await to_thread.run_sync(unit.__exit__, type(exc), exc, exc.__traceback__)
        raise
    await to_thread.run_sync(unit.__exit__, None, None, None)


class Threads:
    """Each worker's threads and database connections, sized together.

    Handlers and the auth middleware run in the event loop's executor: `settings.threads` threads, each holding at
    most one pooled connection while it runs. Commits run in anyio's threads (provide_db). The pool has a connection
    for every handler thread, as many again for requests between their handler and their commit, and four for the
    background threads (search indexer, fixity schedule, dossier binding); one missing for BUSY_SECONDS is a 503."""

    def __init__(self, settings: Settings) -> None:
        self.count = max(1, settings.threads)

    @property
    def connections(self) -> int:
        return 2 * self.count + 4

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        loop.set_default_executor(ThreadPoolExecutor(max_workers=self.count, thread_name_prefix="portal-request"))


class SettledMemory:
    """What start-up builds (modules, templates, reference data, the search warm-up's sets) lives as long as the app:
    while it runs, keep it out of the cyclic collector's way (gc.freeze), so that a full collection walks only what
    requests leave behind — without this a worker stalled ~150 ms every few hundred requests, walking ~180,000
    start-up objects. Unfrozen when the app stops: tests run many apps in one process."""

    def __init__(self) -> None:
        self.running = False
        self.lock = threading.Lock()

    def _settle(self) -> None:
        gc.collect()
        gc.freeze()

    def start(self) -> None:
        with self.lock:
            self.running = True
            self._settle()

    def again(self) -> None:
        """After the background warm-up, which ends at its own pace: only while the app still runs."""
        with self.lock:
            if self.running:
                self._settle()

    def stop(self) -> None:
        with self.lock:
            self.running = False
            gc.unfreeze()


# Libraries that log every step at INFO (WeasyPrint a line per page, style sheet and font; fontTools per subset): their
# warnings and errors still show, their progress does not flood the portal's log or a failing test's output.
CHATTY_LOGGERS = ("weasyprint", "weasyprint.progress", "fontTools", "fontTools.subset", "fontTools.ttLib")


def quiet_libraries() -> None:
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    threads = Threads(settings)
    engine = make_engine(settings.effective_database_url, connections=threads.connections)
    toucher = Toucher(engine)
    writers = Writers(engine, threads.count)
    secret = settings.effective_secret_key()
    tz = ZoneInfo(settings.timezone)
    clock.set_timezone(settings.timezone)

    def configure_jinja(engine_: JinjaTemplateEngine) -> None:
        env: Environment = engine_.engine
        env.auto_reload = settings.debug  # in production templates are read once, not stat()ed on every render
        filters.register(env, tz, settings.static_dir)
        env.globals.update(forms.FIELDS)

    indexer = IndexerThread(settings, engine)  # one per worker; only the one holding the lock indexes
    memory = SettledMemory()
    logging.basicConfig(level=logging.DEBUG if settings.debug else logging.INFO)
    quiet_libraries()

    return Litestar(
        route_handlers=[
            home,
            workspace,
            healthz,
            LoginController,
            logout,
            AccountController,
            OrgController,
            PeopleController,
            RosterController,
            AuditController,
            CaseController,
            CaseLoopController,
            TransferController,
            ReportController,
            CaseFilesController,
            ProblemController,
            ScreeningController,
            ExpertController,
            LedgerController,
            ApiController,
            SearchController,
            SimilarCasesController,
            SearchApiController,
            StatsController,
            BulletinController,
            StatsApiController,
            dossier_router,
            AlertController,
            TrainingController,
            AssessmentController,
            RubricController,
            SubsidyController,
            MeetingController,
            create_static_files_router(
                path="/static", directories=[settings.static_dir], name="static", opt={"exclude_from_auth": True}
            ),
        ],
        dependencies={"db": Provide(provide_db)},
        state=State(
            {
                "settings": settings,
                "engine": engine,
                "reader": read_only(engine),
                "tz": tz,
                "toucher": toucher,
                "writers": writers,
            }
        ),
        template_config=TemplateConfig(
            directory=settings.templates_dir, engine=JinjaTemplateEngine, engine_callback=configure_jinja
        ),
        csrf_config=CSRFConfig(
            secret=secret,
            cookie_name="portal_csrf",
            cookie_httponly=True,
            cookie_secure=settings.cookie_secure,
            cookie_samesite="lax",
            header_name="x-csrftoken",
            exclude=PUBLIC_PATHS,
        ),
        # In this order: the session, the form body (portal.web.edge), the CSRF token's binding to the session; then
        # Litestar's own CSRF check, which always runs last, just before the handler.
        middleware=[
            DefineMiddleware(SessionAuthMiddleware, exclude=PUBLIC_PATHS),
            FormGuard,
            DefineMiddleware(SessionBoundCsrf, secret=secret, secure=settings.cookie_secure),
        ],
        before_request=check_request,  # ids, query parameters and form bodies no handler should see
        before_send=[add_security_headers, serving.balance_connections],
        exception_handlers=errors.HANDLERS,
        # The schema documents the JSON API only: pages are left out here, ApiController opts back in.
        openapi_config=OpenAPIConfig(
            title="调解卷宗门户 API",
            version="1",
            path="/api/schema",
            render_plugins=[JsonRenderPlugin()],
            description="只读 JSON 接口：与网站相同的登录会话（Cookie）和相同的可见范围。",
        ),
        include_in_schema=False,
        request_max_body_size=(settings.upload_max_mb + 1) * 1048576,
        on_startup=[
            threads.start,
            writers.start,
            toucher.start,
            indexer.start,
            start_keeping,  # recovers interrupted bindings: on the loop, but before any request is served
            memory.start,
            lambda: start_warming(settings.index_dir, then=memory.again),
            lambda: keep_off_the_loop(engine),  # from here on, the loop serves requests
        ],
        on_shutdown=[indexer.stop, stop_keeping, toucher.stop, writers.stop, memory.stop, engine.dispose],
        debug=settings.debug,
    )
