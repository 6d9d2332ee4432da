"""Many people at once for minutes, on the demo county, against the production server: does anything fail?

    .venv/bin/python bench/soak.py [--db sqlite|postgresql] [--clients 64] [--minutes 5] [--workers 2]

A fresh database (a SQLite file, or a throwaway PostgreSQL server started like the tests start theirs) gets the
demo county (`portal demo`: 57 organisations, 42 people, 300 cases, 3 filed dossiers); `portal serve --workers N`
runs with its search indexer. N clients sign in, each with a session of its own, spread over the demo accounts
that handle cases, and each sends its next request as soon as the last is answered, on its own keep-alive
connection (bench/http_load.py): 70 % reads (the case list — plain, paged, filtered —, case pages, full-text
search), 25 % writes (a party or an investigation record added to an open case the account may change), 5 % uploads
(a PDF of 20–300 KB to such a case). After M minutes it waits for the indexer to catch up, stops the server and runs
`portal audit verify` and `portal search check --no-repair`. It prints requests, errors by status, p50/p95/p99 per
kind, each worker's memory at the start and at the end, and whether both checks passed. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
for extra in (ROOT, ROOT / "tests"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from sqlalchemy import func  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from bench.cases import Server, signed_in_cookies  # noqa: E402
from bench.http_load import Connection  # noqa: E402
from bench.loader import GIVEN, SURNAMES  # noqa: E402
from portal.cases.access import visible_condition  # noqa: E402
from portal.cases.files import UPLOAD_ROLES  # noqa: E402
from portal.cases.models import OPEN_STATES, Case, CaseState  # noqa: E402
from portal.cases.service import EDIT_ROLES  # noqa: E402
from portal.db import make_engine, migrate  # noqa: E402
from portal.people.models import Person, Role  # noqa: E402
from portal.scope import load_principal  # noqa: E402
from portal.searching.models import SearchOutbox  # noqa: E402

# Demo accounts that handle cases (受理员, 调解员, 主任 at the county centre, a street, townships and villages)
# and two that only read (the 司法局's 督导, the county administrator).
ACCOUNTS = [
    "qx.clerk",
    "qx.director",
    "qx.mediator1",
    "qx.mediator2",
    "cg.director",
    "cg.clerk",
    "cg.mediator",
    "hk.director",
    "hk.mediator",
    "ty.director",
    "bs.director",
    "dm.director",
    "xf.clerk",
    "yt.director",
    "sfj.supervisor",
    "qx.admin",
]
RECORD_STATES = (CaseState.ACCEPTED, CaseState.INVESTIGATING, CaseState.MEDIATING)  # an investigation record
WORDS = ["宅基地", "工资", "邻里", "婚姻", "赡养", "交通事故", "物业", "土地", "借款", "医疗", "调解", "协议"]
KINDS = ["list", "case page", "search", "party", "record", "upload"]


@dataclass
class Account:
    username: str
    visible: list[int]
    parties: list[int]  # open cases the account may add a party to
    records: list[int]  # cases the account may add an investigation record to
    uploads: list[int]


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))

    def count(self, kind: str) -> int:
        return len(self.latencies[kind]) + sum(self.errors[kind].values())


def _accounts(url: str) -> list[Account]:
    """What each demo account may see and change, read through the portal's own scope."""
    engine = make_engine(url)
    out = []
    with Session(engine) as db:
        for username in ACCOUNTS:
            person = db.exec(select(Person).where(Person.username == username)).one()
            principal = load_principal(db, person)
            visible = list(db.exec(select(Case.id).where(visible_condition(principal))).all())

            def changeable(roles: tuple[Role, ...], states: tuple[CaseState, ...]) -> list[int]:
                return list(
                    db.exec(
                        select(Case.id).where(
                            principal.path_filter(Case.org_path, *roles),  # noqa: B023
                            Case.state.in_(states),
                            Case.in_transfer == False,  # noqa: E712
                            Case.archived_at == None,  # noqa: E711
                        )
                    ).all()
                )

            out.append(
                Account(
                    username,
                    visible,
                    changeable(EDIT_ROLES, OPEN_STATES),
                    changeable((Role.MEDIATOR, Role.DIRECTOR), RECORD_STATES),
                    changeable(UPLOAD_ROLES, OPEN_STATES),
                )
            )
    engine.dispose()
    return out


def _pdf(rng: random.Random) -> bytes:
    """A valid one-page PDF with a line of text, padded with an unreferenced stream to 20–300 KB (distinct bytes:
    each upload is a new stored file)."""
    line = f"Soak upload {rng.randrange(10**9)}"
    content = zlib.compress(f"BT /F1 12 Tf 72 720 Td ({line}) Tj ET".encode())
    padding = rng.randbytes(rng.randrange(20_000, 300_000))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(padding) + padding + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _multipart(fields: dict[str, str], filename: str, data: bytes, media_type: str) -> tuple[bytes, str]:
    boundary = f"soak{random.randrange(10**12)}"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        f"Content-Type: {media_type}\r\n\r\n".encode()
        + data
        + b"\r\n"
    )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def _csrf(cookie: str) -> str:
    return next(part.split("=", 1)[1] for part in cookie.split("; ") if part.startswith("portal_csrf="))


class Client:
    def __init__(self, n: int, account: Account, cookie: str, port: int, tally: Tally, today: str) -> None:
        self.rng = random.Random(n)
        self.account, self.cookie, self.tally, self.today = account, cookie, tally, today
        self.conn = Connection("127.0.0.1", port, cookie)
        self.token = _csrf(cookie)

    def next_request(self) -> tuple[str, str, str, bytes, str]:
        """(kind, method, path, body, content type) by the mix; a write the account cannot make is a read."""
        rng, account = self.rng, self.account
        roll = rng.random()
        if roll >= 0.95 and account.uploads:
            body, kind_of = _multipart(
                {"doc_type": "证据材料", "_csrf_token": self.token}, "证据.pdf", _pdf(rng), "application/pdf"
            )
            return "upload", "POST", f"/cases/{rng.choice(account.uploads)}/files", body, kind_of
        if 0.70 <= roll < 0.95 and (account.parties or account.records):
            if account.records and (rng.random() < 0.5 or not account.parties):
                fields = {
                    "kind": "investigation",
                    "held_on": self.today,
                    "place": "村调解室",
                    "investigators": "调解员",
                    "respondents": f"{rng.choice(SURNAMES)}{rng.choice(GIVEN)}",
                    "content": "了解纠纷起因、经过和双方诉求，双方陈述一致，无新的争议事实。",
                    "_csrf_token": self.token,
                }
                path, kind = f"/cases/{rng.choice(account.records)}/records", "record"
            else:
                fields = {
                    "p0_role": "第三人",
                    "p0_kind": "natural",
                    "p0_name": f"{rng.choice(SURNAMES)}{rng.choice(GIVEN)}",
                    "_csrf_token": self.token,
                }
                path, kind = f"/cases/{rng.choice(account.parties)}/parties", "party"
            return kind, "POST", path, urlencode(fields).encode(), "application/x-www-form-urlencoded"
        read = rng.random()
        if read < 0.4:
            lists = ["/cases", "/cases?page=2", "/cases?state=mediating", "/cases?state=closed&sort=received"]
            return "list", "GET", rng.choice(lists), b"", ""
        if read < 0.8 and account.visible:
            return "case page", "GET", f"/cases/{rng.choice(account.visible)}", b"", ""
        return "search", "GET", f"/search?q={rng.choice(WORDS)}", b"", ""

    async def run(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            kind, method, path, body, content_type = self.next_request()
            t0 = time.perf_counter()
            try:
                status, _ = await self.conn.request(method, path, body, content_type)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                self.tally.errors[kind][type(exc).__name__] += 1
                await self.conn.close()
                continue
            elapsed = time.perf_counter() - t0
            if status == (200 if method == "GET" else 303):
                self.tally.latencies[kind].append(elapsed)
            else:
                self.tally.errors[kind][str(status)] += 1


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


def _workers_rss(server: Server) -> dict[int, float]:
    """Resident memory (MB) of each worker process of the server (the children of `portal serve`)."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
            command = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if int(fields.get("PPid", "0")) == server.proc.pid and b"resource_tracker" not in command:
            out[int(entry)] = int(fields.get("VmRSS", "0 kB").split()[0]) / 1024
    return out


def _portal(args: list[str], env: dict[str, str], timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "portal.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def soak(args: argparse.Namespace, workdir: Path) -> int:
    pg = None
    data_dir = workdir / args.db
    data_dir.mkdir(parents=True, exist_ok=True)
    if args.db == "sqlite":
        url = f"sqlite:///{data_dir / 'portal.sqlite3'}"
    else:
        from support.pg import PostgresServer

        pg = PostgresServer().start()
        url = pg.create_database("soak")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(PORTAL_DATABASE_URL=url, PORTAL_DATA_DIR=str(data_dir), PORTAL_SECRET_KEY="soak-secret", PYTHONUTF8="1")
    server = None
    try:
        t0 = time.perf_counter()
        migrate(url)
        built = _portal(["demo"], {**env, "PORTAL_DEMO_MODE": "true"})
        if built.returncode:
            raise SystemExit(f"portal demo failed:\n{built.stdout[-2000:]}{built.stderr[-2000:]}")
        print(f"[{args.db}] migrate + portal demo: {time.perf_counter() - t0:.0f} s", flush=True)
        accounts = _accounts(url)
        server = Server(
            pg.socket_url("soak") if pg else url,
            data_dir,
            workers=args.workers,
            PORTAL_INDEXER_IN_SERVER="true",
            PORTAL_FIXITY_INTERVAL_MINUTES="1440",
        )
        server.wait()
        time.sleep(5)  # the indexer builds the first index of the demo cases; the warm-up ends
        today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
        tally = Tally()
        clients = []
        for n in range(args.clients):
            account = accounts[n % len(accounts)]
            clients.append(
                Client(n, account, signed_in_cookies(server.base, account.username), server.port, tally, today)
            )
        rss_start = _workers_rss(server)
        cpu_start = server.cpu_seconds()
        print(
            f"[{args.db}] {args.clients} clients over {len(accounts)} accounts signed in; "
            f"running {args.minutes:g} min …",
            flush=True,
        )

        async def run_all() -> None:
            deadline = time.monotonic() + args.minutes * 60
            try:
                await asyncio.gather(*(c.run(deadline) for c in clients))
            finally:
                for c in clients:
                    await c.conn.close()

        started = time.monotonic()
        asyncio.run(run_all())
        elapsed = time.monotonic() - started
        cpu = server.cpu_seconds() - cpu_start
        rss_end = _workers_rss(server)
        waited = _wait_for_indexer(url)
        server.stop()
        log = server.log.read_text(errors="replace")
        server = None
        audit = _portal(["audit", "verify"], env)
        check = _portal(["search", "check", "--no-repair"], env)
        _report(args, tally, elapsed, cpu, rss_start, rss_end, waited, log, audit, check)
        failed = sum(sum(e.values()) for e in tally.errors.values())
        return 1 if failed or audit.returncode or check.returncode else 0
    finally:
        if server:
            server.stop()
        if pg:
            pg.stop()


def _wait_for_indexer(url: str, timeout: float = 300) -> float:
    """Seconds until the search outbox is empty (every change indexed), before the index is checked."""
    engine = make_engine(url)
    t0 = time.monotonic()
    try:
        while time.monotonic() - t0 < timeout:
            with Session(engine) as db:
                if db.exec(select(func.count()).select_from(SearchOutbox)).one() == 0:
                    break
            time.sleep(1)
    finally:
        engine.dispose()
    return time.monotonic() - t0


def _report(args, tally, elapsed, cpu, rss_start, rss_end, waited, log, audit, check) -> None:  # noqa: ANN001
    total = sum(tally.count(k) for k in KINDS)
    failed = {k: dict(v) for k, v in tally.errors.items() if v}
    print()
    print(
        f"{args.db}: {args.clients} clients, {elapsed / 60:.1f} min, portal serve --workers {args.workers}: "
        f"{total:,} requests ({total / elapsed:.0f}/s), {sum(sum(v.values()) for v in failed.values())} errors"
        + (f" {failed}" if failed else "")
    )
    print(f"{'kind':<11}{'requests':>9}{'share':>7}{'p50':>8}{'p95':>8}{'p99':>8}{'errors':>8}   (ms)")
    for kind in KINDS:
        lat = tally.latencies[kind]
        print(
            f"{kind:<11}{tally.count(kind):>9}{tally.count(kind) / max(total, 1):>7.0%}"
            f"{_pct(lat, 50):>8.0f}{_pct(lat, 95):>8.0f}{_pct(lat, 99):>8.0f}{sum(tally.errors[kind].values()):>8}"
        )
    print(f"server CPU: {cpu:.0f} s ({cpu / elapsed:.2f} cores), {cpu * 1000 / max(total, 1):.1f} ms per request")
    start = ", ".join(f"{v:.0f}" for v in rss_start.values())
    end = ", ".join(f"{v:.0f}" for v in rss_end.values())
    print(f"worker memory (RSS, MB): at start {start}; at the end {end}")
    print(f"indexer caught up {waited:.0f} s after the clients stopped")
    locked = log.count("database is locked")
    print(
        f"server log: {log.count('Traceback')} tracebacks, {locked} 'database is locked', {log.count('busy on ')} 503s"
    )
    for name, result in (("portal audit verify", audit), ("portal search check --no-repair", check)):
        said = (result.stdout + result.stderr).strip().splitlines()
        verdict = "passed" if result.returncode == 0 else f"FAILED ({result.returncode})"
        print(f"{name}: {verdict} — {said[-1] if said else ''}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (database, server log)")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="portal-soak-"))
    try:
        return soak(args, workdir)
    finally:
        if args.keep:
            print(f"kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
