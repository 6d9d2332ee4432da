"""Case list and case page latency at scale, against the production server, on SQLite and PostgreSQL.

    .venv/bin/python bench/cases.py [--cases 100000] [--db sqlite|postgresql|both] [--clients 16] [--seconds 20]

For each database: a fresh database (a SQLite file in a temp folder; a throwaway PostgreSQL server
started exactly like the tests do, tests/support/pg.py), migrated, the demo county built, N synthetic
cases bulk-loaded with SQLAlchemy Core, then `portal serve --workers 2` in a subprocess. Clients sign in
(half as the county clerk, half as a village director) and hammer each scenario in turn for --seconds, each
on its own keep-alive connection in a closed loop (bench/http_load.py); the table gives requests, p50/p95/p99
(ms) and errors. Everything runs on this machine (the server reaches PostgreSQL through its Unix socket unless
--pg-via tcp) and is removed at the end (--keep keeps the temp folder). See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for extra in (ROOT, ROOT / "tests"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from sqlalchemy import event, select  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from bench.http_load import drive  # noqa: E402
from bench.loader import GIVEN, SURNAMES, load_cases  # noqa: E402
from portal.cases.models import Case  # noqa: E402
from portal.db import make_engine, migrate  # noqa: E402
from portal.demo import DEMO_PASSWORD, build_demo  # noqa: E402
from portal.orgs.models import Organisation  # noqa: E402

TARGET_P95_MS = 100.0
COUNTY_USER, VILLAGE_USER = "qx.clerk", "dm.director"  # the village user's committee: 东门社区
VILLAGE_ORG = "东门社区人民调解委员会"


# --- the server and its clients ---------------------------------------------------------------
def free_port() -> int:
    from support.net import free_port as pick

    return pick("127.0.0.1")


class Server:
    """`portal serve --workers 2` in its own process group; stopped with SIGTERM (SIGKILL if it hangs)."""

    def __init__(self, url: str, data_dir: Path, workers: int = 2, **settings: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = data_dir / "server.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
        # The search indexer would spend these cores building the first index of the bulk-loaded cases:
        # search has its own benchmark (bench/search.py), so this one measures pages only.
        env.update(
            PORTAL_DATABASE_URL=url,
            PORTAL_DATA_DIR=str(data_dir),
            PORTAL_SECRET_KEY="bench-secret",
            PYTHONUTF8="1",
            PORTAL_INDEXER_IN_SERVER="false",
            PORTAL_FIXITY_INTERVAL_MINUTES="0",
        )
        env.update(settings)  # e.g. bench/soak.py runs the indexer
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "portal.cli",
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--workers",
                    str(workers),
                ],
                env=env,
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait(self, timeout: float = 180) -> None:
        from support.cli import wait_for_healthz

        wait_for_healthz(self.proc, self.base, self.log, timeout)

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the server and its worker processes (Linux /proc)."""
        tick = os.sysconf("SC_CLK_TCK")
        parents: dict[int, int] = {}
        times: dict[int, float] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            parents[int(entry)] = int(fields[1])
            times[int(entry)] = (int(fields[11]) + int(fields[12])) / tick
        ours, total = {self.proc.pid}, 0.0
        for _ in range(3):  # children, grandchildren …
            ours |= {pid for pid, parent in parents.items() if parent in ours}
        for pid in ours:
            total += times.get(pid, 0.0)
        return total

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)  # our own process group (start_new_session)
                self.proc.wait(timeout=5)


def signed_in_cookies(base: str, username: str) -> str:
    """Sign in as `username` (a session of its own) and return the Cookie header that carries the session."""
    import httpx

    with httpx.Client(base_url=base, timeout=30, follow_redirects=False) as client:
        client.get("/login")
        response = client.post(
            "/login",
            data={"username": username, "password": DEMO_PASSWORD, "_csrf_token": client.cookies.get("portal_csrf")},
        )
        if response.status_code not in (302, 303) or "portal_session" not in client.cookies:
            raise RuntimeError(f"signing in as {username} failed: {response.status_code} {response.text[:300]}")
        return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


@dataclass
class Scenario:
    name: str
    user: str  # "county" | "village" | "both"
    path: Callable[[random.Random, str], str]  # (rng, user kind) -> path


@dataclass
class Result:
    scenario: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    server_cpu: float = 0.0  # seconds of server CPU the scenario cost (warm-up included)
    db_cpu: float = 0.0  # seconds of PostgreSQL's CPU, where measured (bench/stats.py)
    load: float = 0.0  # the 1-minute load average while it ran, where measured (bench/stats.py)

    @property
    def cpu_ms_per_request(self) -> float:
        done = len(self.latencies) + self.errors
        return self.server_cpu * 1000 / done if done else float("nan")

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


def visible_ids(engine: Engine) -> dict[str, list[int]]:
    with engine.connect() as conn:
        village = conn.execute(select(Organisation.path).where(Organisation.name == VILLAGE_ORG)).scalar_one()
        county = conn.execute(select(Case.id)).scalars().all()
        mine = conn.execute(select(Case.id).where(Case.org_path.startswith(village))).scalars().all()
    return {"county": list(county), "village": list(mine)}


def scenarios(ids: dict[str, list[int]], names: list[str] | None) -> list[Scenario]:
    all_scenarios = [
        Scenario("list state=closed&type=03", "both", lambda r, u: "/cases?state=closed&dispute_type=03"),
        Scenario("list page=5", "both", lambda r, u: "/cases?page=5"),
        Scenario("list page=1", "both", lambda r, u: "/cases"),
        Scenario("list q=<surname>", "both", lambda r, u: f"/cases?q={r.choice(SURNAMES)}{r.choice(GIVEN)}"),
        Scenario("case page", "both", lambda r, u: f"/cases/{r.choice(ids[u])}"),
        Scenario("healthz", "both", lambda r, u: "/healthz"),
        Scenario("orgs", "both", lambda r, u: "/orgs"),
    ]
    default = [s.name for s in all_scenarios[:5]]
    wanted = names or default
    chosen = [
        s
        for s in all_scenarios
        if s.name in wanted or s.name.split()[0] in wanted or s.name.replace(" ", "_") in wanted
    ]
    if not chosen:
        raise SystemExit(f"no such scenario: {wanted}; choose from {[s.name for s in all_scenarios]}")
    return chosen


def run_scenario(
    server: Server, scenario: Scenario, clients: list[tuple[str, str]], seconds: float, max_requests: int
) -> Result:
    tally = drive("127.0.0.1", server.port, clients, scenario.path, seconds=seconds, max_requests=max_requests)
    result = Result(scenario.name, latencies=tally.latencies, errors=tally.errors)
    result.statuses.update(tally.statuses)
    return result


# --- EXPLAIN of the list queries ------------------------------------------------------------------
def explain_list(engine: Engine, username: str, params: dict[str, str]) -> str:
    """Run service.list_cases in-process as `username`, time each SQL statement and EXPLAIN the slow ones."""
    from sqlmodel import Session
    from sqlmodel import select as sm_select

    from portal.cases import service
    from portal.people.models import Person
    from portal.scope import load_principal

    captured: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        context._bench_t0 = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        captured.append((statement, parameters, (time.perf_counter() - context._bench_t0) * 1000))

    event.listen(engine, "before_cursor_execute", capture)
    event.listen(engine, "after_cursor_execute", after)
    try:
        with Session(engine) as db:
            person = db.exec(sm_select(Person).where(Person.username == username)).one()
            principal = load_principal(db, person)
            flt = service.CaseFilter(
                q=params.get("q", ""), state=params.get("state", ""), dispute_type=params.get("dispute_type", "")
            )
            captured.clear()
            t0 = time.perf_counter()
            service.list_cases(db, principal, flt, page=int(params.get("page", 1)), size=50)
            total = (time.perf_counter() - t0) * 1000
    finally:
        event.remove(engine, "before_cursor_execute", capture)
        event.remove(engine, "after_cursor_execute", after)
    lines = [f"list_cases({params}) as {username}: {total:.1f} ms in-process, {len(captured)} statements"]
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        for statement, parameters, _ in captured:
            cursor = raw.cursor()
            t0 = time.perf_counter()
            cursor.execute(statement, parameters)
            rows = len(cursor.fetchall())  # SQLite does the work while fetching: time execute + fetch
            ms = (time.perf_counter() - t0) * 1000
            lines.append(f"-- {ms:.1f} ms, {rows} rows: {' '.join(statement.split())[:400]}")
            if ms < 5:
                cursor.close()
                continue
            if engine.dialect.name == "postgresql":
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
            else:
                cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
            lines += ["   " + " | ".join(str(c) for c in row) for row in cursor.fetchall()]
            cursor.close()
    return "\n".join(lines)


# --- one database ---------------------------------------------------------------------------
def fresh_database(backend: str, data_dir: Path):  # noqa: ANN201
    """(URL, PostgreSQL server or None) of an empty database: a SQLite file in `data_dir`, or a throwaway server."""
    data_dir.mkdir(parents=True, exist_ok=True)
    if backend == "sqlite":
        return f"sqlite:///{data_dir / 'portal.sqlite3'}", None
    from support.pg import PostgresServer

    pg = PostgresServer().start()
    return pg.create_database("bench"), pg


def bench_one(backend: str, args: argparse.Namespace, workdir: Path) -> tuple[list[Result], list[str]]:
    notes: list[str] = []

    def note(line: str) -> None:
        notes.append(line)
        print(line, flush=True)

    data_dir = workdir / backend
    url, pg = fresh_database(backend, data_dir)
    server = None
    try:
        t0 = time.perf_counter()
        migrate(url)
        engine = make_engine(url)
        build_demo(engine, password=DEMO_PASSWORD)
        note(f"[{backend}] migrate + demo county: {time.perf_counter() - t0:.1f} s")
        loaded = load_cases(engine, args.cases, seed=args.seed)
        rows = loaded.cases + loaded.parties + loaded.events + loaded.mediators + loaded.records + loaded.files
        note(
            f"[{backend}] loaded {loaded.cases:,} cases, {loaded.parties:,} parties, {loaded.events:,} events, "
            f"{loaded.mediators:,} mediators, {loaded.records:,} records, {loaded.files:,} files "
            f"in {loaded.seconds:.1f} s ({rows / max(loaded.seconds, 1e-9):,.0f} rows/s)"
        )
        ids = visible_ids(engine)
        note(f"[{backend}] visible: county user {len(ids['county']):,} cases, village user {len(ids['village']):,}")
        chosen = scenarios(ids, args.scenarios)
        # The portal on the database's own machine reaches it through the Unix socket (--pg-via tcp: over 127.0.0.1).
        if pg:
            note(
                f"[{backend}] the server connects "
                f"{'through the Unix socket' if args.pg_via == 'socket' else 'over TCP to 127.0.0.1'}"
            )
        server = Server(
            pg.socket_url("bench") if pg and args.pg_via == "socket" else url, data_dir, workers=args.workers
        )
        server.wait()
        time.sleep(3)  # steady state: each worker's start-up work in the background (the search warm-up) is over
        clients = []
        for n in range(args.clients):
            kind = "county" if n % 2 == 0 else "village"
            clients.append((kind, signed_in_cookies(server.base, COUNTY_USER if kind == "county" else VILLAGE_USER)))
        results = []
        for scenario in chosen:
            cpu_before = server.cpu_seconds()
            result = run_scenario(server, scenario, clients, args.seconds, args.max_requests)
            result.server_cpu = server.cpu_seconds() - cpu_before
            results.append(result)
            print(
                f"  [{backend}] {scenario.name}: {len(result.latencies)} ok, "
                f"p95 {result.pct(95):.1f} ms, errors {result.errors}"
                + (f" {dict(result.statuses)}" if result.statuses else ""),
                flush=True,
            )
        list_results = {r.scenario: r for r in results if r.scenario.startswith("list")}
        if args.explain or any(r.pct(95) > TARGET_P95_MS for r in list_results.values()):
            probes = {
                "list state=closed&type=03": {"state": "closed", "dispute_type": "03"},
                "list page=5": {"page": "5"},
                "list page=1": {},
                "list q=<surname>": {"q": "王建国"},
            }
            for name, params in probes.items():
                if name in list_results and (args.explain or list_results[name].pct(95) > TARGET_P95_MS):
                    for user in (COUNTY_USER, VILLAGE_USER):
                        note(f"[{backend}] " + explain_list(engine, user, params))
        engine.dispose()
        return results, notes
    finally:
        if server:
            server.stop()
        if pg:
            pg.stop()


def table(all_results: dict[str, list[Result]]) -> str:
    head = (
        f"{'db':<11}{'scenario':<28}{'requests':>9}{'req/s':>8}"
        f"{'p50':>8}{'p95':>8}{'p99':>8}{'errors':>8}{'cpu/req':>9}"
    )
    lines = [head, "-" * len(head)]
    for backend, results in all_results.items():
        for r in results:
            ok = len(r.latencies)
            rate = ok / max(1e-9, ARGS_SECONDS[0])
            flag = "" if r.pct(95) <= TARGET_P95_MS else "  > target"
            lines.append(
                f"{backend:<11}{r.scenario:<28}{ok:>9}{rate:>8.0f}{r.pct(50):>8.1f}{r.pct(95):>8.1f}{r.pct(99):>8.1f}{r.errors:>8}{r.cpu_ms_per_request:>9.1f}{flag}"
            )
    return "\n".join(lines)


ARGS_SECONDS = [20.0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000, help="synthetic cases to load (default 100000)")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument(
        "--clients", type=int, default=16, help="concurrent clients (connections), half county, half village"
    )
    parser.add_argument("--seconds", type=float, default=20, help="duration of each scenario")
    parser.add_argument("--max-requests", type=int, default=50_000, help="cap on requests per scenario")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument(
        "--pg-via",
        choices=("socket", "tcp"),
        default="socket",
        help="how the server reaches PostgreSQL: its Unix socket (default, as on one machine) or TCP to 127.0.0.1",
    )
    parser.add_argument(
        "--scenarios", nargs="*", help="names (or first words) of scenarios, e.g. list case healthz orgs"
    )
    parser.add_argument("--explain", action="store_true", help="always print timings and EXPLAIN of the list queries")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (database files, server log)")
    args = parser.parse_args(argv)
    args.clients = max(1, min(args.clients, 64))
    args.seconds = max(1.0, min(args.seconds, 600.0))
    ARGS_SECONDS[0] = args.seconds
    workdir = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    backends = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    all_results: dict[str, list[Result]] = {}
    notes: list[str] = []
    try:
        for backend in backends:
            print(
                f"== {backend}: {args.cases:,} cases, {args.clients} clients, {args.seconds:.0f} s per scenario",
                flush=True,
            )
            results, more = bench_one(backend, args, workdir)
            all_results[backend] = results
            notes += more
    finally:
        if args.keep:
            print(f"kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(
        f"{args.cases:,} cases, {args.clients} clients, {args.seconds:.0f} s per scenario, "
        f"target p95 < {TARGET_P95_MS:.0f} ms (times in ms)"
    )
    print(table(all_results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
