"""Case list and case page latency at scale, against the production server, on SQLite and PostgreSQL.

    .venv/bin/python bench/cases.py [--cases 100000] [--db sqlite|postgresql|both] [--clients 16] [--seconds 20]

For each database: a fresh database (a SQLite file in a temp folder; a throwaway PostgreSQL server
started exactly like the tests do, tests/support/pg.py), migrated, the demo county built, N synthetic
cases bulk-loaded with SQLAlchemy Core, then `portal serve --workers 2` in a subprocess. Clients sign in
(half as the county clerk, half as a village director) and hammer each scenario in turn for --seconds;
the table gives requests, p50/p95/p99 (ms) and errors. Everything runs on 127.0.0.1 and is removed at
the end (--keep keeps the temp folder). See bench/README.md.
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
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time as dtime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for extra in (ROOT, ROOT / "tests"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from sqlalchemy import event, func, insert, select, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from portal.cases.models import Case, CaseEvent, CaseSequence, CaseState, Party  # noqa: E402
from portal.db import make_engine, migrate  # noqa: E402
from portal.demo import DEMO_PASSWORD, build_demo  # noqa: E402
from portal.orgs.models import Organisation, OrgKind, Tier  # noqa: E402

TARGET_P95_MS = 100.0
BATCH = 5000
COUNTY_USER, VILLAGE_USER = "qx.clerk", "dm.director"  # the village user's committee: 东门社区
VILLAGE_ORG = "东门社区人民调解委员会"

# --- synthetic cases ----------------------------------------------------------------------------
S = CaseState
STATES = [(S.EVALUATED, 40), (S.FOLLOWED_UP, 12), (S.CLOSED, 14), (S.PERFORMING, 4), (S.CONFIRMING, 1), (S.AGREED, 2), (S.FAILED, 2),
          (S.MEDIATING, 8), (S.INVESTIGATING, 4), (S.ACCEPTED, 4), (S.REGISTERED, 5), (S.REFUSED, 3)]
TYPES = ["0101", "0102", "0103", "0201", "0202", "0301", "0302", "04", "05", "06", "0701", "0702", "08", "09", "1001", "1002",
         "11", "12", "13", "14", "15", "16", "17", "99"]
TOPICS = {"01": "婚姻家庭", "02": "邻里", "03": "宅基地", "04": "合同", "05": "生产经营", "06": "损害赔偿", "07": "土地承包", "08": "征地拆迁",
          "09": "环境污染", "10": "劳动争议", "11": "旅游", "12": "消费", "13": "医疗", "14": "道路交通事故", "15": "物业", "16": "知识产权",
          "17": "网络购物", "99": "其他"}
CHANNELS = ["来访"] * 6 + ["电话", "电话", "来信", "网络", "网格员上报", "网格员上报", "主动排查", "信访移交", "法院委派/委托", "公安移交", "部门移送"]
SURNAMES = "王李张刘陈杨黄赵周吴徐孙马胡朱郭何罗高林郑梁谢唐许冯宋韩邓彭曹曾田萧潘袁蔡蒋余于杜叶程魏苏吕丁沈任姚卢傅钟姜崔谭廖范汪陆金石戴贾"
GIVEN = ["建国", "秀英", "志强", "桂兰", "国华", "玉梅", "卫东", "春花", "德才", "丽娟", "明亮", "晓燕", "家豪", "雪梅", "俊杰", "婷婷",
         "堃", "喆", "䶮", "宏堃", "𠮷祥", "文喆", "海波", "金凤"]
SUMMARY = ("{a}与{b}因{t}问题发生纠纷，双方多次协商未果，{a}到调委会申请调解。经初步了解，双方争议焦点在于责任划分和赔偿数额，"
           "情绪较为对立，有激化可能。")
EVENTS = {S.REGISTERED: ["register"], S.REFUSED: ["register", "refuse"], S.ACCEPTED: ["register", "accept", "assign"],
          S.INVESTIGATING: ["register", "accept", "assign", "investigate"], S.MEDIATING: ["register", "accept", "assign", "mediate", "record"],
          S.AGREED: ["register", "accept", "assign", "mediate", "record", "succeed"], S.FAILED: ["register", "accept", "assign", "mediate", "fail"],
          S.CONFIRMING: ["register", "accept", "assign", "mediate", "succeed", "apply_confirmation"],
          S.PERFORMING: ["register", "accept", "assign", "mediate", "succeed", "perform"],
          S.CLOSED: ["register", "accept", "assign", "mediate", "record", "succeed", "perform", "close"],
          S.FOLLOWED_UP: ["register", "accept", "assign", "mediate", "record", "succeed", "perform", "close", "follow_up"],
          S.EVALUATED: ["register", "accept", "assign", "mediate", "record", "succeed", "perform", "close", "follow_up", "evaluate"]}


@dataclass
class LoadReport:
    cases: int = 0
    parties: int = 0
    events: int = 0
    seconds: float = 0.0


def _handling_orgs(engine: Engine) -> list[tuple[Organisation, float]]:
    """Organisations that handle cases, with a weight: villages most, then townships, groups and county bodies."""
    with engine.connect() as conn:
        orgs = [Organisation(**row._mapping) for row in conn.execute(select(*Organisation.__table__.c))]
    weights = {Tier.VILLAGE: 6.0, Tier.GROUP: 1.0, Tier.TOWNSHIP: 5.0, Tier.COUNTY: 2.0}
    handling = []
    for org in orgs:
        if org.kind in (OrgKind.JUSTICE_BUREAU, OrgKind.JUSTICE_OFFICE, OrgKind.POLICE) or org.tier is Tier.CITY:
            continue
        handling.append((org, weights.get(org.tier, 1.0)))
    return handling


def load_cases(engine: Engine, count: int, *, seed: int = 7, years: float = 3.0, batch: int = BATCH) -> LoadReport:
    """Bulk-insert `count` synthetic cases (with 2–3 parties and their timeline) spread over orgs, states and dates."""
    started = time.perf_counter()
    rng = random.Random(seed)
    handling = _handling_orgs(engine)
    orgs, org_weights = [o for o, _ in handling], [w for _, w in handling]
    states, state_weights = [s for s, _ in STATES], [w for _, w in STATES]
    today = date.today()
    span = int(365 * years)
    received = sorted(today - timedelta(days=rng.randrange(span)) for _ in range(count))
    with engine.begin() as conn:
        start_id = (conn.execute(select(func.max(Case.id))).scalar() or 0) + 1
        sequences = {(r.org_id, r.year): r.last for r in conn.execute(select(CaseSequence.org_id, CaseSequence.year, CaseSequence.last))}
    report = LoadReport()
    case_rows: list[dict] = []
    party_rows: list[dict] = []
    event_rows: list[dict] = []

    def flush(conn) -> None:  # noqa: ANN001
        if case_rows:
            conn.execute(insert(Case.__table__), case_rows)
        if party_rows:
            conn.execute(insert(Party.__table__), party_rows)
        if event_rows:
            conn.execute(insert(CaseEvent.__table__), event_rows)
        report.cases += len(case_rows)
        report.parties += len(party_rows)
        report.events += len(event_rows)
        case_rows.clear(), party_rows.clear(), event_rows.clear()

    with engine.begin() as conn:
        org_choices = rng.choices(range(len(orgs)), org_weights, k=count)
        state_choices = rng.choices(states, state_weights, k=count)
        for i in range(count):
            case_id = start_id + i
            org = orgs[org_choices[i]]
            state = state_choices[i]
            day = received[i]
            if (today - day).days < 60 and state in (S.EVALUATED, S.FOLLOWED_UP):
                state = S.MEDIATING
            key = (org.id, day.year)
            sequences[key] = seq = sequences.get(key, 0) + 1
            dtype = rng.choice(TYPES)
            a = rng.choice(SURNAMES) + rng.choice(GIVEN)
            b = rng.choice(SURNAMES) + rng.choice(GIVEN)
            topic = TOPICS[dtype[:2]]
            accepted = day + timedelta(days=rng.randint(0, 3)) if state not in (S.REGISTERED, S.REFUSED) else None
            closed = accepted + timedelta(days=rng.randint(5, 40)) if accepted and state in (S.CLOSED, S.FOLLOWED_UP, S.EVALUATED) else None
            if closed and closed > today:
                closed = today
            at = datetime.combine(day, dtime(1, 30), UTC)
            amount = rng.randrange(0, 2000) * 100 if rng.random() < 0.6 else None
            case_rows.append({
                "id": case_id, "org_id": org.id, "org_path": org.path, "number_org_id": org.id, "number_year": day.year,
                "number_prefix": org.short_name, "number_seq": seq, "number": f"（{day.year}）{org.short_name}人调字第{seq:03d}号",
                "title": f"{a}与{b}{topic}纠纷", "channel": rng.choice(CHANNELS), "dispute_type": dtype,
                "summary": SUMMARY.format(a=a, b=b, t=topic), "requests": f"请求{b}依法承担责任。", "amount": amount,
                "people_involved": 1 if rng.random() < 0.95 else rng.randint(3, 30), "group_dispute": False, "risk_flag": rng.random() < 0.05,
                "state": state, "outcome": ("written" if rng.random() < 0.7 else "oral") if closed or state in (S.AGREED, S.PERFORMING, S.CONFIRMING)
                else ("failed" if state is S.FAILED else None),
                "received_on": day, "accepted_on": accepted, "closed_on": closed,
                "mediation_due_on": accepted + timedelta(days=30) if accepted else None,
                "followup_due_on": closed + timedelta(days=7) if closed else None, "in_transfer": False, "version": 1,
                "created_by": None, "created_at": at, "updated_at": at})
            for n, (role, name) in enumerate((("申请人", a), ("被申请人", b))):
                party_rows.append({"case_id": case_id, "role": role, "kind": "natural", "name": name, "sex": "", "ethnicity": "",
                                   "birth_date": None, "age": None, "occupation": "", "id_type": "", "id_number": "",
                                   "phone": f"139{rng.randrange(10**8):08d}", "address": "", "sort_order": n})
            for n, kind in enumerate(EVENTS[state]):
                event_rows.append({"case_id": case_id, "at": at + timedelta(hours=n), "actor_id": None, "actor_name": "批量导入",
                                   "org_id": org.id, "org_name": org.name, "kind": kind, "summary": kind})
            if len(case_rows) >= batch:
                flush(conn)
        flush(conn)
        for (org_id, year), last in sequences.items():
            conn.execute(CaseSequence.__table__.delete().where(CaseSequence.org_id == org_id, CaseSequence.year == year))
            conn.execute(insert(CaseSequence.__table__), {"org_id": org_id, "year": year, "last": last})
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT setval(pg_get_serial_sequence('\"case\"', 'id'), (SELECT max(id) FROM \"case\"))"))
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    report.seconds = time.perf_counter() - started
    return report


# --- the server and its clients ---------------------------------------------------------------
def free_port() -> int:
    from support.net import free_port as pick

    return pick("127.0.0.1")


class Server:
    """`portal serve --workers 2` in its own process group; stopped with SIGTERM (SIGKILL if it hangs)."""

    def __init__(self, url: str, data_dir: Path, workers: int = 2) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = data_dir / "server.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
        env.update(PORTAL_DATABASE_URL=url, PORTAL_DATA_DIR=str(data_dir), PORTAL_SECRET_KEY="bench-secret", PYTHONUTF8="1")
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "portal.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port),
                                          "--workers", str(workers)], env=env, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)

    def wait(self, timeout: float = 60) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited ({self.proc.returncode}):\n{self.log.read_text(errors='replace')[-3000:]}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"the server did not answer /healthz in {timeout} s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)  # our own process group (start_new_session)
                self.proc.wait(timeout=5)


def signed_in_client(base: str, username: str):  # noqa: ANN201
    import httpx

    client = httpx.Client(base_url=base, timeout=30, follow_redirects=False)
    client.get("/login")
    response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD, "_csrf_token": client.cookies.get("portal_csrf")})
    if response.status_code not in (302, 303) or "portal_session" not in client.cookies:
        raise RuntimeError(f"signing in as {username} failed: {response.status_code} {response.text[:300]}")
    return client


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
    chosen = [s for s in all_scenarios if s.name in wanted or s.name.split()[0] in wanted or s.name.replace(" ", "_") in wanted]
    if not chosen:
        raise SystemExit(f"no such scenario: {wanted}; choose from {[s.name for s in all_scenarios]}")
    return chosen


def run_scenario(base: str, scenario: Scenario, clients: list[tuple[str, object]], seconds: float, max_requests: int) -> Result:
    result = Result(scenario.name)
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    budget = [max_requests]

    def worker(n: int, kind: str, client) -> None:  # noqa: ANN001
        rng = random.Random(n)
        for _ in range(3):  # warm up
            try:
                client.get(scenario.path(rng, kind))
            except Exception:  # noqa: BLE001
                pass
        mine: list[float] = []
        errors = 0
        while time.monotonic() < deadline:
            with lock:
                if budget[0] <= 0:
                    break
                budget[0] -= 1
            path = scenario.path(rng, kind)
            t0 = time.perf_counter()
            try:
                response = client.get(path)
                elapsed = time.perf_counter() - t0
                if response.status_code != 200:
                    errors += 1
                    with lock:
                        result.statuses[response.status_code] += 1
                else:
                    mine.append(elapsed)
            except Exception:  # noqa: BLE001
                errors += 1
        with lock:
            result.latencies += mine
            result.errors += errors

    threads = [threading.Thread(target=worker, args=(n, kind, client), daemon=True) for n, (kind, client) in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 60)
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
            flt = service.CaseFilter(q=params.get("q", ""), state=params.get("state", ""), dispute_type=params.get("dispute_type", ""))
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
def bench_one(backend: str, args: argparse.Namespace, workdir: Path) -> tuple[list[Result], list[str]]:
    notes: list[str] = []

    def note(line: str) -> None:
        notes.append(line)
        print(line, flush=True)

    pg = None
    data_dir = workdir / backend
    data_dir.mkdir(parents=True, exist_ok=True)
    if backend == "sqlite":
        url = f"sqlite:///{data_dir / 'portal.sqlite3'}"
    else:
        from support.pg import PostgresServer

        pg = PostgresServer().start()
        url = pg.create_database("bench")
    server = None
    try:
        t0 = time.perf_counter()
        migrate(url)
        engine = make_engine(url)
        build_demo(engine, password=DEMO_PASSWORD)
        note(f"[{backend}] migrate + demo county: {time.perf_counter() - t0:.1f} s")
        loaded = load_cases(engine, args.cases, seed=args.seed)
        note(f"[{backend}] loaded {loaded.cases:,} cases, {loaded.parties:,} parties, {loaded.events:,} events "
             f"in {loaded.seconds:.1f} s ({(loaded.cases + loaded.parties + loaded.events) / max(loaded.seconds, 1e-9):,.0f} rows/s)")
        ids = visible_ids(engine)
        note(f"[{backend}] visible: county user {len(ids['county']):,} cases, village user {len(ids['village']):,}")
        chosen = scenarios(ids, args.scenarios)
        server = Server(url, data_dir, workers=args.workers)
        server.wait()
        clients = []
        for n in range(args.clients):
            kind = "county" if n % 2 == 0 else "village"
            clients.append((kind, signed_in_client(server.base, COUNTY_USER if kind == "county" else VILLAGE_USER)))
        results = []
        for scenario in chosen:
            result = run_scenario(server.base, scenario, clients, args.seconds, args.max_requests)
            results.append(result)
            print(f"  [{backend}] {scenario.name}: {len(result.latencies)} ok, p95 {result.pct(95):.1f} ms, errors {result.errors}"
                  + (f" {dict(result.statuses)}" if result.statuses else ""), flush=True)
        for _, client in clients:
            client.close()
        list_results = {r.scenario: r for r in results if r.scenario.startswith("list")}
        if args.explain or any(r.pct(95) > TARGET_P95_MS for r in list_results.values()):
            probes = {"list state=closed&type=03": {"state": "closed", "dispute_type": "03"}, "list page=5": {"page": "5"},
                      "list page=1": {}, "list q=<surname>": {"q": "王建国"}}
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
    head = f"{'db':<11}{'scenario':<28}{'requests':>9}{'req/s':>8}{'p50':>8}{'p95':>8}{'p99':>8}{'errors':>8}"
    lines = [head, "-" * len(head)]
    for backend, results in all_results.items():
        for r in results:
            ok = len(r.latencies)
            rate = ok / max(1e-9, ARGS_SECONDS[0])
            flag = "" if r.pct(95) <= TARGET_P95_MS else "  > target"
            lines.append(f"{backend:<11}{r.scenario:<28}{ok:>9}{rate:>8.0f}{r.pct(50):>8.1f}{r.pct(95):>8.1f}{r.pct(99):>8.1f}{r.errors:>8}{flag}")
    return "\n".join(lines)


ARGS_SECONDS = [20.0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000, help="synthetic cases to load (default 100000)")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (threads), half county, half village")
    parser.add_argument("--seconds", type=float, default=20, help="duration of each scenario")
    parser.add_argument("--max-requests", type=int, default=50_000, help="cap on requests per scenario")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--scenarios", nargs="*", help="names (or first words) of scenarios, e.g. list case healthz orgs")
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
            print(f"== {backend}: {args.cases:,} cases, {args.clients} clients, {args.seconds:.0f} s per scenario", flush=True)
            results, more = bench_one(backend, args, workdir)
            all_results[backend] = results
            notes += more
    finally:
        if args.keep:
            print(f"kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(f"{args.cases:,} cases, {args.clients} clients, {args.seconds:.0f} s per scenario, target p95 < {TARGET_P95_MS:.0f} ms (times in ms)")
    print(table(all_results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
