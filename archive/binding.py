"""Binding: the dossier's items rendered in order, contents page ranges read from the real layout.

The body (numbered pages) is laid out first; its page anchors give each document's start page.
Then the cover and contents are laid out with those ranges, the 备考表 and back cover with the
page count, and all pages are written as one PDF/A. The contents can never disagree with the
pages, because they are filled from the body that is actually written (the two passes).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from archive import pages as pagemod
from archive.contents import Item, compose
from archive.manifest import build_manifest
from archive.model import CaseData, FilingData, Options, UploadData
from archive.order import DEFAULT_ORDER, Slot
from archive.render import Renderer, render_slot

Progress = Callable[[int, str], None]


@dataclass
class Row:
    title: str
    author: str
    day: date | None
    pages: str
    note: str = ""
    start: int | None = None
    end: int | None = None
    key: str = ""
    sha256: str = ""
    source: str = ""  # generated | signed_scan | upload | attachment
    filename: str = ""  # the original file name of an upload
    entry: dict[str, Any] | None = field(default=None, repr=False, compare=False)  # what was laid out for it


@dataclass
class Bound:
    """A bound dossier: the PDF bytes, its SHA-256, the contents as written, and the manifest."""

    pdf: bytes
    sha256: str
    page_count: int  # numbered body pages
    total_pages: int
    rows: list[Row]
    manifest: dict[str, Any]
    variant: str
    attachments: list[str] = field(default_factory=list)


def volume_title(case: CaseData, filing: FilingData | None = None) -> str:
    """卷名: the case's own title (e.g. 张某与李某宅基地纠纷), unless the archivist gave another at filing."""
    return (filing.title if filing and filing.title else "") or case.title


def mediation_period(case: CaseData) -> tuple[date | None, date | None]:
    """调解日期 from–to; for a refused case, registration to refusal."""
    if case.state == "refused":
        refusal = next((r.held_on for r in case.records if r.kind == "refusal" and r.held_on), None)
        return case.received_on, refusal or case.received_on
    days = [
        r.held_on
        for r in case.records
        if r.held_on and r.kind in ("mediation", "agreement", "oral_agreement", "investigation")
    ]
    start = case.accepted_on or (min(days) if days else case.received_on)
    end = case.closed_on or (max(days) if days else start)
    return start, end


def _sha(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def bind(
    case: CaseData,
    filing: FilingData,
    options: Options | None = None,
    *,
    order: tuple[Slot, ...] = DEFAULT_ORDER,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> Bound:
    """Bind the dossier. Raises archive.pages.Unbindable, naming every file that cannot be bound, before rendering."""
    options = options or Options()
    report = progress or (lambda pct, msg: None)
    items = compose(case, order)
    used = [i.upload for i in items if i.upload is not None]
    problems = pagemod.inspect(used)
    if problems:
        raise pagemod.Unbindable("；".join(problems))
    renderer = Renderer(options.variant, options.page_number_position)
    report(5, "读取上传材料")
    entries: list[dict[str, Any]] = []
    attachments_only: list[Item] = []
    for n, item in enumerate(items):
        if item.upload is not None:
            prepared = pagemod.prepare(item.upload, options.image_dpi)
            if prepared.attachment_only:
                attachments_only.append(item)
                continue
            keys = []
            for index, image in enumerate(prepared.pages):
                key = f"{n}-{index}"
                renderer.memory[key] = image
                keys.append(key)
            entries.append({"item": item, "images": keys})
        else:
            entries.append({"item": item, "images": []})
        report(5 + int(35 * (n + 1) / max(1, len(items))), f"准备材料 {n + 1}/{len(items)}")
    context = {"case": case, "filing": filing, "variant": options.variant}
    with render_slot():
        report(45, "排版正文")
        body_html = renderer.html("body.html", title=case.title, entries=entries, body_class="body", **context)
        body = renderer.document(body_html)
        starts: dict[int, int] = {}
        for page_index, page in enumerate(body.pages):
            for anchor in page.anchors:
                if anchor.startswith("d") and anchor[1:].isdigit():
                    starts.setdefault(int(anchor[1:]), page_index + 1)
        page_count = len(body.pages)
        rows: list[Row] = []
        numbered = iter(range(1, len(entries) + 1))
        files_only = {id(i): i.upload for i in attachments_only if i.upload is not None}
        for item in items:  # in the dossier's order: an item without pages keeps its place, marked as a file
            upload = files_only.get(id(item))
            if upload is not None:
                note = "电子文件，已嵌入" if options.variant == "pdf/a-3b" else "电子文件，原件另存"
                rows.append(
                    Row(
                        title=item.title,
                        author=item.author,
                        day=item.day,
                        pages="—",
                        note=note,
                        key=item.key,
                        sha256=upload.sha256,
                        source="attachment",
                        filename=upload.filename,
                    )
                )
                continue
            n = next(numbered)
            start = starts[n]
            end = (starts[n + 1] - 1) if n + 1 in starts else page_count
            source = "signed_scan" if item.signed else ("upload" if item.upload else "generated")
            rows.append(
                Row(
                    title=item.title + ("（签字件）" if item.signed else ""),
                    author=item.author,
                    day=item.day,
                    pages=str(start) if start == end else f"{start}-{end}",
                    start=start,
                    end=end,
                    key=item.key,
                    sha256=item.upload.sha256 if item.upload else "",
                    source=source,
                    filename=item.upload.filename if item.upload else "",
                    note=item.note,
                    entry=entries[n - 1],
                )
            )
        # Generated documents are hashed by the HTML they were rendered from, so the manifest names each one.
        for row in rows:
            if row.source == "generated" and row.entry is not None:  # every laid-out row has its entry
                item = row.entry["item"]
                transfer = case.transfers[item.transfer_index] if item.transfer_index is not None else None
                html = renderer.html(
                    item.template, case=case, record=item.record, filing=filing, transfer=transfer, item=item
                )
                row.sha256 = _sha(html)
        report(70, "排版封面和卷内目录")
        start_day, end_day = mediation_period(case)
        title = volume_title(case, filing)
        stamp = (now or datetime.now(UTC)).replace(microsecond=0).isoformat()
        meta = {"title": title, "authors": [case.committee], "created": stamp, "description": f"{case.number} 调解卷宗"}
        front = renderer.document(
            renderer.html(
                "front.html",
                rows=rows,
                volume_title=title,
                period_from=start_day,
                period_to=end_day,
                doc_count=len(rows),
                page_count=page_count,
                **meta,
                **context,
            )
        )
        tail = renderer.document(
            renderer.html(
                "tail.html",
                doc_count=len(rows),
                page_count=page_count,
                attached=len(attachments_only),
                title=title,
                **context,
            )
        )
        manifest = build_manifest(
            case,
            filing,
            options,
            rows,
            page_count=page_count,
            front_pages=len(front.pages),
            tail_pages=len(tail.pages),
            created=stamp,
            title=title,
            period=(start_day, end_day),
        )
        files: list[tuple[str, bytes, str, str]] = [
            (
                "manifest.json",
                json.dumps(manifest, ensure_ascii=False, indent=2).encode(),
                "卷宗清单（机器可读）",
                "Data",
            )
        ]
        seen: set[str] = set()
        for item in items:
            if item.upload is not None and item.upload.sha256 not in seen:
                seen.add(item.upload.sha256)
                files.append((_attachment_name(item.upload, len(files)), item.upload.data, item.title, "Source"))
        properties = {
            "caseNumber": case.number,
            "volumeNumber": filing.volume_number or case.number,
            "archiveNumber": filing.archive_number,
            "fonds": filing.fonds or case.committee,
            "responsible": case.committee,
            "mediationPeriod": f"{start_day.isoformat() if start_day else ''}/{end_day.isoformat() if end_day else ''}",
            "filedBy": filing.filed_by,
            "filedOn": filing.filed_on.isoformat() if filing.filed_on else "",
            "retention": filing.retention,
            "pageCount": str(page_count),
            "dossierVersion": str(filing.version),
        }
        report(85, "写出 PDF/A")
        combined = front.copy([*front.pages, *body.pages, *tail.pages])
        pdf = renderer.write(combined, attachments=files, properties=properties)
    report(100, "完成")
    return Bound(
        pdf=pdf,
        sha256=_sha(pdf),
        page_count=page_count,
        total_pages=len(combined.pages),
        rows=rows,
        manifest=manifest,
        variant=options.variant,
        attachments=[f[0] for f in files] if options.variant == "pdf/a-3b" else [],
    )


def _attachment_name(upload: UploadData, index: int) -> str:
    """ASCII names inside the PDF (viewers disagree on non-ASCII file names); the manifest keeps the original name."""
    extension = {
        "image/jpeg": "jpg",
        "image/png": "png",
        "image/tiff": "tif",
        "application/pdf": "pdf",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    }.get(upload.media_type, "bin")
    return f"{index:02d}-{upload.sha256[:16]}.{extension}"
