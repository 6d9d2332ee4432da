"""The machine-readable description of a bound dossier (manifest.json): DA/T 46 metadata, every document with its
SHA-256, the business trail."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import TYPE_CHECKING, Any

from archive.model import CaseData, FilingData, Options

if TYPE_CHECKING:
    from archive.binding import Row


def build_manifest(
    case: CaseData,
    filing: FilingData,
    options: Options,
    rows: list[Row],
    *,
    page_count: int,
    front_pages: int,
    tail_pages: int,
    created: str,
    title: str,
    period: tuple[date | None, date | None],
) -> dict[str, Any]:
    """The manifest of one binding; `rows` are the contents as written (archive.binding.Row)."""
    return {
        "format": "mediation-dossier/1",
        "title": title,
        "case": {
            "number": case.number,
            "title": case.title,
            "committee": case.committee,
            "dispute_type": case.dispute_type,
            "dispute_code": case.dispute_code,
            "channel": case.channel,
            "outcome": case.outcome,
            "state": case.state,
            "received_on": _iso(case.received_on),
            "accepted_on": _iso(case.accepted_on),
            "closed_on": _iso(case.closed_on),
            "registered_by": case.body(case.registered_by),
            "accepted_by": case.body(case.accepted_by) if case.accepted_on or case.state == "refused" else "",
            "mediators": list(case.mediators),
            "parties": [{"role": p.role, "name": p.name} for p in case.parties],
        },
        "filing": {**{k: v for k, v in asdict(filing).items() if k != "filed_on"}, "filed_on": _iso(filing.filed_on)},
        "mediation_period": [_iso(period[0]), _iso(period[1])],
        "pdf": {
            "variant": options.variant,
            "numbered_pages": page_count,
            "front_pages": front_pages,
            "tail_pages": tail_pages,
            "page_numbers": options.page_number_position,
            "created": created,
            "creator": "调解卷宗门户",
        },
        "documents": [
            {
                "seq": n,
                "title": r.title,
                "author": r.author,
                "date": _iso(r.day),
                "pages": r.pages,
                "note": r.note,
                "source": r.source,
                "sha256": r.sha256,
                "key": r.key,
                "filename": r.filename,
            }
            for n, r in enumerate(rows, start=1)
        ],
        "trail": [{"date": _iso(d), "who": who, "what": what} for d, who, what in case.events],
    }


def originals(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """The uploaded files a dossier holds (scans, uploads, attachments): what a hand-over carries as originals."""
    seen: set[str] = set()
    out = []
    for document in manifest.get("documents", []):
        digest = document.get("sha256", "")
        if document.get("source") != "generated" and digest and digest not in seen:
            seen.add(digest)
            out.append(document)
    return out


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None
