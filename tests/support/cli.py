"""The real `portal` command in a subprocess, configured only through PORTAL_* environment variables."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

PORTAL = [sys.executable, "-m", "portal.cli"]
SECRET_KEY = "cli-test-secret"


def portal_env(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """The parent's environment without any PORTAL_* setting, plus the database, data folder and secret."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_") or k.startswith("PORTAL_TEST_")}
    env.update(
        PORTAL_DATABASE_URL=database_url,
        PORTAL_DATA_DIR=str(data_dir),
        PORTAL_SECRET_KEY=SECRET_KEY,
        PYTHONUTF8="1",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def run_portal(*args: str, env: dict[str, str], cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run `portal <args>` to completion (stdin closed: a prompt fails instead of hanging)."""
    return subprocess.run(
        [*PORTAL, *args],
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_portal(*args: str, env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen[bytes]:
    """Start `portal <args>` in its own process group, stdout and stderr into `log`."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [*PORTAL, *args],
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_portal(proc: subprocess.Popen[bytes], timeout: float = 15) -> int:
    """SIGTERM the process we started, then (only if it hangs) SIGKILL its own process group; the exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
    if proc.poll() is None:
        kill_group(proc.pid)
        proc.wait(timeout=5)
    return proc.returncode


def kill_group(pgid: int) -> None:
    """SIGKILL whatever is left in the process group the test created with start_new_session."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes in the process group `pgid`, read from /proc."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        state, pgrp = fields[0], int(fields[2])
        if pgrp == pgid and state not in ("Z", "X"):
            members.append(int(stat.parent.name))
    return members


def wait_group_gone(pgid: int, timeout: float = 5) -> list[int]:
    """Wait until no live process is left in `pgid`; whatever is still there after `timeout`."""
    deadline = time.monotonic() + timeout
    while (left := group_members(pgid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def wait_for_healthz(proc: subprocess.Popen[bytes], base_url: str, log: Path, timeout: float = 90) -> httpx.Response:
    """The first 200 answer of `base_url`/healthz from the server `proc`; fails if the server exits or stays silent."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(
                f"portal serve exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}"
            )
        try:
            response = httpx.get(f"{base_url}/healthz", timeout=2)
            if response.status_code == 200:
                return response
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"no /healthz within {timeout} s:\n{log.read_text(errors='replace')[-3000:]}")
