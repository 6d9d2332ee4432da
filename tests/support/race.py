"""Several people at once against a real `portal serve`: signed-in HTTP clients, and requests released together."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from support.cli import portal_env, start_portal, stop_portal, wait_for_healthz
from support.net import free_port

PASSWORD = "Test-Passw0rd"  # tests/factories.py


@dataclass
class Served:
    url: str
    log: Path


@contextmanager
def portal_serve(database_url: str, data_dir: Path, *, workers: int = 2, **env: str) -> Iterator[Served]:
    """`portal serve --workers N` on a free port of 127.0.0.1, stopped (and its process group gone) afterwards."""
    port = free_port()
    log = data_dir.parent / f"serve-{port}.log"
    proc = start_portal(
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        env=portal_env(database_url, data_dir, **env),
        cwd=data_dir.parent,
        log=log,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_healthz(proc, url, log)
        yield Served(url, log)
    finally:
        stop_portal(proc)


class Person:
    """One signed-in browser: its own session and CSRF cookie, its own keep-alive connection."""

    def __init__(self, url: str, username: str, password: str = PASSWORD) -> None:
        self.username = username
        self.client = httpx.Client(base_url=url, timeout=120, follow_redirects=False)
        self.client.get("/login")
        signed_in = self.post("/login", {"username": username, "password": password})
        assert signed_in.status_code == 303, (username, signed_in.status_code, signed_in.text[:500])

    def twin(self) -> Person:
        """Another connection of the same session (one person's two tabs, or a script)."""
        other = object.__new__(Person)
        other.username = self.username
        other.client = httpx.Client(base_url=str(self.client.base_url), timeout=120, follow_redirects=False)
        other.client.cookies = httpx.Cookies(self.client.cookies)
        other.client.get("/healthz")  # open the connection now, not in the race
        return other

    def post(self, path: str, data: dict[str, Any]) -> httpx.Response:
        return self.client.post(path, data={**data, "_csrf_token": self.client.cookies.get("portal_csrf")})

    def get(self, path: str) -> httpx.Response:
        return self.client.get(path)

    def close(self) -> None:
        self.client.close()


def at_once(*calls: Callable[[], httpx.Response]) -> list[httpx.Response]:
    """Run the calls in threads released by one barrier, so the requests reach the server together; their answers
    in the order given."""
    gate = threading.Barrier(len(calls))

    def run(call: Callable[[], httpx.Response]) -> httpx.Response:
        gate.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))
