"""Killing a real indexer process mid-batch loses nothing and duplicates nothing: the next run catches up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from factories import build_world
from matrix_cases import insert_case
from sqlmodel import Session, func, select

import search
from portal.cases.models import Case
from portal.searching.indexer import Indexer
from portal.searching.models import SearchOutbox

PORTAL = str(Path(sys.executable).parent / "portal")
CASES = 200  # one index commit each: enough that a starved test process still kills the indexer mid-drain


def _pending(engine) -> int:  # noqa: ANN001
    with Session(engine) as db:
        return db.exec(select(func.count()).select_from(SearchOutbox)).one()


def test_killing_the_indexer_mid_batch_loses_and_duplicates_nothing(engine, settings) -> None:
    settings.indexer_in_server = False
    w = build_world(engine)
    Indexer(settings, engine).ensure_index()  # an empty index, then a burst of saves
    with Session(engine) as db:
        for _ in range(CASES):
            insert_case(db, w, "a1a")
    queued = _pending(engine)
    env = {
        **os.environ,
        "PORTAL_DATA_DIR": str(settings.data_dir),
        "PORTAL_DATABASE_URL": settings.effective_database_url,
        "PORTAL_SECRET_KEY": "test-secret",
        "PORTAL_INDEXER_BATCH_SIZE": "1",
        "PORTAL_INDEXER_POLL_SECONDS": "0.1",
    }
    proc = subprocess.Popen([PORTAL, "indexer"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        # One case a batch (one index commit each): kill it as soon as a few are done, so that even on a
        # loaded machine it is stopped mid-drain rather than after the last batch.
        while _pending(engine) > queued - 3 and time.monotonic() < deadline:
            time.sleep(0.005)
        os.kill(proc.pid, signal.SIGKILL)  # mid-drain: some batches done, one perhaps half done
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    left = _pending(engine)
    assert 0 < left < queued
    done = subprocess.run(
        [PORTAL, "indexer", "--once"],
        env={**env, "PORTAL_INDEXER_BATCH_SIZE": "200"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert _pending(engine) == 0
    with Session(engine) as db:
        expected = dict(db.exec(select(Case.id, Case.version)).all())
    index = search.SearchIndex(settings.index_dir)
    assert index.check(expected).ok
    assert index.status()["documents"] == len(expected) == CASES  # no duplicates
    assert index.search(search.SearchRequest(q="宅基地", size=1), search.Scope(everything=True)).total == CASES
