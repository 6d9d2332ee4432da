"""portal.db on a real PostgreSQL server: connections that went away, and reads without a transaction."""

from __future__ import annotations

import time

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from portal.db import make_engine, read_only, transaction

# PostgreSQL only: the conftest's fresh database per test, on that backend alone.
pytestmark = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


def backend_pid(engine) -> int:  # noqa: ANN001
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


def terminate(url: str, pid: int) -> None:
    """What a restarted server or a dropped idle connection looks like from the pool: the backend is gone."""
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0] is True
        deadline = (
            time.monotonic() + 10
        )  # the backend exits at its own pace: on a busy machine 0.1 s was not always enough
        while admin.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()[0]:
            assert time.monotonic() < deadline, f"backend {pid} still there"
            time.sleep(0.02)


def test_a_connection_that_sat_idle_is_checked_and_replaced_before_use(db_url: str) -> None:
    engine = make_engine(db_url, idle_ping_seconds=0.2)
    try:
        first = backend_pid(engine)
        terminate(db_url, first)
        time.sleep(0.3)
        second = backend_pid(engine)  # no error: the ping found the dead connection and the pool made a new one
        assert second != first
    finally:
        engine.dispose()


def test_a_connection_handed_back_moments_ago_is_used_without_a_ping(db_url: str) -> None:
    # The price of skipping the ping under load: if the server goes away between two requests, the next request on
    # that connection fails once; SQLAlchemy sees the disconnect and replaces the pool, so the one after it works.
    engine = make_engine(db_url, idle_ping_seconds=60)
    try:
        first = backend_pid(engine)
        terminate(db_url, first)
        with pytest.raises(OperationalError):
            backend_pid(engine)
        assert backend_pid(engine) != first
    finally:
        engine.dispose()


def test_reads_on_postgresql_run_without_begin_and_still_refuse_writes(db_url: str) -> None:
    engine = make_engine(db_url)
    reader = read_only(engine)
    try:
        with transaction(reader) as session:
            conn = session.connection()
            assert conn.connection.driver_connection.autocommit is True
            session.execute(text("SELECT count(*) FROM organisation"))
            # no transaction is open on the server between statements
            assert conn.connection.driver_connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
            with pytest.raises(RuntimeError, match="read-only request tried to write"):
                session.execute(text("UPDATE organisation SET name = name"))
        with transaction(engine) as session:  # the writer is unchanged: a real transaction
            conn = session.connection()
            assert conn.connection.driver_connection.autocommit is False
            session.execute(text("SELECT 1"))
            assert conn.connection.driver_connection.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
    finally:
        engine.dispose()
