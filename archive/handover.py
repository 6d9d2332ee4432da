"""Hand-over package (移交): chosen dossiers with their PDFs, manifests and a checksum list, as a
zip or a folder, for the archives bureau or a provincial platform."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Entry:
    """One dossier version to hand over."""

    name: str  # folder name inside the package, e.g. 2026-007_v1
    pdf: bytes
    manifest: dict
    sha256: str  # as recorded at filing; checked again here


def _files(entries: list[Entry], meta: dict) -> list[tuple[str, bytes]]:
    files: list[tuple[str, bytes]] = []
    for entry in entries:
        actual = hashlib.sha256(entry.pdf).hexdigest()
        if actual != entry.sha256:
            raise ValueError(f"{entry.name}: 卷宗文件与登记的 SHA-256 不符，不能移交（固定性事件）")
        files.append((f"{entry.name}/{entry.name}.pdf", entry.pdf))
        files.append((f"{entry.name}/manifest.json", json.dumps(entry.manifest, ensure_ascii=False, indent=2).encode()))
    index = {
        **meta,
        "dossiers": [
            {"name": e.name, "sha256": e.sha256, "case": e.manifest.get("case", {}).get("number")} for e in entries
        ],
    }
    files.append(("package.json", json.dumps(index, ensure_ascii=False, indent=2).encode()))
    sums = "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in files)
    files.append(("SHA256SUMS", sums.encode()))
    return files


def build_zip(entries: list[Entry], meta: dict | None = None) -> bytes:
    """The package as zip bytes; `SHA256SUMS` (sha256sum format) covers every other file."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in _files(entries, meta or {}):
            archive.writestr(name, data)
    return out.getvalue()


def build_folder(entries: list[Entry], target: Path, meta: dict | None = None) -> list[Path]:
    written = []
    for name, data in _files(entries, meta or {}):
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)
    return written
