"""Write requests take turns on the event loop, so that they never hold the threads that reads need.

A write request that waits for the database — SQLite lets one writer in at a time, PostgreSQL makes a writer wait for
the rows another holds — waits in a thread with a pooled connection. Enough of them at once took every thread of a
worker, and the reads behind them waited too (bench/soak.py: a case list answered in seconds). So a write request
first waits for its turn here, on the loop, holding nothing: one at a time per worker on SQLite (more would only wait
for the database's one write lock), half the threads on PostgreSQL. On SQLite the turn is also taken across the
worker processes, fairly, by a lock on a file beside the database: SQLite's own busy handler retries at growing
intervals (up to 100 ms), and under steady writes one worker's writers could keep the lock from the other's for long.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from anyio import to_thread
from sqlalchemy.engine import Engine

from portal.db import BUSY_SECONDS
from portal.errors import Busy

BUSY = "系统繁忙，请稍后重试。"


class Writers:
    def __init__(self, engine: Engine, threads: int) -> None:
        sqlite = engine.dialect.name == "sqlite"
        self.size = 1 if sqlite else max(1, threads // 2)
        database = engine.url.database if sqlite else None
        self.lock_path = Path(f"{database}.writers") if database and database != ":memory:" else None
        self.semaphore: asyncio.Semaphore | None = None
        self.fd: int | None = None

    def start(self) -> None:
        """On the worker's event loop, before requests."""
        self.semaphore = asyncio.Semaphore(self.size)
        if self.lock_path is not None:
            self.fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)

    def stop(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Wait for this worker's turn (and on SQLite the database's) for up to BUSY_SECONDS, else Busy (503)."""
        assert self.semaphore is not None, "Writers.start() runs at start-up"
        deadline = time.monotonic() + BUSY_SECONDS
        try:
            await asyncio.wait_for(self.semaphore.acquire(), BUSY_SECONDS)
        except TimeoutError as exc:
            raise Busy(BUSY) from exc
        try:
            if self.fd is not None and not self._try_lock():  # the other worker writes: wait in a thread, not here
                await to_thread.run_sync(self._lock_until, deadline)
            try:
                yield
            finally:
                if self.fd is not None:
                    fcntl.flock(self.fd, fcntl.LOCK_UN)
        finally:
            self.semaphore.release()

    def _try_lock(self) -> bool:
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    def _lock_until(self, deadline: float) -> None:
        pause = 0.0005
        while not self._try_lock():
            if time.monotonic() > deadline:
                raise Busy(BUSY)
            time.sleep(pause)
            pause = min(pause * 2, 0.004)
