"""The real `portal` command, run in subprocesses against each test's database (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from alembic.script import ScriptDirectory
from conftest import BACKENDS, TEST_BASE_URL
from factories import PASSWORD, add_org, build_world, sign_in
from sqlalchemy import delete, func, inspect, text, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, select
from support.cli import kill_group, portal_env, run_portal, start_portal, stop_portal, wait_for_healthz, wait_group_gone
from support.net import free_port
from support.sqlite import sqlite_url

from portal import demo_data, serving
from portal.audit.models import AuditEntry
from portal.auth.passwords import verify_password
from portal.db import alembic_config, make_engine, transaction
from portal.demo import DEMO_PASSWORD, org_specs
from portal.orgs.models import Organisation, OrgKind, Tier
from portal.people.models import Membership, Person, Role

STRONG_PASSWORD = "Gen-Admin-2026!"
ADMIN_ARGS = (
    "create-admin",
    "--username",
    "root.admin",
    "--name",
    "管理员",
    "--org-name",
    "某市矛调中心",
    "--short-name",
    "某",
)


def env_for(settings, **extra: str) -> dict[str, str]:  # noqa: ANN001
    return portal_env(settings.effective_database_url, settings.data_dir, **extra)


def counts(engine) -> tuple[int, int, int]:  # noqa: ANN001
    with Session(engine) as db:
        return tuple(
            db.exec(sa_select(func.count()).select_from(model)).scalar_one()  # type: ignore[return-value]
            for model in (Organisation, Person, Membership)
        )


def head_revision(url: str) -> str:
    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


@pytest.fixture(params=BACKENDS)
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path):
    """A database that exists but was never migrated:
    a new SQLite path, or a PostgreSQL database made without template."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "fresh" / "portal.sqlite3")
        return
    server = request.getfixturevalue("pg_server")
    name = server.new_database_name("empty")
    url = server.create_database(name)
    try:
        yield url
    finally:
        server.drop_database(name)


# --- migrate --------------------------------------------------------------------------------
def test_migrate_creates_the_schema_on_an_empty_database_and_is_then_a_no_op(empty_db_url, tmp_path):
    url = empty_db_url
    if url.startswith("postgresql"):
        url = url.replace("://postgres@", "://postgres:s3cret-pw@")  # trust auth ignores it; the output must hide it
        engine = make_engine(url)
        with engine.connect() as conn:
            assert inspect(conn).get_table_names() == []
    else:
        assert not Path(url.removeprefix("sqlite:///")).exists()
        engine = None
    env = portal_env(url, tmp_path / "var")
    try:
        first = run_portal("migrate", env=env, cwd=tmp_path)
        assert first.returncode == 0, first.stderr
        assert "数据库已是最新结构" in first.stdout
        assert "s3cret-pw" not in first.stdout + first.stderr
        engine = engine or make_engine(url)
        head = head_revision(url)
        with engine.connect() as conn:
            assert conn.execute(text("select version_num from alembic_version")).scalar_one() == head
            assert {"organisation", "person", "membership", "audit_entry", "audit_head"} <= set(
                inspect(conn).get_table_names()
            )
        with transaction(engine) as db:
            add_org(db, "迁移前的机构", None, Tier.CITY, OrgKind.CENTRE, "迁")

        second = run_portal("migrate", env=env, cwd=tmp_path)
        assert second.returncode == 0, second.stderr
        with engine.connect() as conn:
            assert conn.execute(text("select version_num from alembic_version")).scalars().all() == [head]
            assert conn.execute(text("select name from organisation")).scalars().all() == ["迁移前的机构"]
            assert conn.execute(text("select seq from audit_head")).scalars().all() == [0]
    finally:
        if engine is not None:
            engine.dispose()


# --- demo -----------------------------------------------------------------------------------
def test_demo_refuses_outside_demo_mode_then_builds_the_county_once(settings, engine, tmp_path):
    for env in (env_for(settings), env_for(settings, PORTAL_DEMO_MODE="false")):
        refused = run_portal("demo", env=env, cwd=tmp_path)
        assert refused.returncode != 0
        assert "演示模式" in refused.stderr and "PORTAL_DEMO_MODE=true" in refused.stderr
    assert counts(engine) == (0, 0, 0)

    demo_env = env_for(settings, PORTAL_DEMO_MODE="true")
    first = run_portal(
        "demo", env=demo_env, cwd=tmp_path, timeout=1200
    )  # ~300 cases and three bindings on a shared 2-core machine
    assert first.returncode == 0, first.stderr
    built = counts(engine)
    orgs, people, memberships = built
    assert orgs == len(org_specs()) and people == len(demo_data.PEOPLE) and memberships >= people
    assert f"机构：新建 {orgs}，已有 0" in first.stdout and f"人员：新建 {people}，已有 0" in first.stdout
    assert f"角色：新建 {memberships}，已有 0" in first.stdout
    for username, *_ in demo_data.PEOPLE:
        assert re.search(rf"^\s+{re.escape(username)}\s", first.stdout, re.M), username
    assert f"演示账户的密码均为：{DEMO_PASSWORD}" in first.stdout

    with Session(engine) as db:
        entries_after_first = db.exec(select(func.count()).select_from(AuditEntry)).one()
    second = run_portal("demo", env=demo_env, cwd=tmp_path, timeout=600)
    assert second.returncode == 0, second.stderr
    assert counts(engine) == built
    assert f"机构：新建 0，已有 {orgs}" in second.stdout and f"人员：新建 0，已有 {people}" in second.stdout
    assert f"角色：新建 0，已有 {memberships}" in second.stdout

    with Session(engine) as db:
        hashes = dict(db.exec(select(Person.username, Person.password_hash)).all())
        actions = db.exec(select(AuditEntry.action).order_by(AuditEntry.seq)).all()
    # The first run is audited (the county, then every step of the demo cases, of filing a few of them, of the 专报, the
    # 考核 months, training, subsidy claims and meetings, taken through the real services); the second changed nothing.
    services = {"case", "transfer", "dossier", "bulletin", "assessment", "training", "subsidy", "meeting", "problem"}
    assert actions[0] == "demo.build" and {a.split(".")[0] for a in actions[1:]} <= services | {"export"}
    assert (
        actions.count("dossier.filed") == 3
        and "演示卷宗：立卷归档 3 卷" in first.stdout
        and "未重复生成" in second.stdout
    )
    assert len(actions) == entries_after_first
    assert set(hashes) == {username for username, *_ in demo_data.PEOPLE}
    for username in ("yc.admin", "qx.admin", demo_data.PEOPLE[-1][0]):
        assert verify_password(hashes[username], DEMO_PASSWORD), username
        assert not verify_password(hashes[username], "Tiaojie@2025")


# --- create-admin ---------------------------------------------------------------------------
def test_create_admin_refuses_weak_passwords_and_duplicates_and_the_admin_can_sign_in(settings, engine, tmp_path):
    env = env_for(settings)
    for args, extra, message in [
        (("--password", "Ab1!"), {}, "密码至少需要"),
        ((), {"PORTAL_ADMIN_PASSWORD": "onlylowercaseletters"}, "至少两类字符"),
    ]:
        weak = run_portal(*ADMIN_ARGS, *args, env={**env, **extra}, cwd=tmp_path)
        assert weak.returncode != 0 and message in weak.stderr, (args, extra, weak.stderr)
    no_password = run_portal(*ADMIN_ARGS, env=env, cwd=tmp_path, timeout=300)  # would prompt; stdin is closed
    assert no_password.returncode != 0
    assert counts(engine) == (0, 0, 0)

    created = run_portal(*ADMIN_ARGS, env={**env, "PORTAL_ADMIN_PASSWORD": STRONG_PASSWORD}, cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    assert "已创建管理员 管理员（root.admin），管理范围：某市矛调中心" in created.stdout
    assert STRONG_PASSWORD not in created.stdout + created.stderr
    with Session(engine) as db:
        person = db.exec(select(Person).where(Person.username == "root.admin")).one()
        [membership] = db.exec(select(Membership).where(Membership.person_id == person.id)).all()
        org = db.get(Organisation, membership.org_id)
        actions = db.exec(select(AuditEntry.action, AuditEntry.object_id)).all()
    assert person.name == "管理员" and person.active and verify_password(person.password_hash, STRONG_PASSWORD)
    assert membership.role is Role.ADMIN
    assert (org.name, org.short_name, org.tier, org.kind, org.parent_id) == (
        "某市矛调中心",
        "某",
        Tier.CITY,
        OrgKind.CENTRE,
        None,
    )
    assert org.path == f"/{org.id}/" and org.depth == 0
    assert actions == [("person.create", str(person.id))]
    before = counts(engine)

    for username in ("root.admin", "ROOT.Admin"):
        duplicate = run_portal(
            "create-admin",
            "--username",
            username,
            "--name",
            "另一人",
            "--org-name",
            "另一市矛调中心",
            "--short-name",
            "另",
            "--password",
            "Other-Pass-2026",
            env=env,
            cwd=tmp_path,
        )
        assert duplicate.returncode != 0 and "已存在" in duplicate.stderr, duplicate.stderr
    assert counts(engine) == before

    from litestar.testing import TestClient

    from portal.app import create_app

    with TestClient(app=create_app(settings), base_url=TEST_BASE_URL) as client:
        assert sign_in(client, "root.admin", "Wrong-Pass-2026").status_code == 422
        response = sign_in(client, "root.admin", STRONG_PASSWORD)
        assert response.status_code == 303 and response.headers["location"] == "/workspace"
        workspace = client.get("/workspace")
        assert workspace.status_code == 200 and "管理员的工作台" in workspace.text and "某市矛调中心" in workspace.text


# --- audit verify ---------------------------------------------------------------------------
def test_audit_verify_reports_an_intact_chain_an_edited_entry_and_a_removed_one(settings, engine, client, tmp_path):
    build_world(engine)
    assert sign_in(client, "a.admin").status_code == 303
    assert sign_in(client, "a.clerk", "not-the-password").status_code == 422
    assert sign_in(client, "b.admin", PASSWORD).status_code == 303
    assert sign_in(client, "a.mediator").status_code == 303
    with Session(engine) as db:
        total = len(db.exec(select(AuditEntry.seq)).all())
    assert total >= 4
    env = env_for(settings)

    def verify() -> subprocess.CompletedProcess[str]:
        return run_portal("audit", "verify", env=env, cwd=tmp_path)

    intact = verify()
    assert intact.returncode == 0, intact.stderr
    assert f"操作日志完整：共核对 {total} 条" in intact.stdout

    table = AuditEntry.__table__
    with engine.begin() as conn:
        original = conn.execute(sa_select(table.c.summary).where(table.c.seq == 2)).scalar_one()
        conn.execute(update(table).where(table.c.seq == 2).values(summary=original + "（已改）"))
    edited = verify()
    assert edited.returncode == 1
    assert "第 2 条" in edited.stderr and "记录内容已被改动" in edited.stderr and "此前 1 条完好" in edited.stderr

    with engine.begin() as conn:
        conn.execute(update(table).where(table.c.seq == 2).values(summary=original))
    assert verify().returncode == 0

    with engine.begin() as conn:
        row = conn.execute(sa_select(table).where(table.c.seq == 3)).mappings().one()
        conn.execute(delete(table).where(table.c.seq == 3))
    removed = verify()
    assert removed.returncode == 1 and "第 3 条记录缺失" in removed.stderr, removed.stderr

    with engine.begin() as conn:
        conn.execute(table.insert().values(**row))
        conn.execute(delete(table).where(table.c.seq == total))
    last_removed = verify()
    assert last_removed.returncode == 1
    assert f"第 {total} 条" in last_removed.stderr and "末尾记录缺失" in last_removed.stderr, last_removed.stderr


# --- serve ----------------------------------------------------------------------------------
def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_serve_starts_two_workers_answers_healthz_and_stops_cleanly(settings, tmp_path):
    port = free_port()
    log = tmp_path / "serve.log"
    proc = start_portal(
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "2",
        env=env_for(settings),
        cwd=tmp_path,
        log=log,
    )
    try:
        health = wait_for_healthz(proc, f"http://127.0.0.1:{port}", log)
        assert health.json() == {"status": "ok"}  # the details need the health token (tests/test_security_decisions.py)
        login = httpx.get(f"http://127.0.0.1:{port}/login", timeout=5)
        assert login.status_code == 200 and "登录" in login.text
        assert "Content-Security-Policy" in login.headers and "server" not in login.headers

        assert stop_portal(proc) == 0, log.read_text()
        assert wait_group_gone(proc.pid) == [], "processes outlived portal serve"
        assert not _port_open(port)
        output = log.read_text()
        assert f"调解卷宗门户已启动：http://127.0.0.1:{port}/" in output
        assert len(re.findall(r"Started server process \[\d+\]", output)) == 2, output
    finally:
        stop_portal(proc)
        kill_group(proc.pid)


def _workers(log: Path) -> list[int]:
    return [int(pid) for pid in re.findall(r"Started server process \[(\d+)\]", log.read_text())]


def _connections_by_process(port: int, pids: list[int]) -> dict[int, int]:
    """How many established connections to `port` each process holds (Linux: /proc/net/tcp and the processes' fds)."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":  # local port, ESTABLISHED
            inodes.add(fields[9])
    held = {}
    for pid in pids:
        links = []
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                links.append(os.readlink(fd))
            except OSError:
                continue
        held[pid] = sum(1 for link in links if link.startswith("socket:[") and link[8:-1] in inodes)
    return held


def _closed_by_server(sock: socket.socket) -> bool:
    """Whether the server has closed this idle connection (its end of file is waiting to be read)."""
    sock.setblocking(False)
    try:
        return sock.recv(1, socket.MSG_PEEK) == b""
    except BlockingIOError:
        return False
    except OSError:  # reset
        return True
    finally:
        sock.settimeout(5)


def _healthz_over(sock: socket.socket) -> bytes:
    """GET /healthz on a kept-alive connection; the response's head (status line and headers), the body read past."""
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"content-length: *(\d+)", head, re.IGNORECASE).group(1))
    while len(body) < length:
        body += sock.recv(65536)
    return head


def test_serve_spreads_connections_over_the_workers_and_restarts_one_that_dies(settings, tmp_path):
    port = free_port()
    log = tmp_path / "serve.log"
    proc = start_portal(
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "2",
        env=env_for(settings),
        cwd=tmp_path,
        log=log,
    )
    sockets: list[socket.socket] = []
    try:
        wait_for_healthz(proc, f"http://127.0.0.1:{port}", log)
        deadline = time.monotonic() + 20  # the first worker may answer while the second is still starting
        while time.monotonic() < deadline and log.read_text().count("Application startup complete") < 2:
            time.sleep(0.2)
        workers = _workers(log)
        assert len(workers) == 2, log.read_text()
        # 60 keep-alive connections arriving together, as when a proxy fills its pool or a room of browsers
        # reconnects after a restart: with one shared listening socket the first worker to wake accepted most or
        # all of them. Here each worker has its own socket, and a random split below 15 has a chance of ~1e-4.
        sockets = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(60)]
        answers = [_healthz_over(sock) for sock in sockets]
        assert all(a.startswith(b"HTTP/1.1 200") for a in answers)
        let_go = sum(b"connection: close" in a.lower() for a in answers)  # the busier worker already evening out
        time.sleep(0.05)
        # (on a busy machine the 60 answers can take longer than the server's keep-alive timeout, 5 s: the first
        # connections are then closed as idle — counted apart, and reconnected like those let go)
        closed = [n for n, sock in enumerate(sockets) if _closed_by_server(sock)]
        held = _connections_by_process(port, workers)
        assert len(closed) >= let_go and sum(held.values()) == 60 - len(closed), (held, let_go, len(closed))
        assert min(held.values()) >= 15 or len(closed) > let_go, (held, let_go, len(closed))
        for n in closed:
            sockets[n].close()
            sockets[n] = socket.create_connection(("127.0.0.1", port), timeout=5)

        # Then the workers even it out: the busier one answers `Connection: close` until both hold their share,
        # and each client let go reconnects (where the kernel places it afresh).
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            for n in range(len(sockets)):
                while True:  # until this client holds a connection that was kept
                    answer = b"" if _closed_by_server(sockets[n]) else _healthz_over(sockets[n])
                    if answer:
                        assert answer.startswith(b"HTTP/1.1 200"), answer[:100]
                        if b"connection: close" not in answer.lower():
                            break
                    sockets[n].close()
                    sockets[n] = socket.create_connection(("127.0.0.1", port), timeout=5)
            time.sleep(0.05)  # let the kernel finish closing before counting
            held = _connections_by_process(port, workers)
            if sum(held.values()) == 60 and max(held.values()) - min(held.values()) <= 2:
                break
        assert sum(held.values()) == 60 and max(held.values()) - min(held.values()) <= 2, held

        os.kill(workers[0], signal.SIGKILL)  # a worker dies: the parent starts another on the same socket
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and log.read_text().count("Application startup complete") < 3:
            time.sleep(0.2)
        assert len(_workers(log)) == 3, log.read_text()
        assert "exited with -9: restarting it" in log.read_text()
        wait_for_healthz(proc, f"http://127.0.0.1:{port}", log)
        for _ in range(20):  # new connections are served whichever socket they land on
            assert (
                httpx.get(f"http://127.0.0.1:{port}/healthz", headers={"Connection": "close"}, timeout=5).status_code
                == 200
            )

        assert stop_portal(proc) == 0, log.read_text()
        assert wait_group_gone(proc.pid) == [], "processes outlived portal serve"
        assert not _port_open(port)
    finally:
        for sock in sockets:
            sock.close()
        stop_portal(proc)
        kill_group(proc.pid)


def test_a_worker_lets_go_of_connections_only_above_its_share_and_not_in_a_burst() -> None:
    counts = [0, 0]
    mine = [12]
    balance = serving.Balance(0, counts, lambda: mine[0])
    counts[1] = 4  # 16 connections, 12 here: above the share of 8
    assert balance.should_let_go() is True and counts[0] == 12
    assert balance.should_let_go() is False  # not twice within the pause
    balance.last -= serving.Balance.PAUSE_SECONDS
    mine[0] = 9
    assert balance.should_let_go() is True  # 9 > 7 + 9 rounded up to half (8)
    balance.last -= serving.Balance.PAUSE_SECONDS
    mine[0], counts[1] = 8, 7  # 15 connections: 8 is the share, the odd one stays
    assert balance.should_let_go() is False
    assert serving.Balance(1, counts, lambda: 7).should_let_go() is False


def test_serve_refuses_an_unmigrated_database(empty_db_url, tmp_path):
    port = free_port()
    log = tmp_path / "serve.log"
    proc = start_portal(
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "2",
        env=portal_env(empty_db_url, tmp_path / "var"),
        cwd=tmp_path,
        log=log,
    )
    try:
        code = proc.wait(timeout=30)
        output = log.read_text()
        assert code != 0, output
        assert "portal migrate" in output and "数据库结构不是最新" in output
        assert "已启动" not in output and not _port_open(port)
    finally:
        stop_portal(proc)
        kill_group(proc.pid)
