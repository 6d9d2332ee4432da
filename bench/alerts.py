"""Early-warning benchmark: the alerts of a month for a county, a township and a village at N synthetic cases.

    .venv/bin/python bench/alerts.py [--cases 100000] [--db sqlite|postgresql|both] [--runs 20]

Times `portal.alerts.service.report` in-process with its per-process caches emptied before every run, so each figure is
the whole computation: the GROUP BY over three years of the area's cases, the judging of every cell, and the rule
alerts (for the current month also the overdue transfers and follow-ups and the repeat petitioners). Wall time, and
this process's CPU time, which includes SQLite's work but not PostgreSQL's. The page keeps a report until a case
changes (portal.freshness), the workspace's panel for five minutes, so most views cost far less.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for extra in (ROOT, ROOT / "tests"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from sqlmodel import Session, select  # noqa: E402

from bench.loader import load_cases  # noqa: E402
from portal.alerts import service  # noqa: E402
from portal.alerts.months import Month  # noqa: E402
from portal.db import make_engine, migrate  # noqa: E402
from portal.demo import DEMO_PASSWORD, build_demo  # noqa: E402
from portal.people.models import Person  # noqa: E402
from portal.scope import load_principal  # noqa: E402
from portal.settings import Settings  # noqa: E402

VIEWERS = (("county", "qx.director"), ("township", "hk.director"), ("village", "dm.director"))


def bench_one(backend: str, args: argparse.Namespace, workdir: Path) -> list[str]:
    pg = None
    if backend == "sqlite":
        url = f"sqlite:///{workdir / 'alerts.sqlite3'}"
    else:
        from support.pg import PostgresServer

        pg = PostgresServer().start()
        url = pg.create_database("bench")
    try:
        migrate(url)
        engine = make_engine(url)
        build_demo(engine, password=DEMO_PASSWORD)
        loaded = load_cases(engine, args.cases, seed=7, files=False)
        lines = [f"[{backend}] loaded {loaded.cases:,} cases in {loaded.seconds:.1f} s"]
        settings = Settings(_env_file=None)
        today = date.today()
        for label, username in VIEWERS:
            for month in (Month.of(today).shift(-1), Month.of(today)):
                times, cpu, shown = [], [], None
                with Session(engine) as db:
                    viewer = load_principal(db, db.exec(select(Person).where(Person.username == username)).one())
                    area = service.areas(viewer)[0]
                    for _ in range(args.runs):
                        service._KEPT.entries.clear()  # noqa: SLF001 - measure the computation, not the cache
                        service._RECENT.clear()  # noqa: SLF001
                        started, used = time.perf_counter(), time.process_time()
                        shown = service.report(db, viewer, area, month, today=today, settings=settings)
                        times.append((time.perf_counter() - started) * 1000)
                        cpu.append((time.process_time() - used) * 1000)
                times.sort()
                p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
                lines.append(
                    f"[{backend}] {label:8} {month}  p50 {statistics.median(times):6.1f} ms  p95 {p95:6.1f} ms  "
                    f"cpu p50 {statistics.median(cpu):6.1f} ms  alerts {len(shown.alerts):3}  cells {shown.tested}"
                )
                print(lines[-1], flush=True)
        engine.dispose()
        return lines
    finally:
        if pg is not None:
            pg.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args(argv)
    backends = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    with tempfile.TemporaryDirectory(prefix="alerts-bench-") as tmp:
        for backend in backends:
            bench_one(backend, args, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
