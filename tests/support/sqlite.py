"""SQLite databases for tests: migrate once into a template file, copy it for every test."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def make_template(path: Path) -> Path:
    """Migrate a new SQLite file at `path` to head, leaving one self-contained file (no WAL)."""
    from portal.db import migrate

    path.parent.mkdir(parents=True, exist_ok=True)
    migrate(sqlite_url(path))
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
    finally:
        conn.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def copy_template(template: Path, dest: Path) -> str:
    """Copy the template to `dest` and return its URL."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, dest)
    return sqlite_url(dest)
