"""Content-addressed archival storage: each PDF stored once under its SHA-256, written atomically,
never changed; fixity verified by re-hashing (a mismatch is an incident, never repaired)."""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Stored:
    sha256: str
    key: str
    size: int


@dataclass(frozen=True)
class Finding:
    key: str
    expected: str
    status: str  # ok | missing | changed
    actual: str = ""


def key_of(digest: str, suffix: str = ".pdf") -> str:
    return f"{digest[:2]}/{digest[2:4]}/{digest}{suffix}"


def put(root: Path, data: bytes, suffix: str = ".pdf") -> Stored:
    """Store `data` (temp file, fsync, rename, read-only); the same content is kept once."""
    digest = hashlib.sha256(data).hexdigest()
    key = key_of(digest, suffix)
    write_once(root / key, data)
    return Stored(digest, key, len(data))


def write_once(target: Path, data: bytes, *, read_only: bool = True) -> None:
    """Write `data` to `target` unless it exists already: a temp file in the same folder, fsync, rename,
    fsync of the folder — a crash leaves either nothing or the whole file, never half of it."""
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=TEMP_PREFIX)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if read_only:
            os.chmod(tmp, 0o444)
        os.replace(tmp, target)
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


TEMP_PREFIX = ".store-"


def sweep(root: Path, *, older_than_seconds: float = 3600) -> int:
    """Remove temp files that write_once left behind under `root` (a process killed between writing and renaming),
    when older than `older_than_seconds`: a younger one may be another process's write in progress. How many."""
    if not root.is_dir():
        return 0
    cutoff, removed = time.time() - older_than_seconds, 0
    for path in root.rglob(f"{TEMP_PREFIX}*"):
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # renamed or removed meanwhile
            pass
    return removed


def hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read(root: Path, key: str, expected: str) -> bytes:
    """The stored bytes, refused when they no longer match their recorded SHA-256."""
    data = (root / key).read_bytes()
    if hashlib.sha256(data).hexdigest() != expected:
        raise ValueError(f"stored file {key} does not match its SHA-256")
    return data


def verify(root: Path, entries: Iterable[tuple[str, str]]) -> list[Finding]:
    """Re-hash every (key, expected SHA-256): one finding per entry, ok, missing or changed."""
    findings = []
    for key, expected in entries:
        path = root / key
        if not path.is_file():
            findings.append(Finding(key, expected, "missing"))
            continue
        actual = hash_file(path)
        findings.append(Finding(key, expected, "ok" if actual == expected else "changed", actual))
    return findings
