"""The one indexer: drains the outbox into the index in batches; rebuilds into a new directory and swaps.

Exactly one runs per data directory, held by an exclusive lock on `<data dir>/indexer.lock` (every
server worker tries; the one that gets it indexes, the others retry now and then, so a dead owner is
replaced). Crash safety: a batch is committed to the index *before* its outbox rows are deleted, and
re-indexing a case is idempotent, so a kill at any point loses nothing and duplicates nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from sqlalchemy import delete, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

import search
from portal.cases.models import Case
from portal.db import read_only
from portal.locks import FileLock
from portal.searching import documents
from portal.searching.models import SearchOutbox
from portal.settings import Settings

log = logging.getLogger("portal.indexer")
REBUILD_CHUNK = 1000
MERGE_AFTER_SEGMENTS = 8


def texts_dir(settings: Settings) -> Path:
    """The text of stored PDFs, extracted once and kept by SHA-256 (documents.kept_text)."""
    return settings.data_dir / "texts"


def lock_path(settings: Settings) -> Path:
    return settings.data_dir / "indexer.lock"


def reindex_request(settings: Settings) -> Path:
    return settings.index_dir / "REINDEX"


class Indexer:
    # A rebuild may fork writer processes (search.Rebuild procs=2) only where this process runs no other
    # threads: `portal indexer` / `portal reindex` on their own. Inside the server (IndexerThread) forking a
    # threaded process could copy a held lock into the child, so the rebuild there uses one process.
    rebuild_procs: int | None = None  # None: search.REBUILD_PROCS

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine
        # Everything but deleting done outbox rows only reads: on SQLite never under the write lock, which a batch
        # would otherwise hold while it reads the cases (and once extracted the text of every PDF of them).
        self.reader = read_only(engine)
        self.root = settings.index_dir
        self.batch = settings.indexer_batch_size
        self.texts_dir = texts_dir(settings)

    def build(self, db: Session, ids: Iterable[int], **kwargs: object) -> tuple[list, list[int]]:
        settings = self.settings
        return documents.build(
            db,
            ids,
            uploads_dir=settings.uploads_dir,
            archive_dir=settings.archive_dir,
            texts_dir=self.texts_dir,
            **kwargs,
        )

    # -- one batch
    def drain_once(self, *, apply_live: bool = True) -> tuple[int, set[int]]:
        """Index one batch of the outbox; returns (rows done, case ids touched)."""
        with Session(self.reader) as db:
            rows = db.exec(
                select(SearchOutbox.id, SearchOutbox.case_id).order_by(SearchOutbox.id).limit(self.batch)
            ).all()
            if not rows:
                return 0, set()
            ids = {case_id for _, case_id in rows}
            docs, gone = self.build(db, ids) if apply_live else ([], [])
        if apply_live:
            search.apply(self.root, docs, gone)  # committed to the index first …
        with Session(self.engine) as db:  # … then the rows go: a crash in between only repeats the batch
            db.exec(delete(SearchOutbox).where(SearchOutbox.id.in_([row_id for row_id, _ in rows])))
            db.commit()
        return len(rows), ids

    def drain(self) -> int:
        done = 0
        while True:
            n, _ = self.drain_once()
            done += n
            if n < self.batch:
                return done

    # -- rebuild
    def rebuild(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Fill a new generation in chunks while the live one keeps serving (and keeps taking the outbox), then swap."""
        with Session(self.reader) as db:
            ids = list(db.exec(select(Case.id).order_by(Case.id)).all())
            lookup = documents.Lookup(db)
        try:
            live = search.SearchIndex(self.root).status()["ok"]
        except Exception:  # noqa: BLE001
            live = False
        job = search.Rebuild(self.root, procs=self.rebuild_procs)
        touched: set[int] = set()
        try:
            for start in range(0, len(ids), REBUILD_CHUNK):
                chunk = ids[start : start + REBUILD_CHUNK]
                with Session(self.reader) as db:
                    docs, _ = self.build(db, chunk, lookup=lookup)
                job.add(docs)
                # Changes made meanwhile: to the live index now, to the new one before the swap.
                while True:
                    n, changed = self.drain_once(apply_live=live)
                    touched |= changed
                    if n < self.batch:
                        break
                if progress:
                    progress(min(start + REBUILD_CHUNK, len(ids)), len(ids))
            with Session(self.reader) as db:
                docs, gone = self.build(db, touched)
            job.add(docs, gone)
            job.finish()
        except BaseException:
            job.abort()
            raise
        return len(ids)

    def ensure_index(self) -> bool:
        """Build the index when there is none or its schema is old; a damaged index is reported, never replaced."""
        status = search.SearchIndex(self.root).status()
        if status["ok"]:
            return True
        if status.get("missing") or status.get("outdated"):
            log.info("search index: %s — building it from the database", status["reason"])
            count = self.rebuild()
            log.info("search index built: %d cases", count)
            return True
        log.error(
            "search index cannot be opened (%s); searches use the database until `portal reindex`", status["reason"]
        )
        return False

    def maybe_merge(self) -> None:
        try:
            if search.segment_count(self.root) > MERGE_AFTER_SEGMENTS:
                search.merge(self.root)
        except search.IndexUnavailable:
            pass

    def run(self, stop: threading.Event, *, lock: FileLock) -> None:
        """The loop: catch up, then poll the outbox; take rebuild requests; merge when idle."""
        poll = self.settings.indexer_poll_seconds
        healthy = False
        while not stop.is_set():
            try:
                if reindex_request(self.settings).exists():
                    log.info("search index: rebuild requested")
                    self.rebuild()
                    reindex_request(self.settings).unlink(missing_ok=True)
                    healthy = True
                if not healthy:
                    healthy = self.ensure_index()
                    if not healthy:
                        stop.wait(max(poll, 5))
                        continue
                if self.drain_once()[0] == 0:
                    self.maybe_merge()
                    stop.wait(poll)
            except search.IndexUnavailable as exc:
                log.error("search index unavailable: %s", exc.reason)
                healthy = False
                stop.wait(max(poll, 5))
            except Exception:  # noqa: BLE001 - the indexer must outlive one bad batch; the rows stay queued
                log.exception("indexer batch failed; retrying")
                stop.wait(max(poll, 2))


def pending(engine: Engine) -> int:
    with Session(engine) as db:
        return db.exec(select(func.count()).select_from(SearchOutbox)).one()


class IndexerThread:
    """Started with the server in every worker: the one that gets the lock indexes, the others stand by."""

    RETRY_SECONDS = 10

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine
        self.stop_event = threading.Event()
        self.thread: threading.Thread | None = None
        self.lock = FileLock(lock_path(settings))
        self.active = False

    def start(self) -> None:
        if not self.settings.indexer_in_server:
            return
        self.thread = threading.Thread(target=self._main, name="search-indexer", daemon=True)
        self.thread.start()

    def _main(self) -> None:
        while not self.stop_event.is_set():
            if self.lock.acquire():
                self.active = True
                try:
                    indexer = Indexer(self.settings, self.engine)
                    indexer.rebuild_procs = 1  # in a threaded server process: no fork (see Indexer.rebuild_procs)
                    indexer.run(self.stop_event, lock=self.lock)
                finally:
                    self.lock.release()
                    self.active = False
                return
            self.stop_event.wait(self.RETRY_SECONDS)

    def stop(self) -> None:
        self.stop_event.set()
        if self.thread is not None:
            self.thread.join(timeout=30)


def wait_for_lock(settings: Settings, timeout: float) -> FileLock | None:
    lock = FileLock(lock_path(settings))
    deadline = time.monotonic() + timeout
    while True:
        if lock.acquire():
            return lock
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.2)
