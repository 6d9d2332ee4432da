"""Jinja filters: local times, masked numbers."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

import hashlib
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment

from portal.people.service import mask_phone


def register(env: Environment, tz: tzinfo, static_dir: Path) -> None:
    def localtime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        if value is None:
            return ""
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(tz).strftime(fmt)

    env.filters["localtime"] = localtime
    env.filters["mask_phone"] = mask_phone
    env.globals["tz_name"] = str(tz)

    @lru_cache(maxsize=256)
    def static(path: str) -> str:
        """URL of a file under static/, with a content hash so browsers never keep a stale copy."""
        file = static_dir / path
        digest = hashlib.sha256(file.read_bytes()).hexdigest()[:10] if file.is_file() else "0"
        return f"/static/{path}?v={digest}"

    env.globals["static"] = static
