"""The same query gives the same answer from every server worker (issue 15, defect 4): each process splits queries with
the same dictionary, made from the same data, and sees a new organisation's name from the next search on."""

from __future__ import annotations

import json
import os
import re
import socket
import time
from pathlib import Path
from urllib.parse import quote

import httpx
from factories import PASSWORD, build_world
from matrix_cases import insert_case
from sqlmodel import Session
from support.cli import kill_group, start_portal, stop_portal, wait_for_healthz
from support.net import free_port
from test_cli import env_for

from portal.cases.models import Case

# jieba: 凤鸣山庄 / 纠纷 once the organisation's name is in its dictionary, else 凤 / 鸣 / 山庄 / 纠纷
QUERY = "凤鸣山庄纠纷"


def _owner(port: int, client_port: int, pids: list[int]) -> int | None:
    """Which server process holds the other end of our connection from `client_port` (Linux /proc)."""
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = int(fields[1].rsplit(":", 1)[1], 16), int(fields[2].rsplit(":", 1)[1], 16)
        if local == port and remote == client_port and fields[3] == "01":
            inode = fields[9]
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                if os.readlink(fd) == f"socket:[{inode}]":
                    return pid
            except OSError:
                continue
    return None


def _get(sock: socket.socket, path: str, cookie: str) -> tuple[bytes, bytes]:
    """GET on a kept-alive connection: (head, body)."""
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"content-length: *(\d+)", head, re.IGNORECASE).group(1))
    while len(body) < length:
        body += sock.recv(65536)
    return head, body


def _answers(port: int, pids: list[int], cookie: str, q: str, per_worker: int = 3) -> dict[int, list[tuple]]:
    """The answer to `q` over several connections held by each worker: worker pid → [(total, ids), …]."""
    answers: dict[int, list[tuple]] = {pid: [] for pid in pids}
    for _ in range(200):
        if all(len(a) >= per_worker for a in answers.values()):
            return answers
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            head, _body = _get(sock, "/healthz", cookie)
            if b"connection: close" in head.lower():
                continue  # the worker was evening out its connections: try another
            pid = _owner(port, sock.getsockname()[1], pids)
            if pid is None or len(answers[pid]) >= per_worker:
                continue
            head, body = _get(sock, f"/api/search?q={quote(q)}", cookie)
            assert head.startswith(b"HTTP/1.1 200"), head
            found = json.loads(body)
            answers[pid].append((found["total"], tuple(sorted(item["id"] for item in found["items"]))))
    raise AssertionError(f"could not reach every worker: {answers}")


def test_a_query_about_a_new_organisation_answers_the_same_from_every_worker(engine, settings, tmp_path) -> None:
    world = build_world(engine)
    with Session(engine) as db:
        ids = {}
        for key, summary in (
            ("exact", "凤鸣山庄小区业主与物业公司因停车位发生矛盾。"),
            ("apart", "凤鸣路口的山庄饭店与邻居因油烟发生矛盾。"),
        ):
            case = db.get(Case, insert_case(db, world, "a1a").id)
            case.summary = summary
            db.add(case)
            db.commit()
            ids[key] = case.id
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
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_healthz(proc, base, log, timeout=60)
        deadline = time.monotonic() + 60  # the second worker may still be starting
        while time.monotonic() < deadline and log.read_text().count("Application startup complete") < 2:
            time.sleep(0.2)
        pids = [int(p) for p in re.findall(r"Started server process \[(\d+)\]", log.read_text())]
        assert len(pids) == 2, log.read_text()
        with httpx.Client(base_url=base, timeout=10) as client:
            client.get("/login")
            signed = client.post(
                "/login",
                data={"username": "a.admin", "password": PASSWORD, "_csrf_token": client.cookies.get("portal_csrf")},
            )
            assert signed.status_code in (200, 303), signed.text[:300]
            cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
            deadline = time.monotonic() + 90  # the server's indexer builds the index and takes both cases
            while time.monotonic() < deadline and client.get("/api/search", params={"q": "山庄"}).json()["total"] < 2:
                time.sleep(0.3)
            assert client.get("/api/search", params={"q": "山庄"}).json()["total"] == 2, log.read_text()[-3000:]

            created = client.post(
                "/orgs/",
                data={
                    "name": "凤鸣山庄社区人民调解委员会",
                    "short_name": "凤鸣山庄",
                    "number_word": "人调字",
                    "tier": "village",
                    "kind": "committee",
                    "parent_id": str(world.org("a1").id),
                    "sort_order": "0",
                    "_csrf_token": client.cookies.get("portal_csrf"),
                },
            )
            assert created.status_code in (200, 303) and "凤鸣山庄社区" in client.get("/orgs").text, created.text[:500]

        answers = _answers(port, pids, cookie, QUERY)
        every = {answer for per_worker in answers.values() for answer in per_worker}
        assert every == {(1, (ids["exact"],))}, (
            answers
        )  # the same from every worker, with the new name in its dictionary
        assert stop_portal(proc) == 0, log.read_text()[-3000:]
    finally:
        stop_portal(proc)
        kill_group(proc.pid)
