"""The production server: uvicorn worker processes, each listening on its own socket of the same port.

uvicorn's own `--workers` shares one listening socket between the workers, and whichever worker wakes first
accepts every connection waiting at that moment (the event loop drains the queue): a burst of connections
— a reverse proxy opening its keep-alive pool, a room of browsers after a restart — lands on one worker,
and that worker's single core then serves all of them while the others idle. Here every worker gets its
own socket bound with SO_REUSEPORT, and the kernel spreads new connections across the sockets.

The kernel's spread is random: 16 keep-alive connections may still split 12/4, and the clients of the busier
worker then wait three times as long. So the workers also keep their connections even: each publishes how many it
holds, and one holding more than its share answers a request with `Connection: close` (at most one in 50 ms); the
client opens a new connection, which the kernel places afresh. Browsers and proxies reconnect transparently.

The parent keeps the sockets open and restarts a worker that dies, on the same socket, so connections
arriving meanwhile wait in that socket's queue instead of being refused.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import signal
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import uvicorn
from litestar.types import Message, Scope

log = logging.getLogger("portal.serving")

STOP_GRACE_SECONDS = 30  # a worker finishing its requests on SIGTERM; then it is killed


class PortTaken(RuntimeError):
    """Another process already listens on the address."""


def refuse_if_served(host: str, port: int) -> None:
    """Raise PortTaken when something already listens on host:port.

    The workers' sockets share the port with SO_REUSEPORT, which lets *any* process doing the same join in: a second
    `portal serve` on the same port (another data directory, an old release) would start without a word and take
    part of the connections. A socket bound without SO_REUSEPORT cannot share the port, so binding one first tells."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # connections in TIME_WAIT do not count
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise PortTaken(
                f"端口 {host}:{port} 已被占用（可能已有一个 portal serve 在运行，或其他程序在使用）。"
                "请先停止它，或用 --port 换一个端口。"
            ) from exc


def _listening_socket(host: str, port: int, backlog: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


class Balance:
    """One worker's part in keeping connections even: `counts` is shared by all workers, one slot each."""

    PAUSE_SECONDS = 0.05  # between two connections a worker lets go of

    def __init__(self, slot: int, counts: Any, held: Callable[[], int]) -> None:
        self.slot, self.counts, self.held = slot, counts, held  # held(): this worker's open connections
        self.last = 0.0

    def should_let_go(self) -> bool:
        mine = self.held()
        self.counts[self.slot] = mine
        share = -(-sum(self.counts) // len(self.counts))  # rounded up: an odd connection out stays where it is
        now = time.monotonic()
        if mine <= share or now - self.last < self.PAUSE_SECONDS:
            return False
        self.last = now
        return True


_balance: Balance | None = None  # set in a worker process started by serve()


async def balance_connections(message: Message, scope: Scope) -> None:  # noqa: ARG001
    """App-level before_send hook: close this connection after the response if the worker holds more than its share."""
    if _balance is not None and message["type"] == "http.response.start" and _balance.should_let_go():
        message["headers"] = [*message.get("headers", []), (b"connection", b"close")]


def _worker(config: uvicorn.Config, sock: socket.socket, slot: int, counts: Any) -> None:  # in the child process
    global _balance
    config.configure_logging()
    server = uvicorn.Server(config)
    _balance = Balance(slot, counts, lambda: len(server.server_state.connections))  # uvicorn's set of open connections
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C reaches the whole process group; the parent stops the rest
        server.run(sockets=[sock])


def serve(app: str, *, host: str, port: int, workers: int, **options: Any) -> None:
    """Run `app` (an import string of an app factory) with `workers` processes until SIGINT or SIGTERM."""
    # uvloop and httptools by name rather than uvicorn's "auto", which falls back to asyncio and h11 without a word
    # when they are missing (side by side on the case list, those served 0.6 times the requests per second).
    config = uvicorn.Config(
        app, factory=True, host=host, port=port, **{"loop": "uvloop", "http": "httptools", **options}
    )
    if workers <= 1 or not hasattr(socket, "SO_REUSEPORT"):
        uvicorn.Server(config).run()
        return
    config.configure_logging()
    sockets = [_listening_socket(host, port, config.backlog) for _ in range(workers)]
    spawn = multiprocessing.get_context(
        "spawn"
    )  # a fresh interpreter per worker: nothing inherited from the parent's imports
    counts = spawn.RawArray("i", workers)  # open connections per worker (Balance)
    stop = threading.Event()
    processes: list[Any] = [None] * workers

    def start(n: int) -> None:
        counts[n] = 0
        processes[n] = spawn.Process(target=_worker, args=(config, sockets[n], n, counts), name=f"portal-worker-{n}")
        processes[n].start()
        log.info("worker %d started (pid %s)", n, processes[n].pid)

    def request_stop(signum: int, _frame: Any) -> None:
        log.info("stopping on %s", signal.Signals(signum).name)
        stop.set()

    previous = {s: signal.signal(s, request_stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        for n in range(workers):
            start(n)
        while not stop.wait(0.5):
            for n, process in enumerate(processes):
                if not process.is_alive() and not stop.is_set():
                    log.warning("worker %d (pid %s) exited with %s: restarting it", n, process.pid, process.exitcode)
                    start(n)
    finally:
        for process in processes:
            if process is not None and process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the requests in flight
        for process in processes:
            if process is not None:
                process.join(STOP_GRACE_SECONDS)
                if process.is_alive():
                    process.kill()
                    process.join()
        for sock in sockets:
            sock.close()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
