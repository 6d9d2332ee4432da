"""Database engine, sessions and migrations (SQLite by default, PostgreSQL for real deployments)."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Enum as SAEnum
from sqlalchemy import event, or_, select, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, IntegrityError
from sqlalchemy.orm import declared_attr
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.pool import NullPool
from sqlmodel import Session, create_engine

from portal.errors import Conflict

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
IDLE_PING_SECONDS = 10.0
# How long a request waits for SQLite's write lock, or for a pooled connection, before it is answered 503 "系统繁忙"
# (portal.web.errors.on_busy). Write transactions last milliseconds; a wait this long means something is wrong.
BUSY_SECONDS = 15


def utcnow() -> datetime:
    """Aware UTC now (SQLModel stores aware datetimes and returns them in UTC)."""
    return datetime.now(UTC)


def enum_column(enum_cls: type, length: int = 24) -> SAEnum:
    """Store a StrEnum by its value in a plain VARCHAR, so new members need no type migration."""
    return SAEnum(enum_cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


def make_engine(
    url: str, *, pooled: bool = True, connections: int | None = None, idle_ping_seconds: float = IDLE_PING_SECONDS
) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys and a busy timeout; a PostgreSQL pool checks connections
    that sat idle (see ping_when_idle). `connections`: a pool of exactly that many, and a request that finds none free
    within BUSY_SECONDS fails (503) instead of waiting on (the server sizes it for its threads, see portal.app)."""
    parsed = make_url(url)
    sizing: dict = {}
    if not pooled:
        sizing = {"poolclass": NullPool}
    elif connections:
        sizing = {"pool_size": connections, "max_overflow": 0, "pool_timeout": BUSY_SECONDS}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": BUSY_SECONDS}, **sizing)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={BUSY_SECONDS * 1000}")
            # Prefix LIKE on materialised paths can then use their indexes (paths have no letters anyway).
            cur.execute("PRAGMA case_sensitive_like=ON")
            # Reads come from memory-mapped pages and a 64 MB page cache per connection rather than a
            # read() per page: a list page at 100,000 cases costs ~1.5 ms less (bench/cases.py).
            cur.execute("PRAGMA mmap_size=1073741824")
            cur.execute("PRAGMA cache_size=-65536")
            cur.close()
            # Let SQLAlchemy's "begin" event below issue BEGIN itself (pysqlite recipe).
            dbapi_conn.isolation_level = None

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn) -> None:  # noqa: ANN001
            # Writers take the lock at BEGIN, so two writers queue instead of failing on upgrade;
            # readers (see read_only) begin deferred and never wait for each other.
            # Straight to the driver: every request begins once, and SQLAlchemy's statement machinery costs more
            # than BEGIN. Its error is wrapped as SQLAlchemy would (a lock held past the busy timeout is a 503).
            begin = "BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE"
            try:
                conn.connection.driver_connection.execute(begin)
            except sqlite3.Error as exc:
                raise DBAPIError.instance(begin, None, exc, sqlite3.Error) from exc

        return engine
    # A row lock (lock(), an UPDATE) waited for longer than SQLite's busy timeout fails the same way, 503, instead of
    # the request hanging for as long as the other transaction lives.
    # JIT off: the statistics' aggregates over a county's cases cost PostgreSQL ~150 ms each to compile and ~10 ms to
    # run without it (bench/stats.py, EXPLAIN ANALYZE); no page of the portal runs long enough to repay compiling.
    # No parallel workers: the server's own threads keep the cores busy, and starting two workers for a statement of
    # 20 ms made the statistics page slower (wall and CPU) on the 2-core machine.
    timeouts = {"options": f"-c lock_timeout={BUSY_SECONDS * 1000} -c jit=off -c max_parallel_workers_per_gather=0"}
    if not pooled:
        return create_engine(url, poolclass=NullPool, connect_args=timeouts)
    engine = create_engine(url, connect_args=timeouts, **(sizing or {"pool_size": 5, "max_overflow": 10}))
    ping_when_idle(engine, idle_ping_seconds)
    return engine


def keep_off_the_loop(engine: Engine) -> None:
    """Refuse to hand a pooled connection to the event loop's own thread (the loop that calls this, at start-up).

    Database work blocks; on the loop it stalls every request of the worker, and one that waits there for a pooled
    connection or a lock can wait for ever: the connection it waits for belongs to a request whose commit the stalled
    loop would have to run (issue 12's deadlock). Handlers and the auth middleware therefore run in threads (STYLE §12);
    this makes any slip fail loudly, in the tests first, instead of stalling a server under load.

    The loop's thread is kept as the object, not its ident: a finished thread's ident is given to the next thread
    started (an app started twice in one process, as tests do, would otherwise refuse an ordinary worker thread).
    """
    loop_thread = threading.current_thread()

    @event.listens_for(engine, "checkout")
    def _not_on_the_loop(_dbapi_conn, _record, _proxy) -> None:  # noqa: ANN001
        if threading.current_thread() is loop_thread:
            raise RuntimeError("database work on the event loop: run the handler with sync_to_thread=True")


def ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """Check a pooled connection before use when it has sat idle for `idle_seconds` or more, and replace it if the
    server no longer answers (a restarted database, a dropped idle connection).

    SQLAlchemy's pool_pre_ping pings at every checkout: one more round trip per request, the most a page makes
    when it is busy. A connection handed back moments ago is as alive as the ping would say; if the server went
    away in between, its first statement fails, SQLAlchemy sees a disconnect and replaces the whole pool, so at
    most one request per worker sees the error.
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn, record) -> None:  # noqa: ANN001
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn, record, _proxy) -> None:  # noqa: ANN001
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < idle_seconds:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:  # noqa: BLE001 - any failure means: do not hand this connection out
            raise DisconnectionError(f"connection idle {time.monotonic() - since:.0f} s did not answer: {exc}") from exc
        if not alive:
            raise DisconnectionError("connection did not answer the ping")


# --- several people at once (docs/architecture-concurrency.md) -----------------------------------------------------
# Every state change is atomic on both databases, by one of three means:
#   1. lock(): a write transaction takes the row of the thing it changes before it reads what it decides on;
#   2. versioned: a row with a `version` column is written as UPDATE … WHERE id = :id AND version = :seen, and a
#      stale write fails (StaleDataError, answered 409) instead of overwriting;
#   3. unique constraints and partial unique indexes for what may exist only once.


def writes(db: Session) -> bool:
    """Whether `db` writes (a read-only request's session never does, see read_only)."""
    return not db.get_bind().get_execution_options().get(READ_ONLY, False)


def lock(db: Session, model: type, row_id: object) -> None:
    """Hold the row `row_id` of `model` until this write transaction ends; later statements read it, and everything
    it decides, as the last writer left it.

    PostgreSQL runs at READ COMMITTED, and two requests that both read a state and then change it would both act on
    what they read: `SELECT … FOR UPDATE` makes the second wait for the first to commit, so it sees the first's change
    and answers as it would have if it had come later. SQLite needs nothing: a writer holds the database's write lock
    from its BEGIN IMMEDIATE on. Call it before reading the row (or read again with populate_existing afterwards);
    a read-only session takes no lock. Lock one kind of row per transaction, or always in the same order.
    """
    if db.get_bind().dialect.name == "postgresql" and writes(db):
        db.execute(select(model.id).where(model.id == row_id).with_for_update())


# For `__mapper_args__` of a model with a `version` column: the ORM then writes it with `… AND version = :seen` and
# raises StaleDataError when another transaction changed the row since it was read. The services still bump the
# version themselves (version_id_generator=False), as they compare it with the one a form carried.
versioned = declared_attr.directive(  # .directive: a declarative directive, typed as what it returns (same at runtime)
    lambda cls: {"version_id_col": cls.__table__.c.version, "version_id_generator": False}
)
STALE = "该内容刚刚已被他人修改或处理。请刷新页面查看最新内容后再操作。"


def stored_id(value: int | None) -> int:
    """The id of a row read from the database (or flushed): SQLModel types primary keys `int | None`, None only before
    the first flush, so code that hands a stored row's id on narrows it here."""
    if value is None:
        raise ValueError("a row without its id: not flushed yet")
    return value


def flush_once(db: Session, message: str) -> None:
    """Flush what was just added; if it may exist only once and already does (a unique constraint or partial unique
    index refused it: another request made it first), that is the Conflict `message`."""
    try:
        db.flush()
    except IntegrityError as exc:
        if is_duplicate(exc):
            raise Conflict(message) from exc
        raise


def is_duplicate(exc: IntegrityError) -> bool:
    """Whether a unique constraint refused the row (rather than, say, a foreign key)."""
    return getattr(exc.orig, "sqlstate", None) == "23505" or "UNIQUE constraint failed" in str(exc.orig)


class Unit(Session):
    """The session of one unit of work: a stale versioned write is the domain's Conflict (answered 409), wherever the
    flush happens — in a service, on autoflush, or at commit."""

    def flush(self, objects=None) -> None:  # noqa: ANN001
        try:
            super().flush(objects)
        except StaleDataError as exc:
            raise Conflict(STALE) from exc


def one_of(column, values):  # noqa: ANN001, ANN201
    """SQL `column IN (values)` for a fixed list of constants, written as equalities: SQLAlchemy expands an IN list's
    parameters anew on every execution (post-compile), which the busiest statements should not pay for."""
    return or_(*(column == value for value in values))


READ_ONLY = "portal_read_only"
_WRITES = ("INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER")


def read_only(engine: Engine) -> Engine:
    """The same engine for requests that only read: deferred on SQLite, and any write is a bug that fails loudly.

    On PostgreSQL reads run in autocommit: at READ COMMITTED, which the writer uses too, each statement sees its own
    snapshot inside a transaction as well, so BEGIN and COMMIT bought nothing but two round trips per request.
    (SQLite's deferred BEGIN does buy something: one snapshot for all of a page's reads.)
    """
    options: dict[str, object] = {READ_ONLY: True}
    if engine.dialect.name == "postgresql":
        options["isolation_level"] = "AUTOCOMMIT"
    reader = engine.execution_options(**options)

    @event.listens_for(reader, "before_cursor_execute")
    def _refuse_writes(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        if statement.lstrip().upper().startswith(_WRITES):
            raise RuntimeError("a read-only request tried to write: give its route opt={'writes': True}")

    return reader


@contextmanager
def transaction(engine: Engine, **binds: object) -> Iterator[Session]:  # engine: a writer, or read_only(engine)
    """One unit of work: commit on success, roll back on any error. `binds`: Session(binds=…) — some tables through
    another engine (see portal.app.provide_db: an audited view reads without the write lock)."""
    with Unit(engine, expire_on_commit=False, **binds) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def ping(engine: Engine) -> bool:
    """Whether the database answers."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - health check reports, never raises
        return False


def alembic_config(url: str):  # noqa: ANN201
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(url: str, revision: str = "head") -> None:
    """Bring the schema at `url` up to `revision` with Alembic."""
    from alembic import command

    if make_url(url).get_backend_name() == "sqlite":
        make_engine(url).dispose()  # creates the parent folder
    command.upgrade(alembic_config(url), revision)


# Registers the listener that refuses unstorable text in every session that writes (see portal.stored_text).
from portal import stored_text  # noqa: E402, F401
