"""Dossier rules over the case: who may do what, the case as archive data, pre-check, printing, signed scans.

Personal data in printed documents: parties' ID and phone numbers appear in full only for the roles
that may reveal them on this case (the handling body's 受理员, 调解员, 主任 — they print the documents
that parties sign); everyone else gets them masked. A bound dossier is the archival record and keeps
the full numbers, so it is downloaded only by people with a role over the handling organisation
(not by bodies that merely sent or received a transfer); each download is audited.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlmodel import Session, select

import archive.contents as contents
from archive import pages as pagemod
from archive import review
from archive.model import UploadData
from archive.order import DOCUMENTS
from archive.render import cn_date
from archive.retention import default_retention
from portal import clock
from portal.audit import service as audit
from portal.cases import files, loop, parties
from portal.cases.access import can_act, log_event
from portal.cases.models import Case, CaseFile, CaseState, DisputeType
from portal.dossiers.archive_data import case_data
from portal.dossiers.models import BindingJob, DossierVersion, SignedScan
from portal.errors import Forbidden, Invalid
from portal.orgs.models import Organisation
from portal.people.models import Role
from portal.scope import OutOfScope, Principal

BIND_ROLES = (Role.CLERK, Role.MEDIATOR, Role.DIRECTOR, Role.ARCHIVIST)
SCAN_ROLES = (Role.CLERK, Role.MEDIATOR, Role.DIRECTOR, Role.ARCHIVIST)
FILE_ROLES = (Role.ARCHIVIST,)
BINDABLE_STATES = (CaseState.EVALUATED, CaseState.REFUSED)  # ready for filing: evaluated, or refused in writing


def may_download(principal: Principal, case: Case) -> bool:
    """Bound dossiers keep full personal data: only people with a role over the handling organisation."""
    return principal.sees(case.org_path)


def require(principal: Principal, case: Case, roles: tuple[Role, ...], what: str) -> None:
    if not can_act(principal, case, roles):
        raise Forbidden(f"只有办理机构的{'、'.join(r.label for r in roles)}可以{what}。")


def suggested_retention(db: Session, case: Case) -> str:
    dispute = db.get(DisputeType, case.dispute_type)
    confirmed = bool(loop.records_of(db, case, "confirmation_ruling"))
    return default_retention(
        dispute_code=case.dispute_type,
        dispute_name=dispute.name if dispute else "",
        judicial_confirmation=confirmed,
        group_dispute=case.group_dispute,
        major=case.group_dispute and case.people_involved >= 50,
    )


def gaps(db: Session, case: Case, *, uploads_dir: Path) -> list[review.Problem]:
    """The pre-check's findings, derived from the case's own record (archive.review), with the keys they name."""
    return review.precheck(case_data(db, case, uploads_dir=uploads_dir, with_uploads=False))


def precheck(db: Session, case: Case, *, uploads_dir: Path) -> list[str]:
    """What is missing or unsigned, and which uploads cannot be bound — each naming what to add."""
    data = case_data(db, case, uploads_dir=uploads_dir)
    problems = [p.message for p in review.precheck(data)]
    problems += pagemod.inspect(data.uploads)
    if case.state not in BINDABLE_STATES:
        problems.insert(0, f"案件当前为“{case.state.label}”，评价完成（已评价待立卷）或不予受理后才能立卷。")
    return problems


def contents_preview(db: Session, case: Case, *, uploads_dir: Path) -> list[contents.Item]:
    return contents.compose(case_data(db, case, uploads_dir=uploads_dir, with_uploads=False))


def _titled(data, key: str) -> str:  # noqa: ANN001
    prefix, _, ref = key.partition(":")
    if prefix == "notes":
        return "卷内备考表"
    title = DOCUMENTS[prefix].title
    if prefix == "transfer":
        transfer = data.transfers[int(ref)]
        return f"移送函（{transfer.kind}）及回执：{transfer.from_org} → {transfer.to_org}"
    record = next((r for r in data.records if r.ref == ref and r.kind != "evaluation"), None) if ref else None
    if prefix == "quadruplicate" and record is None:
        return f"{title}（空白，现场填写）"
    return f"{title}（{cn_date(record.held_on)}）" if record and record.held_on else title


def printable(db: Session, case: Case) -> list[tuple[str, str]]:
    """(key, title) of the standard documents this case can print now."""
    data = case_data(db, case, uploads_dir=Path("."), with_uploads=False)
    return [(key, _titled(data, key)) for key in contents.printable_keys(data)]


def print_document(
    db: Session,
    principal: Principal,
    case: Case,
    key: str,
    *,
    uploads_dir: Path,
    variant: str,
    position: str,
    address: str = "",
) -> tuple[str, bytes]:
    """One standard document as PDF; numbers masked unless the person may reveal them (audited when shown in full)."""
    from archive.model import Options
    from archive.printing import document_pdf

    reveal = parties.can_reveal(principal, case)
    data = case_data(db, case, uploads_dir=uploads_dir, reveal=reveal, with_uploads=False)
    try:
        title, pdf = document_pdf(data, key, options=Options(variant=variant, page_number_position=position))
    except (KeyError, ValueError) as exc:
        raise OutOfScope("没有这份文书。", object_type="document", object_id=key) from exc
    audit.record(
        db,
        "dossier.print",
        actor=principal.person,
        org=db.get(Organisation, case.org_id),
        object_type="case",
        object_id=case.id,
        summary=f"打印{title}（{'含完整证件号码' if reveal else '证件号码已遮盖'}）：{case.number}",
        address=address,
    )
    return title, pdf


def scan_targets(db: Session, case: Case) -> list[tuple[str, str]]:
    """Documents a signed scan can replace, and those from outside (a ruling, a receipt, a letter) it can be."""
    data = case_data(db, case, uploads_dir=Path("."), with_uploads=False)
    own = [(k, _titled(data, k)) for k in contents.printable_keys(data) if k not in ("notes", "quadruplicate")]
    return own + [(want.key, want.title) for want in contents.expected(data)]


def upload_scan(
    db: Session,
    principal: Principal,
    case: Case,
    *,
    doc_key: str,
    filename: str,
    data: bytes,
    root: Path,
    max_bytes: int,
    address: str = "",
) -> CaseFile:
    """Store a signed scan (PDF or image) and let it take the generated document's place in the dossier."""
    require(principal, case, SCAN_ROLES, "上传签字扫描件")
    if case.archived_at is not None:
        from portal.cases.access import FROZEN

        raise Forbidden(FROZEN)
    targets = dict(scan_targets(db, case))
    errors: dict[str, str] = {}
    if doc_key not in targets:
        errors["doc_key"] = "请选择这份扫描件对应的文书。"
    kind = files.sniff(data[:16], data) if data else None
    if not data:
        errors["file"] = "请选择要上传的签字扫描件。"
    elif len(data) > max_bytes:
        errors["file"] = f"文件过大，单个文件不能超过 {max_bytes // 1048576} MB。"
    elif kind is None or kind.media_type not in ("application/pdf", "image/jpeg", "image/png", "image/tiff"):
        errors["file"] = "签字扫描件只接受 PDF 或 JPEG/PNG/TIFF 图片（按文件内容判断）。"
    elif problem := files.refusal(kind, data):  # the materials' checker: JavaScript, encryption, polyglots
        errors["file"] = problem
    else:
        problems = pagemod.inspect([UploadData(filename or "扫描件", kind.media_type, data, "签字文书扫描件", "")])
        if problems:
            errors["file"] = problems[0]
    if errors:
        raise Invalid(errors)
    digest, key = files.store(root, data)
    name = Path(filename or "scan").name[:200] or "scan"
    outside = {
        want.key: want.category for want in contents.expected(case_data(db, case, uploads_dir=root, with_uploads=False))
    }
    record = CaseFile(
        case_id=case.id,
        doc_type=outside.get(doc_key, "签字文书扫描件"),  # a ruling or a receipt keeps its own category
        filename=name,
        media_type=kind.media_type,
        size=len(data),
        sha256=digest,
        storage_key=key,
        uploaded_by=principal.person.id,
    )
    db.add(record)
    db.flush()
    for old in db.exec(select(SignedScan).where(SignedScan.case_id == case.id, SignedScan.doc_key == doc_key)):
        db.delete(old)  # the newest scan of a document counts; the older file stays among the materials
    db.add(SignedScan(case_id=case.id, file_id=record.id, doc_key=doc_key))
    log_event(db, case, principal, "file", f"上传{targets[doc_key]}的签字扫描件：{name}")
    audit.record(
        db,
        "dossier.scan",
        actor=principal.person,
        org=db.get(Organisation, case.org_id),
        object_type="case",
        object_id=case.id,
        summary=f"上传签字扫描件（{targets[doc_key]}，SHA-256 {digest[:12]}…）：{case.number}",
        address=address,
    )
    return record


def versions_of(db: Session, case: Case) -> list[DossierVersion]:
    return list(
        db.exec(select(DossierVersion).where(DossierVersion.case_id == case.id).order_by(DossierVersion.version.desc()))
    )


def jobs_of(db: Session, case: Case, limit: int = 5) -> list[BindingJob]:
    return list(
        db.exec(select(BindingJob).where(BindingJob.case_id == case.id).order_by(BindingJob.id.desc()).limit(limit))
    )


def latest_filed(db: Session, case: Case) -> DossierVersion | None:
    return db.exec(
        select(DossierVersion)
        .where(DossierVersion.case_id == case.id, DossierVersion.status == "filed")
        .order_by(DossierVersion.version.desc())
    ).first()


def get_version(db: Session, case: Case, version_id: int) -> DossierVersion:
    version = db.get(DossierVersion, version_id)
    if version is None or version.case_id != case.id:
        raise OutOfScope("卷宗版本不存在。", object_type="dossier_version", object_id=version_id)
    return version


def get_job(db: Session, case: Case, job_id: int) -> BindingJob:
    job = db.get(BindingJob, job_id)
    if job is None or job.case_id != case.id:
        raise OutOfScope("装订任务不存在。", object_type="dossier_job", object_id=job_id)
    return job


def today() -> date:
    return clock.today()
