"""Search benchmark: N synthetic cases (bench/loader.py), full rebuild rate, index size, save-to-searchable time,
query latency p50/p95 per kind (with highlights, facets and a scope filter), and SQLite FTS5 (trigram) on the
same corpus in the same run as a reference.

    .venv/bin/python bench/search.py --cases 100000 [--dir /tmp/search-bench]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlmodel import Session, select  # noqa: E402

import search  # noqa: E402
from bench.loader import GIVEN, SURNAMES, load_cases  # noqa: E402
from portal.cases.models import Case  # noqa: E402
from portal.db import make_engine, migrate  # noqa: E402
from portal.demo import build_demo  # noqa: E402
from portal.people.models import Person  # noqa: E402
from portal.scope import load_principal  # noqa: E402
from portal.searching import service  # noqa: E402
from portal.searching.indexer import Indexer, IndexerThread  # noqa: E402
from portal.settings import Settings  # noqa: E402
from search import writing as search_writing  # noqa: E402

WORDS = ["宅基地", "物业", "赔偿", "劳动争议", "婚姻家庭", "邻里", "合同", "消费", "医疗", "征地拆迁"]
PAIRS = ["宅基地 赔偿", "物业 协商", "劳动争议 责任", "邻里 情绪", "合同 数额"]
PHRASES = ['"责任划分"', '"申请调解"', '"多次协商未果"', '"赔偿数额"', '"有激化可能"']
COUNTY_USER, VILLAGE_USER = "qx.clerk", "dm.director"


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the rebuild's writer processes)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


def timed(fn, queries: list[str], rounds: int = 3) -> tuple[float, float, float, float]:  # noqa: ANN001
    """p50, p95 over all rounds, the slowest query of the first round (caches cold for those words), and the p95 of the
    CPU time (what the query costs when another process shares the cores)."""
    times, cpu = [], []
    for _ in range(rounds):
        for q in queries:
            t, c = time.perf_counter(), time.process_time()
            fn(q)
            times.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
    return statistics.median(times), pct(times, 0.95), max(times[: len(queries)]), pct(cpu, 0.95)


def fts_reference(db_file: Path, queries: dict[str, list[str]], scope_path: str) -> dict[str, tuple[float, ...]]:
    conn = sqlite3.connect(db_file)
    conn.execute("DROP TABLE IF EXISTS bench_fts")
    conn.execute("CREATE VIRTUAL TABLE bench_fts USING fts5(number, title, body, parties, tokenize='trigram')")
    conn.execute(
        "INSERT INTO bench_fts(rowid, number, title, body, parties)\n"
        "                    SELECT c.id, c.number, c.title, c.summary || ' ' || c.requests,"
        " (SELECT group_concat(name, ' ') FROM party WHERE case_id = c.id)\n"
        '                    FROM "case" c'
    )
    conn.commit()

    def run(q: str) -> None:
        words = [w.strip('"') for w in q.split()]
        if all(len(w) >= 3 for w in words):
            match = " AND ".join(f'"{w}"' for w in words)
            sql = (
                "SELECT c.id, snippet(bench_fts, 2, '<mark>', '</mark>', '…', 12) "
                'FROM bench_fts JOIN "case" c ON c.id = bench_fts.rowid '
                "WHERE bench_fts MATCH ? AND c.org_path LIKE ? ORDER BY rank LIMIT 20"
            )
            conn.execute(sql, (match, scope_path + "%")).fetchall()
            conn.execute(
                'SELECT count(*) FROM bench_fts JOIN "case" c ON c.id = bench_fts.rowid '
                "WHERE bench_fts MATCH ? AND c.org_path LIKE ?",
                (match, scope_path + "%"),
            ).fetchone()
        else:  # trigram cannot match fewer than 3 characters: LIKE over the table, as FTS5 itself would
            cond = " AND ".join("(title LIKE ? OR body LIKE ? OR parties LIKE ?)" for _ in words)
            args = [f"%{w}%" for w in words for _ in range(3)]
            conn.execute(f"SELECT rowid FROM bench_fts WHERE {cond} LIMIT 20", args).fetchall()
            conn.execute(f"SELECT count(*) FROM bench_fts WHERE {cond}", args).fetchone()

    out = {kind: timed(run, qs) for kind, qs in queries.items()}
    conn.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--reuse", action="store_true", help="keep the database already loaded in --dir (skip loading)")
    parser.add_argument(
        "--no-rebuild", action="store_true", help="with --reuse: query the index already built in --dir"
    )
    parser.add_argument("--procs", type=int, default=None, help="writer processes for the rebuild (default: search's)")
    parser.add_argument("--no-saves", action="store_true", help="skip the save-to-searchable measurement")
    args = parser.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="search-bench-"))
    reuse = args.reuse and args.dir is not None and (work / "portal.sqlite3").exists()
    if not reuse:
        shutil.rmtree(work, ignore_errors=True)
    settings = Settings(
        data_dir=work, secret_key="bench", indexer_batch_size=200, indexer_poll_seconds=0.2, _env_file=None
    )
    url = settings.effective_database_url
    migrate(url)
    engine = make_engine(url)
    if not reuse:
        build_demo(engine, password="Bench@pass-1")
        loaded = load_cases(
            engine, args.cases, files=False
        )  # the index reads files' text; the loader's files have none
        print(
            f"loaded {loaded.cases} cases ({loaded.parties} parties, {loaded.records} records, "
            f"{loaded.mediators} mediators) in {loaded.seconds:.0f} s"
        )
    if args.procs:
        search_writing.REBUILD_PROCS = args.procs
    if not (reuse and args.no_rebuild and search.SearchIndex(settings.index_dir).status()["ok"]):
        started, cpu = time.perf_counter(), _cpu()
        Indexer(settings, engine).rebuild()
        rebuild, cpu = time.perf_counter() - started, _cpu() - cpu
        size = sum(f.stat().st_size for f in settings.index_dir.rglob("*") if f.is_file())
        print(
            f"full rebuild: {args.cases / rebuild:.0f} cases/s ({rebuild:.0f} s), CPU {cpu:.0f} s (this process and its"
            f" writer processes), load {' / '.join(f'{x:.1f}' for x in os.getloadavg())}, index {size / 1048576:.0f} MB"
        )

    # What the server does at start-up (portal.app → searching.service.start_warming): jieba's dictionary and the
    # index's per-segment facet sets and date order. The words' postings stay cold: the first round reads them.
    service.warm(settings.index_dir)
    index = service.index_for(settings.index_dir)
    rng = random.Random(3)
    with Session(engine) as db:
        principal = load_principal(db, db.exec(select(Person).where(Person.username == COUNTY_USER)).one())
        village = load_principal(db, db.exec(select(Person).where(Person.username == VILLAGE_USER)).one())
        numbers = [
            n for n in db.exec(select(Case.number).where(Case.id.in_(rng.sample(range(1, args.cases), 10)))).all()
        ] or ["017号"]
    names = [rng.choice(SURNAMES) + rng.choice(GIVEN) for _ in range(10)]
    queries = {
        "single word": WORDS,
        "two words": PAIRS,
        "phrase": PHRASES,
        "name": names,
        "case number": [n.split("第")[-1] if i % 2 else n for i, n in enumerate(numbers)],
    }
    print(f"load before the queries: {' / '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(
        "| query kind | Whoosh county p50 / p95 (first-pass max) [CPU p95] ms "
        "| Whoosh village p50 / p95 (first-pass max) [CPU p95] "
        "| FTS5 trigram p50 / p95 |"
    )
    print("|---|---|---|---|")
    fts = fts_reference(Path(url.removeprefix("sqlite:///")), queries, principal.roots()[0])
    with Session(engine) as db:
        for kind, qs in queries.items():
            # The search page's call: scope (with transfers) read per request, highlights, all facets, 20 hits.
            county = timed(lambda q: service.run(db, principal, settings.index_dir, {"q": q}), qs)
            small = timed(lambda q: service.run(db, village, settings.index_dir, {"q": q}), qs)
            print(
                f"| {kind} | {county[0]:.0f} / {county[1]:.0f} ({county[2]:.0f}) [{county[3]:.0f}] "
                f"| {small[0]:.0f} / {small[1]:.0f} ({small[2]:.0f}) [{small[3]:.0f}] "
                f"| {fts[kind][0]:.0f} / {fts[kind][1]:.0f} |"
            )

    if args.no_saves:
        engine.dispose()
        return
    thread = IndexerThread(settings, engine)
    thread.start()
    delays = []
    run = time.strftime("%m%d%H%M%S")  # the titles of an earlier run on a reused database must not be found instead
    try:
        time.sleep(1)
        for i in range(10):
            with Session(engine) as db:
                case = db.get(Case, rng.randrange(1, args.cases))
                case.title = f"基准测试{run}改名{i}号鸭棚纠纷"
                case.version += 1
                db.add(case)
                db.commit()
            saved = time.perf_counter()
            while (
                index.search(
                    search.SearchRequest(q=f"基准测试{run}改名{i}号鸭棚", facets=False), search.Scope(everything=True)
                ).total
                == 0
            ):
                if time.perf_counter() - saved > 10:
                    break
                time.sleep(0.02)
            delays.append(time.perf_counter() - saved)
    finally:
        thread.stop()
    print(f"save to searchable: p50 {statistics.median(delays) * 1000:.0f} ms, max {max(delays) * 1000:.0f} ms")
    engine.dispose()


if __name__ == "__main__":
    main()
