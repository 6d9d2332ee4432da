"""The statistics page (统计分析) at scale, against the production server, on SQLite and PostgreSQL.

    .venv/bin/python bench/stats.py [--cases 100000] [--db sqlite|postgresql|both] [--clients 2] [--seconds 20]

For each database: a fresh database, migrated, the demo county, N synthetic cases (bench/loader.py, the same as
bench/cases.py), then `portal serve --workers 2`. Clients sign in as a county user (`sfj.supervisor`, who reads the
whole county through supervision) and a village user (`dm.director`, 东门社区) and request each scenario in a closed
loop; the table gives p50/p95 per scope, the CPU per request of the portal and (PostgreSQL) of the database, and the
load average while it ran. Every request is computed in the database (no report is kept between requests); the
"30 days" scenario asks for a different range every time all the same. `--explain` (or a scope over the target) runs
the report in-process and prints each SQL statement with its time (SQLite computes a statement's rows while they are
fetched: its time there is only the first step). See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for extra in (ROOT, ROOT / "tests"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from sqlalchemy import event  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from bench.cases import Result, Server, fresh_database, signed_in_cookies  # noqa: E402
from bench.http_load import drive  # noqa: E402
from bench.loader import load_cases  # noqa: E402
from portal.db import make_engine, migrate  # noqa: E402
from portal.demo import DEMO_PASSWORD, build_demo  # noqa: E402

TARGET_P95_MS = 300.0
USERS = {"county": "sfj.supervisor", "village": "dm.director"}


@dataclass
class Scenario:
    name: str
    path: Callable[[random.Random], str]  # the same for both scopes: each user sees their own


def _uncached(rng: random.Random) -> str:
    """A 30-day range ending on a random day of the last two years: never one the server has computed before."""
    end = date.today() - timedelta(days=rng.randrange(730))
    return f"/stats?kind=custom&from={end - timedelta(days=29)}&to={end}"


SCENARIOS = [
    Scenario("month, by organisation", lambda rng: "/stats"),
    Scenario("30 days, a new range each time", _uncached),
    Scenario("year, by type", lambda rng: "/stats?kind=year&by=subtype"),
    Scenario("quarter, by mediator", lambda rng: "/stats?kind=quarter&by=mediator"),
    Scenario("drill-down list", lambda rng: "/cases?ind=succeeded&ind_from=2025-01-01&ind_to=2025-12-31"),
]


def explain(engine: Engine, username: str, params: dict[str, str]) -> str:
    """The report in-process as `username`: the time of each statement, and the whole."""
    from sqlmodel import Session, select

    from portal import clock
    from portal.people.models import Person
    from portal.scope import load_principal
    from portal.stats import report, service

    captured: list[tuple[str, float]] = []

    def before(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        context._bench_t0 = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        captured.append((statement, (time.perf_counter() - context._bench_t0) * 1000))

    basis = service.Basis(today=clock.today())
    with Session(engine) as db:
        principal = load_principal(db, db.exec(select(Person).where(Person.username == username)).one())
        report.read(db, principal, params, basis=basis)  # builds the statements once, as a warm worker has
        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
        try:
            t0 = time.perf_counter()
            report.read(db, principal, params, basis=basis)
            total = (time.perf_counter() - t0) * 1000
        finally:
            event.remove(engine, "before_cursor_execute", before)
            event.remove(engine, "after_cursor_execute", after)
    lines = [f"report({params}) as {username}: {total:.1f} ms in-process, {len(captured)} statements"]
    lines += [f"   {ms:7.1f} ms  {' '.join(statement.split())[:160]}" for statement, ms in captured]
    return "\n".join(lines)


def in_process(engine: Engine, username: str, reps: int = 3) -> list[str]:
    """Each /stats scenario's report in-process as `username`, warm (its statements built): the CPU it costs, the
    portal's (this process) and PostgreSQL's (the connection's backend), the mean of `reps` — what a request costs
    before rendering, whatever else the machine runs."""
    from urllib.parse import parse_qsl, urlsplit

    from sqlalchemy import text
    from sqlmodel import Session, select

    from portal import clock
    from portal.people.models import Person
    from portal.scope import load_principal
    from portal.stats import report, service

    basis = service.Basis(today=clock.today())
    postgres = engine.dialect.name == "postgresql"
    rng = random.Random(1)
    lines = []
    with Session(engine) as db:
        principal = load_principal(db, db.exec(select(Person).where(Person.username == username)).one())
        backend = db.exec(text("SELECT pg_backend_pid()")).one()[0] if postgres else None
        for scenario in SCENARIOS:
            url = urlsplit(scenario.path(rng))
            if url.path != "/stats":
                continue
            params = dict(parse_qsl(url.query))
            report.read(db, principal, params, basis=basis)
            cpu, db_cpu, wall = 0.0, 0.0, 0.0
            for _ in range(reps):
                d0 = _own_cpu(backend) if backend else 0.0
                c0, w0 = time.process_time(), time.perf_counter()
                report.read(db, principal, params, basis=basis)
                cpu += time.process_time() - c0
                wall += time.perf_counter() - w0
                db_cpu += _own_cpu(backend) - d0 if backend else 0.0
            ms = {k: round(v * 1000 / reps) for k, v in (("cpu", cpu), ("db", db_cpu), ("wall", wall))}
            lines.append(
                f"  in-process {scenario.name:<34} cpu {ms['cpu']:5} ms  db cpu {ms['db']:5} ms  wall {ms['wall']:5} ms"
            )
    return lines


def _own_cpu(pid: int) -> float:
    """CPU time (user + system) of one process so far, in seconds. Linux /proc."""
    fields = _proc_stat(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _proc_stat(pid: int | str) -> list[str]:
    """The fields of /proc/<pid>/stat after the command name (field 1 is the parent, 11 and 12 user and system
    ticks, 13 and 14 those of the reaped children)."""
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()


def tree_cpu_seconds(root_pid: int) -> float:
    """CPU time (user + system) of a process and its descendants so far, with the children it has already reaped
    (PostgreSQL's postmaster and its backends: the database's share of a request). Linux /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    stats: dict[int, list[str]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = _proc_stat(entry)
            except OSError:
                continue
            parents[int(entry)], stats[int(entry)] = int(fields[1]), fields
    ours = {root_pid}
    for _ in range(3):
        ours |= {pid for pid, parent in parents.items() if parent in ours}
    total = sum(int(stats[pid][11]) + int(stats[pid][12]) for pid in ours if pid in stats)
    if root_pid in stats:
        total += int(stats[root_pid][13]) + int(stats[root_pid][14])  # reaped children
    return total / tick


def postmaster_pid(pg) -> int:  # noqa: ANN001
    return int((pg.datadir / "postmaster.pid").read_text().split()[0])


def bench_one(backend: str, args: argparse.Namespace, workdir: Path) -> list[Result]:
    data_dir = workdir / backend
    url, pg = fresh_database(backend, data_dir)
    server = None
    try:
        migrate(url)
        engine = make_engine(url)
        build_demo(engine, password=DEMO_PASSWORD)
        loaded = load_cases(engine, args.cases, seed=args.seed)
        print(f"[{backend}] loaded {loaded.cases:,} cases in {loaded.seconds:.1f} s", flush=True)
        server = Server(pg.socket_url("bench") if pg else url, data_dir, workers=args.workers)
        server.wait()
        time.sleep(3)
        results = []
        for scope, username in USERS.items():
            clients = [(scope, signed_in_cookies(server.base, username)) for _ in range(args.clients)]
            for scenario in SCENARIOS:
                cpu = server.cpu_seconds()
                db_cpu = tree_cpu_seconds(postmaster_pid(pg)) if pg else 0.0
                load = os.getloadavg()[0]
                tally = drive(
                    "127.0.0.1",
                    server.port,
                    clients,
                    lambda rng, _kind, path=scenario.path: path(rng),
                    seconds=args.seconds,
                    max_requests=args.max_requests,
                )
                result = Result(f"{scope}: {scenario.name}", latencies=tally.latencies, errors=tally.errors)
                result.statuses.update(tally.statuses)
                result.server_cpu = server.cpu_seconds() - cpu
                result.db_cpu = tree_cpu_seconds(postmaster_pid(pg)) - db_cpu if pg else 0.0
                result.load = (load + os.getloadavg()[0]) / 2
                results.append(result)
                print(
                    f"  [{backend}] {result.scenario}: p50 {result.pct(50):.0f} ms, p95 {result.pct(95):.0f} ms",
                    flush=True,
                )
            slow = any(r.pct(95) > TARGET_P95_MS for r in results if r.scenario.startswith(scope))
            if args.explain or slow:
                print(explain(engine, username, {}), flush=True)
                print("\n".join(in_process(engine, username)), flush=True)
        engine.dispose()
        return results
    finally:
        if server:
            server.stop()
        if pg:
            pg.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument(
        "--clients", type=int, default=2, help="concurrent clients per scope (default 2: one per worker)"
    )
    parser.add_argument("--seconds", type=float, default=20, help="duration of each scenario")
    parser.add_argument("--max-requests", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--explain", action="store_true", help="always print the statements and their times")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (databases, server log)")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="portal-bench-stats-"))
    backends = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    table: dict[str, list[Result]] = {}
    try:
        for backend in backends:
            print(
                f"== {backend}: {args.cases:,} cases, {args.clients} clients per scope, {args.seconds:.0f} s each",
                flush=True,
            )
            table[backend] = bench_one(backend, args, workdir)
    finally:
        if args.keep:
            print(f"kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"\n{args.cases:,} cases, {args.clients} clients, target p95 ≤ {TARGET_P95_MS:.0f} ms (times in ms)")
    print("cpu/req: the portal's CPU per request; db cpu/req: PostgreSQL's (SQLite runs inside the portal); load: the")
    print("1-minute load average during the scenario (2 cores: above 2, requests wait for a core)")
    head = (
        f"{'db':<11}{'scenario':<38}{'requests':>9}{'p50':>8}{'p95':>8}{'errors':>8}{'cpu/req':>9}"
        f"{'db cpu/req':>11}{'load':>6}"
    )
    print(head + "\n" + "-" * len(head))
    for backend, results in table.items():
        for r in results:
            flag = "" if r.pct(95) <= TARGET_P95_MS else "  > target"
            done = max(len(r.latencies) + r.errors, 1)
            print(
                f"{backend:<11}{r.scenario:<38}{len(r.latencies):>9}{r.pct(50):>8.0f}{r.pct(95):>8.0f}"
                f"{r.errors:>8}{r.cpu_ms_per_request:>9.0f}{r.db_cpu * 1000 / done:>11.0f}{r.load:>6.1f}{flag}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
