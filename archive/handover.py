"""Hand-over package (移交): chosen dossiers with their PDFs, manifests, original files and a checksum list, as a
zip or a folder, for the archives bureau or a provincial platform. Self-contained: nothing it lists lives elsewhere."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Original:
    """An original file the dossier was bound from (a scan, an uploaded PDF, an Office file)."""

    filename: str
    data: bytes
    sha256: str


@dataclass(frozen=True)
class Entry:
    """One dossier version to hand over: the package is self-contained, so its originals come along."""

    name: str  # folder name inside the package, e.g. 2026-007_v1
    pdf: bytes
    manifest: dict[str, Any]
    sha256: str  # as recorded at filing; checked again here
    originals: list[Original] = field(default_factory=list)


def _files(entries: list[Entry], meta: dict[str, Any]) -> list[tuple[str, bytes]]:
    files: list[tuple[str, bytes]] = []
    for entry in entries:
        actual = hashlib.sha256(entry.pdf).hexdigest()
        if actual != entry.sha256:
            raise ValueError(f"{entry.name}: 卷宗文件与登记的 SHA-256 不符，不能移交（固定性事件）")
        files.append((f"{entry.name}/{entry.name}.pdf", entry.pdf))
        files.append((f"{entry.name}/manifest.json", json.dumps(entry.manifest, ensure_ascii=False, indent=2).encode()))
        for n, original in enumerate(entry.originals, start=1):
            if hashlib.sha256(original.data).hexdigest() != original.sha256:
                raise ValueError(
                    f"{entry.name}: 原件“{original.filename}”与登记的 SHA-256 不符，不能移交（固定性事件）"
                )
            files.append((f"{entry.name}/originals/{n:02d}-{_safe(original.filename)}", original.data))
    index = {
        **meta,
        "dossiers": [
            {
                "name": e.name,
                "sha256": e.sha256,
                "case": e.manifest.get("case", {}).get("number"),
                "originals": [{"filename": o.filename, "sha256": o.sha256} for o in e.originals],
            }
            for e in entries
        ],
    }
    files.append(("package.json", json.dumps(index, ensure_ascii=False, indent=2).encode()))
    sums = "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in files)
    files.append(("SHA256SUMS", sums.encode()))
    return files


def _safe(filename: str) -> str:
    """A file name that stays inside its folder whatever was uploaded."""
    name = filename.replace("/", "_").replace("\\", "_").strip(". ") or "file"
    return name[:120]


def build_zip(entries: list[Entry], meta: dict[str, Any] | None = None) -> bytes:
    """The package as zip bytes; `SHA256SUMS` (sha256sum format) covers every other file."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in _files(entries, meta or {}):
            archive.writestr(name, data)
    return out.getvalue()


def build_folder(entries: list[Entry], target: Path, meta: dict[str, Any] | None = None) -> list[Path]:
    written = []
    for name, data in _files(entries, meta or {}):
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)
    return written
