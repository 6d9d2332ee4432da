"""Index generations on disk: `CURRENT` names the live directory; a rebuild fills a new one and swaps the name.

<root>/CURRENT          "gen-…" — replaced atomically (os.replace)
<root>/gen-…/SCHEMA     the schema version the generation was built with
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.index import FileIndex

from search.documents import IndexUnavailable
from search.schema import SCHEMA_VERSION, schema


def current_name(root: Path) -> str | None:
    try:
        return (root / "CURRENT").read_text().strip() or None
    except FileNotFoundError:
        return None


def open_generation(root: Path, name: str | None = None) -> FileIndex:
    """The live index; IndexUnavailable (never a new empty index) when it is missing, outdated or damaged."""
    name = name or current_name(root)
    if name is None:
        raise IndexUnavailable("索引尚未建立。", missing=True)
    path = root / name
    try:
        version = int((path / "SCHEMA").read_text().strip())
    except (FileNotFoundError, ValueError):
        raise IndexUnavailable(f"索引目录 {name} 缺少结构版本文件。") from None
    if version != SCHEMA_VERSION:
        raise IndexUnavailable(f"索引结构版本 {version} 已过时（当前 {SCHEMA_VERSION}），需要重建。", outdated=True)
    try:
        return whoosh_index.open_dir(str(path))
    except Exception as exc:  # noqa: BLE001 - any damage means: fall back, and say why
        raise IndexUnavailable(f"索引无法打开：{type(exc).__name__}: {exc}") from exc


def new_generation(root: Path) -> tuple[str, FileIndex]:
    """A new, empty generation directory (not live until `swap`)."""
    root.mkdir(parents=True, exist_ok=True)
    name = f"gen-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
    path = root / name
    path.mkdir()
    ix = whoosh_index.create_in(str(path), schema())
    (path / "SCHEMA").write_text(str(SCHEMA_VERSION))
    return name, ix


def swap(root: Path, name: str) -> None:
    """Make `name` the live generation in one atomic rename, then drop the others."""
    previous = current_name(root)
    tmp = root / f"CURRENT.{uuid.uuid4().hex[:6]}"
    with open(tmp, "w") as fh:
        fh.write(name)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, root / "CURRENT")
    # The previous generation stays one more round for readers in other processes that have not yet reopened.
    for entry in root.iterdir():
        if entry.is_dir() and entry.name.startswith("gen-") and entry.name not in (name, previous):
            shutil.rmtree(entry, ignore_errors=True)


def discard(root: Path, name: str) -> None:
    shutil.rmtree(root / name, ignore_errors=True)
