"""A lean closed-loop HTTP/1.1 load driver for the benchmarks: one asyncio task per client, each on its own
keep-alive connection with its own cookies, sending the next request as soon as the last answer is read.

Why not httpx in threads (what bench/cases.py used first): on a 2-core host the clients share the cores with
the server, and 16 httpx threads cost about 1 ms of CPU per request plus waits for the GIL between a response
arriving and its thread timing it — both counted as server latency. Here a request costs the client ~0.1 ms and
the time is taken by the one event loop as soon as the last byte is read.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)  # seconds, successful (200) answers only
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)  # non-200 answers by status


class Connection:
    """One keep-alive connection speaking just enough HTTP/1.1: GET, and POST of a ready body (bench/soak.py);
    Content-Length and chunked answers."""

    def __init__(self, host: str, port: int, cookie: str) -> None:
        self.host, self.port, self.cookie = host, port, cookie
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> tuple[int, bytes]:
        return await self.request("GET", path)

    async def request(self, method: str, path: str, body: bytes = b"", content_type: str = "") -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        target = quote(path, safe="/?=&%:+,;@")
        extra = f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n" if method != "GET" else ""
        self.writer.write(
            f"{method} {target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nCookie: {self.cookie}\r\n"
            f"Accept: text/html\r\n{extra}\r\n".encode("latin-1")
            + body
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                parts.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            await self.reader.readuntil(b"\r\n")
            body = b"".join(parts)
        else:
            body = await self.reader.read()
            headers["connection"] = "close"
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, body

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


def drive(
    host: str,
    port: int,
    clients: list[tuple[str, str]],
    path: Callable[[random.Random, str], str],
    *,
    seconds: float,
    max_requests: int,
    warm_up: int = 3,
) -> Tally:
    """Run `clients` ((kind, cookie header) pairs) in a closed loop for `seconds`; `path(rng, kind)` picks each URL."""
    tally = Tally()
    budget = [max_requests]

    async def warm(conn: Connection, rng: random.Random, kind: str) -> None:
        for _ in range(warm_up):
            await conn.get(path(rng, kind))

    async def run(conn: Connection, rng: random.Random, kind: str, deadline: float) -> None:
        while time.monotonic() < deadline and budget[0] > 0:
            budget[0] -= 1
            t0 = time.perf_counter()
            try:
                status, _ = await conn.get(path(rng, kind))
            except (OSError, asyncio.IncompleteReadError, ValueError):
                tally.errors += 1
                await conn.close()
                continue
            elapsed = time.perf_counter() - t0
            if status == 200:
                tally.latencies.append(elapsed)
            else:
                tally.errors += 1
                tally.statuses[status] = tally.statuses.get(status, 0) + 1

    async def main() -> None:
        conns = [(Connection(host, port, cookie), random.Random(n), kind) for n, (kind, cookie) in enumerate(clients)]
        try:
            await asyncio.gather(*(warm(*c) for c in conns))  # outside the measured window; then all start together
            deadline = time.monotonic() + seconds
            await asyncio.gather(*(run(*c, deadline) for c in conns))
        finally:
            for conn, _, _ in conns:
                await conn.close()

    asyncio.run(main())
    return tally
