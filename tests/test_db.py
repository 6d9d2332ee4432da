"""portal.db on a real PostgreSQL server: connections that went away, and reads without a transaction."""

from __future__ import annotations

import time

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from portal.db import make_engine, read_only, transaction
from support.pg import PostgresServer


@pytest.fixture
def pg_url(pg_server: PostgresServer):
    name = pg_server.new_database_name()
    url = pg_server.create_database(name, template="portal_template")
    try:
        yield url
    finally:
        pg_server.drop_database(name)


def backend_pid(engine) -> int:  # noqa: ANN001
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


def terminate(url: str, pid: int) -> None:
    """What a restarted server or a dropped idle connection looks like from the pool: the backend is gone."""
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0] is True
    time.sleep(0.1)


def test_a_connection_that_sat_idle_is_checked_and_replaced_before_use(pg_url: str) -> None:
    engine = make_engine(pg_url, idle_ping_seconds=0.2)
    try:
        first = backend_pid(engine)
        terminate(pg_url, first)
        time.sleep(0.3)
        second = backend_pid(engine)  # no error: the ping found the dead connection and the pool made a new one
        assert second != first
    finally:
        engine.dispose()


def test_a_connection_handed_back_moments_ago_is_used_without_a_ping(pg_url: str) -> None:
    # The price of skipping the ping under load: if the server goes away between two requests, the next request on
    # that connection fails once; SQLAlchemy sees the disconnect and replaces the pool, so the one after it works.
    engine = make_engine(pg_url, idle_ping_seconds=60)
    try:
        first = backend_pid(engine)
        terminate(pg_url, first)
        with pytest.raises(OperationalError):
            backend_pid(engine)
        assert backend_pid(engine) != first
    finally:
        engine.dispose()


def test_reads_on_postgresql_run_without_begin_and_still_refuse_writes(pg_url: str) -> None:
    engine = make_engine(pg_url)
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
