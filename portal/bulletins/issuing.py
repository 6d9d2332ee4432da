"""签发: a 专报 rendered as PDF/A with its Excel annex, stored by SHA-256, recorded as a new version.

Rendering takes seconds, so it happens before the write transaction: the contents are read through the read-only
engine, the files stored (write-once, content-addressed: a loser's files are harmless), and only then does a short
write transaction lock the 专报's row and check that nobody issued or edited it since the form was opened — two
issues at once make one version, the other is told who issued first (409); the unique (专报, 版本) is the backstop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from archive import storage
from portal import clock
from portal.alerts.months import Month
from portal.audit import service as audit
from portal.bulletins import contents, document, service
from portal.bulletins.models import Bulletin, BulletinIssue
from portal.db import flush_once, lock, transaction, utcnow
from portal.errors import Conflict, Invalid
from portal.scope import Principal
from portal.settings import Settings
from portal.stats.service import Basis


@dataclass(frozen=True)
class Seen:
    """What the issuing form showed: the draft's version and how many versions were issued."""

    version: int
    issues: int

    @classmethod
    def of(cls, data: dict) -> Seen:
        raw = (str(data.get("version", "")), str(data.get("issues", "")))
        if not all(r.isascii() and r.isdigit() and len(r) < 10 for r in raw):
            raise Invalid({"issue": "签发表单已失效，请刷新页面后重试。"})
        return cls(int(raw[0]), int(raw[1]))


def _check(bulletin: Bulletin, seen: Seen, latest: BulletinIssue | None) -> None:
    if bulletin.issues != seen.issues:
        who = f"{latest.issued_by_name}已签发第 {latest.version} 版" if latest else "他人已签发"
        raise Conflict(f"这份专报刚刚{who}，您的签发没有生效。请查看最新版本，如需再次签发请重新提交。")
    if bulletin.version != seen.version:
        raise Conflict(f"这份专报刚刚已被{bulletin.updated_by_name or '他人'}修改，请核对最新内容后再签发。")


def basis(settings: Settings, today: date) -> Basis:
    return Basis(today=today, zone=clock.zone_name(), recent_days=settings.recent_case_days)


def issue(
    engine: Engine,
    reader: Engine,
    principal: Principal,
    bulletin_id: int,
    seen: Seen,
    *,
    settings: Settings,
    address: str = "",
) -> BulletinIssue:
    """Issue the 专报 as the person saw it; a new version each time."""
    today = clock.today()
    with transaction(reader) as db:
        bulletin, org = service.get(db, principal, bulletin_id)
        service.require_editor(principal, org)
        issued = service.issues_of(db, bulletin)
        _check(bulletin, seen, issued[0] if issued else None)
        month = Month.parse(bulletin.month)
        gathered = contents.gather(
            db, principal, org, month, list(bulletin.typical), basis=basis(settings, today), settings=settings
        )
        analysis, advice = bulletin.analysis, bulletin.advice
    signed = document.Signed(
        number=service.number_of(month),
        title=service.title_of(org, month),
        issuer=principal.person.name,
        issued_on=today,
        issued_at=utcnow(),
        version=seen.issues + 1,
    )
    variant = settings.dossier_pdf_variant
    pdf, pages = document.pdf(gathered, analysis, advice, signed, variant=variant)
    sheet = document.annex(gathered, signed, site=settings.site_name)
    root = Path(settings.archive_dir)
    stored, annexed = storage.put(root, pdf), storage.put(root, sheet, ".xlsx")
    with transaction(engine) as db:
        lock(db, Bulletin, bulletin_id)
        bulletin, org = service.get(db, principal, bulletin_id)
        db.refresh(bulletin)
        issued = service.issues_of(db, bulletin)
        _check(bulletin, seen, issued[0] if issued else None)
        row = BulletinIssue(
            bulletin_id=bulletin.id,
            version=signed.version,
            number=signed.number,
            title=signed.title,
            text_version=bulletin.version,
            variant=variant,
            sha256=stored.sha256,
            storage_key=stored.key,
            size=stored.size,
            pages=pages,
            annex_sha256=annexed.sha256,
            annex_key=annexed.key,
            annex_size=annexed.size,
            issued_by=principal.person.id,
            issued_by_name=principal.person.name[:64],
            issued_at=signed.issued_at,
            issued_on=today,
        )
        db.add(row)
        flush_once(db, "这份专报刚刚已由他人签发，您的签发没有生效。请查看最新版本。")
        bulletin.issues = signed.version
        db.add(bulletin)
        db.flush()
        audit.record(
            db,
            "bulletin.issue",
            actor=principal.person,
            org=org,
            object_type="bulletin",
            object_id=bulletin.id,
            summary=f"签发专报 {signed.number} 第 {signed.version} 版：{signed.title}（SHA-256 {stored.sha256[:12]}…）",
            address=address,
        )
    return row


def read(settings: Settings, issue: BulletinIssue, *, annex: bool = False) -> bytes:
    """A stored file, refused when it no longer matches its SHA-256."""
    key, digest = (issue.annex_key, issue.annex_sha256) if annex else (issue.storage_key, issue.sha256)
    return storage.read(Path(settings.archive_dir), key, digest)


def record_view(
    db: Session, principal: Principal, action: str, bulletin: Bulletin, org, summary: str, address: str
) -> None:  # noqa: ANN001
    audit.record(
        db,
        action,
        actor=principal.person,
        org=org,
        object_type="bulletin",
        object_id=bulletin.id,
        summary=summary,
        address=address,
    )
