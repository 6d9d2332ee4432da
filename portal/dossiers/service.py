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

import archive.order as order_mod
from archive import pages as pagemod
from archive.model import CaseData, PartyData, RecordData, TransferData, UploadData
from archive.retention import default_retention
from portal import clock
from portal.audit import service as audit
from portal.cases import files, ids, loop, parties
from portal.cases.access import can_act, events_of, log_event
from portal.cases.models import ID_TYPES, Case, CaseFile, CaseState, DisputeType, Transfer, TransferState
from portal.dossiers.models import BindingJob, DossierVersion, SignedScan
from portal.errors import Forbidden, Invalid
from portal.orgs.models import Organisation
from portal.people.models import Role
from portal.people.service import mask_phone
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


def case_data(
    db: Session, case: Case, *, uploads_dir: Path, reveal: bool = True, with_uploads: bool = True
) -> CaseData:
    """The case as plain archive data; `reveal` False masks ID and phone numbers."""
    committee = db.get(Organisation, case.org_id)
    dispute = db.get(DisputeType, case.dispute_type)
    party_rows = parties.parties_of(db, case)
    party_data = tuple(
        PartyData(
            role=p.role,
            name=p.name,
            kind=p.kind,
            sex=p.sex,
            ethnicity=p.ethnicity,
            age=str(p.age or ""),
            occupation=p.occupation,
            id_label=ID_TYPES.get(p.id_type, "证件号码") if p.id_type else "证件号码",
            id_number=p.id_number if reveal else ids.mask_id(p.id_number),
            phone=p.phone if reveal else mask_phone(p.phone),
            address=p.address,
        )
        for p in party_rows
    )
    records = tuple(
        RecordData(
            kind=r.kind, held_on=r.held_on, fields={k: str(v) for k, v in (r.fields or {}).items()}, ref=str(r.id)
        )
        for r in loop.records_of(db, case)
    )
    scans = {s.file_id: s.doc_key for s in db.exec(select(SignedScan).where(SignedScan.case_id == case.id))}
    uploads: list[UploadData] = []
    if with_uploads:
        for f in files.files_of(db, case):
            uploads.append(
                UploadData(
                    filename=f.filename,
                    media_type=f.media_type,
                    data=files.read(uploads_dir, f),
                    doc_type=f.doc_type,
                    sha256=f.sha256,
                    uploaded_on=f.uploaded_at.date(),
                    replaces=scans.get(f.id, ""),
                )
            )
    transfer_rows = list(
        db.exec(
            select(Transfer)
            .where(
                Transfer.case_id == case.id,
                Transfer.state != TransferState.AWAITING_SIGNOFF,
                Transfer.state != TransferState.WITHDRAWN,
            )
            .order_by(Transfer.id)
        )
    )
    transfers = tuple(
        TransferData(
            kind=t.kind,
            from_org=_org_name(db, t.from_org_id),
            to_org=_org_name(db, t.to_org_id),
            letter=t.letter,
            sent_on=t.sent_at.date() if t.sent_at else None,
            state=t.state.value,
            answered_on=t.answered_at.date() if t.answered_at else None,
            answer=t.answer_reason,
        )
        for t in transfer_rows
    )
    mediators = tuple(person.name for _, person in loop.mediators_of(db, case))
    events = tuple((e.at.date(), e.actor_name, e.summary) for e in events_of(db, case))
    return CaseData(
        number=case.number,
        title=case.title,
        committee=committee.name if committee else "",
        dispute_type=dispute.name if dispute else case.dispute_type,
        dispute_code=case.dispute_type,
        channel=case.channel,
        summary=case.summary,
        requests=case.requests,
        state=case.state.value,
        outcome=case.outcome or "",
        received_on=case.received_on,
        accepted_on=case.accepted_on,
        closed_on=case.closed_on,
        group_dispute=case.group_dispute,
        people_involved=case.people_involved,
        mediators=mediators,
        parties=party_data,
        records=records,
        uploads=tuple(uploads),
        transfers=transfers,
        events=events,
        judicial_confirmation=any(r.kind == "confirmation_ruling" for r in records),
    )


def _org_name(db: Session, org_id: int) -> str:
    org = db.get(Organisation, org_id)
    return org.name if org else ""


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


def precheck(db: Session, case: Case, *, uploads_dir: Path) -> list[str]:
    """What is missing or unsigned, and which uploads cannot be bound — each naming what to add."""
    data = case_data(db, case, uploads_dir=uploads_dir)
    problems = [p.message for p in order_mod.precheck(data)]
    problems += pagemod.inspect(data.uploads)
    if case.state not in BINDABLE_STATES:
        problems.insert(0, f"案件当前为“{case.state.label}”，评价完成（已评价待立卷）或不予受理后才能立卷。")
    return problems


def contents_preview(db: Session, case: Case, *, uploads_dir: Path) -> list[order_mod.Item]:
    return order_mod.compose(case_data(db, case, uploads_dir=uploads_dir))


def printable(db: Session, case: Case) -> list[tuple[str, str]]:
    """(key, title) of the standard documents this case can print now."""
    data = case_data(db, case, uploads_dir=Path("."), with_uploads=False)
    out = []
    for key, record, _ in order_mod.generated_keys(data):
        title = order_mod.DOCUMENTS[key.split(":")[0]][2]
        if record and record.held_on:
            title += f"（{record.held_on.isoformat()}）"
        out.append((key, title))
    out.append(("notes", "卷内备考表"))
    return out


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
    from archive.binding import document_pdf
    from archive.model import Options

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
    """Documents a signed scan can replace."""
    return [(k, t) for k, t in printable(db, case) if k != "notes"]


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
    record = CaseFile(
        case_id=case.id,
        doc_type="签字文书扫描件",
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
