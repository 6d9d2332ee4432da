"""A real uvicorn server for an ASGI app, in a background thread with its own event loop.

Playwright's sync API owns the main thread's event loop, so the server never shares it.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import uvicorn

from support.net import bound_socket


class LiveServer:
    """Serve `app` on 127.0.0.1 on a free port; `start()` returns the base URL."""

    def __init__(self, app: Any, *, startup_timeout: float = 30.0) -> None:
        self.app = app
        self.startup_timeout = startup_timeout
        self.url = ""
        self.error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._server: uvicorn.Server | None = None

    def start(self) -> str:
        sock = bound_socket()
        host, port = sock.getsockname()[:2]
        config = uvicorn.Config(
            self.app,
            host=host,
            port=port,
            lifespan="on",
            log_config=None,  # leave the test run's logging alone
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=2,
            timeout_keep_alive=2,
        )
        self._server = server = uvicorn.Server(config)

        def serve() -> None:
            try:
                server.run(sockets=[sock])
            except BaseException as exc:  # noqa: BLE001 - reported to the test thread
                self.error = exc
            finally:
                sock.close()

        self._thread = threading.Thread(target=serve, name=f"live-server-{port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + self.startup_timeout
        while not server.started:
            if self.error is not None or not self._thread.is_alive():
                raise RuntimeError(f"live server failed to start: {self.error!r}")
            if time.monotonic() > deadline:
                server.should_exit = True
                raise RuntimeError("live server did not start in time")
            time.sleep(0.01)
        self.url = f"http://{host}:{port}"
        return self.url

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout=15)
        if self._thread.is_alive():  # pragma: no cover - a stuck request; don't hang the run
            self._server.force_exit = True
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
