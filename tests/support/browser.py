"""Debian's Chromium driven by Playwright's sync API (no browser download: Playwright's own fails here)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

# The longest a browser action or an `expect` assertion waits for the state it needs. Only a ceiling: a passing test
# waits no longer than the page takes. Generous, because a CI machine or a developer's machine may have both cores busy
# (a load of 20 on 2 cores made pages take over 5 s, Playwright's own default for `expect`).
DEFAULT_TIMEOUT_MS = 30_000


def chromium_path() -> str:
    """PORTAL_TEST_CHROMIUM, else /usr/bin/chromium (installed by scripts/setup)."""
    override = os.environ.get("PORTAL_TEST_CHROMIUM")
    if override:
        return override
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    raise RuntimeError("Chromium not found at /usr/bin/chromium; run scripts/setup")
