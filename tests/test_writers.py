"""Write requests take turns on the event loop (portal.writers): one at a time per worker on SQLite, and across the
worker processes through a lock on a file beside the database; one that cannot get a turn in time is Busy (503)."""

from __future__ import annotations

import asyncio

import pytest

from portal import writers as writers_module
from portal.db import make_engine
from portal.errors import Busy
from portal.writers import Writers


@pytest.fixture
def sqlite_engine(tmp_path):  # noqa: ANN001, ANN201
    engine = make_engine(f"sqlite:///{tmp_path / 'portal.sqlite3'}")
    yield engine
    engine.dispose()


def test_on_sqlite_a_worker_writes_one_at_a_time_and_two_workers_take_turns(sqlite_engine) -> None:
    async def scenario() -> list[str]:
        first, second = Writers(sqlite_engine, threads=8), Writers(sqlite_engine, threads=8)  # two worker processes
        first.start()
        second.start()
        order: list[str] = []
        first_in, release_first = asyncio.Event(), asyncio.Event()

        async def write(gate: Writers, name: str, hold: asyncio.Event | None = None) -> None:
            async with gate.turn():
                order.append(f"{name} in")
                if hold is not None:
                    first_in.set()
                    await hold.wait()
                order.append(f"{name} out")

        holder = asyncio.create_task(write(first, "a", release_first))
        await first_in.wait()
        same_worker = asyncio.create_task(write(first, "b"))
        other_worker = asyncio.create_task(write(second, "c"))
        await asyncio.sleep(0.05)  # neither may enter while "a" writes, however long it is given
        assert order == ["a in"]
        release_first.set()
        await asyncio.gather(holder, same_worker, other_worker)
        first.stop()
        second.stop()
        return order

    order = asyncio.run(scenario())
    assert order[:2] == ["a in", "a out"]
    assert sorted(order[2:]) == ["b in", "b out", "c in", "c out"]
    assert order[2][0] == order[3][0] and order[4][0] == order[5][0]  # one after the other, never interleaved


def test_a_write_that_gets_no_turn_in_time_is_busy(sqlite_engine, monkeypatch) -> None:
    monkeypatch.setattr(writers_module, "BUSY_SECONDS", 0.2)

    async def scenario() -> None:
        first, second = Writers(sqlite_engine, threads=8), Writers(sqlite_engine, threads=8)
        first.start()
        second.start()
        try:
            async with first.turn():
                with pytest.raises(Busy):  # the same worker: waits on the loop, then gives up
                    async with first.turn():
                        pass
                with pytest.raises(Busy):  # the other worker: waits for the file lock in a thread, then gives up
                    async with second.turn():
                        pass
            async with second.turn():  # and once it is free, the other worker gets it
                pass
        finally:
            first.stop()
            second.stop()

    asyncio.run(scenario())


def test_on_postgresql_half_the_threads_write_at_once() -> None:
    engine = make_engine("postgresql+psycopg://nobody@localhost/none")  # never connected
    try:
        assert Writers(engine, threads=8).size == 4 and Writers(engine, threads=8).lock_path is None
    finally:
        engine.dispose()
