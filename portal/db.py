"""Database engine, sessions and migrations (SQLite by default, PostgreSQL for real deployments)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Enum as SAEnum
from sqlalchemy import event, or_, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import NullPool
from sqlmodel import Session, create_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
IDLE_PING_SECONDS = 10.0


def utcnow() -> datetime:
    """Aware UTC now (SQLModel stores aware datetimes and returns them in UTC)."""
    return datetime.now(UTC)


def enum_column(enum_cls: type, length: int = 24) -> SAEnum:
    """Store a StrEnum by its value in a plain VARCHAR, so new members need no type migration."""
    return SAEnum(enum_cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


def make_engine(url: str, *, pooled: bool = True, idle_ping_seconds: float = IDLE_PING_SECONDS) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys and a busy timeout; a PostgreSQL pool checks connections
    that sat idle (see ping_when_idle)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs = {} if pooled else {"poolclass": NullPool}
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
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
            # Straight to the driver: every request begins once, and SQLAlchemy's statement machinery costs more than BEGIN.
            conn.connection.driver_connection.execute(
                "BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE"
            )

        return engine
    if not pooled:
        return create_engine(url, poolclass=NullPool)
    engine = create_engine(url, pool_size=5, max_overflow=10)
    ping_when_idle(engine, idle_ping_seconds)
    return engine


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
def transaction(engine: Engine) -> Iterator[Session]:  # engine: a writer, or read_only(engine)
    """One unit of work: commit on success, roll back on any error."""
    with Session(engine, expire_on_commit=False) as session:
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
