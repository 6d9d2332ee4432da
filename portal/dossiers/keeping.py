"""Keeping filed dossiers: retention review and disposal, and hand-over packages (fixity: portal.dossiers.fixity)."""

from __future__ import annotations

import json
from datetime import date

from sqlmodel import Session, col, select

from archive import handover, storage
from archive.manifest import originals
from archive.retention import TERMS, ends_on
from portal.audit import service as audit
from portal.cases.models import Case, CaseFile
from portal.db import lock, utcnow, writes
from portal.dossiers.models import DisposalRecord, DossierVersion
from portal.errors import Forbidden, Invalid
from portal.orgs.models import Organisation
from portal.people.models import Role
from portal.scope import OutOfScope, Principal

KEEP_ROLES = (Role.ARCHIVIST,)
REVIEW_ROLES = (Role.ARCHIVIST, Role.ADMIN)


def due_for_review(db: Session, principal: Principal, today: date) -> list[tuple[DossierVersion, Case]]:
    """Filed dossiers whose retention has ended, in the person's scope."""
    if not principal.roots(*REVIEW_ROLES):
        raise Forbidden("只有档案员和管理员可以查看到期卷宗。")
    return list(
        db.exec(
            select(DossierVersion, Case)
            .join(Case, Case.id == DossierVersion.case_id)
            .where(
                DossierVersion.status.in_(["filed", "superseded"]),
                col(DossierVersion.retention_ends_on) <= today,
                principal.path_filter(Case.org_path, *REVIEW_ROLES),
            )
            .order_by(DossierVersion.retention_ends_on)
        )
    )


def disposals(db: Session, principal: Principal, limit: int = 50) -> list[DisposalRecord]:
    return list(
        db.exec(
            select(DisposalRecord)
            .join(Case, Case.id == DisposalRecord.case_id)
            .where(principal.path_filter(Case.org_path, *REVIEW_ROLES))
            .order_by(DisposalRecord.id.desc())
            .limit(limit)
        )
    )


def _version_in_scope(db: Session, principal: Principal, version_id: int) -> tuple[DossierVersion, Case]:
    version = db.get(DossierVersion, version_id)
    if version is not None and writes(db):  # two decisions at once: the second sees the first (portal.db.lock)
        lock(db, Case, version.case_id)
        db.refresh(version)
    case = db.get(Case, version.case_id) if version else None
    if version is None or case is None or not principal.sees(case.org_path):
        raise OutOfScope("卷宗不存在或您无权查看。", object_type="dossier_version", object_id=version_id)
    return version, case


def decide(
    db: Session,
    principal: Principal,
    version_id: int,
    *,
    decision: str,
    new_retention: str,
    reason: str,
    root,
    today: date,  # noqa: ANN001
    address: str = "",
) -> DisposalRecord:
    """Approve destruction (bytes removed, checksums kept in the record) or extend the retention."""
    version, case = _version_in_scope(db, principal, version_id)
    if not principal.has_role_over(case.org_path, *KEEP_ROLES):
        raise Forbidden("只有档案员可以决定到期卷宗的处置。")
    if (
        version.status not in ("filed", "superseded")
        or version.retention_ends_on is None
        or version.retention_ends_on > today
    ):
        raise Forbidden("该卷宗的保管期限尚未届满，不能处置。")
    errors = {}
    if decision not in ("destroy", "extend"):
        errors["decision"] = "请选择销毁或延长保管。"
    if decision == "extend" and new_retention not in TERMS:
        errors["new_retention"] = "请选择新的保管期限。"
    if not reason.strip():
        errors["reason"] = "请填写处置理由（鉴定意见）。"
    if errors:
        raise Invalid(errors)
    record = DisposalRecord(
        version_id=version.id,
        case_id=case.id,
        case_number=case.number,
        decision=decision,
        old_retention=version.retention,
        new_retention=new_retention if decision == "extend" else "",
        reason=reason.strip()[:2000],
        sha256=version.sha256,
        manifest_sha256=version.manifest_sha256,
        storage_key=version.storage_key,
        decided_by=principal.person.id,
    )
    if decision == "destroy":
        for key in (version.storage_key, version.manifest_key):
            shared = db.exec(
                select(DossierVersion.id).where(
                    DossierVersion.id != version.id,
                    DossierVersion.status != "destroyed",
                    (DossierVersion.storage_key == key) | (DossierVersion.manifest_key == key),
                )
            ).first()
            if not shared:
                (root / key).unlink(missing_ok=True)
        version.status = "destroyed"
    else:
        version.retention = new_retention
        base = version.filed_at.date() if version.filed_at else today
        version.retention_ends_on = ends_on(new_retention, base)
    db.add(version)
    db.add(record)
    audit.record(
        db,
        f"dossier.{decision}",
        actor=principal.person,
        org=db.get(Organisation, case.org_id),
        object_type="case",
        object_id=case.id,
        summary=(
            f"销毁到期卷宗 第 {version.version} 版（SHA-256 {version.sha256}）：{case.number}"
            if decision == "destroy"
            else f"延长卷宗保管期限 {record.old_retention} → {new_retention}：{case.number}"
        ),
        address=address,
    )
    return record


def handover_candidates(db: Session, principal: Principal, limit: int = 500) -> list[tuple[DossierVersion, Case]]:
    if not principal.roots(*KEEP_ROLES):
        raise Forbidden("只有档案员可以移交卷宗。")
    return list(
        db.exec(
            select(DossierVersion, Case)
            .join(Case, Case.id == DossierVersion.case_id)
            .where(DossierVersion.status == "filed", principal.path_filter(Case.org_path, *KEEP_ROLES))
            .order_by(DossierVersion.filed_at.desc())
            .limit(limit)
        )
    )


def export(
    db: Session,
    principal: Principal,
    version_ids: list[int],
    *,
    root,
    uploads_root,
    address: str = "",  # noqa: ANN001
) -> bytes:
    """A zip of the chosen filed dossiers — PDF, manifest and every original upload each (self-contained: the
    Office files an A-1b dossier lists as kept apart are in it too) — with a checksum list; every file re-checked."""
    if not principal.roots(*KEEP_ROLES):
        raise Forbidden("只有档案员可以移交卷宗。")
    if not version_ids:
        raise Invalid({"version_id": "请至少选择一卷。"})
    entries = []
    for version_id in version_ids:
        version, case = _version_in_scope(db, principal, version_id)
        if not principal.has_role_over(case.org_path, *KEEP_ROLES) or version.status != "filed":
            raise OutOfScope("卷宗不存在或不能移交。", object_type="dossier_version", object_id=version_id)
        pdf = storage.read(root, version.storage_key, version.sha256)
        manifest = json.loads(storage.read(root, version.manifest_key, version.manifest_sha256))
        name = f"{(version.volume_number or case.number).replace('/', '_')}_v{version.version}"
        entries.append(
            handover.Entry(
                name=name,
                pdf=pdf,
                manifest=manifest,
                sha256=version.sha256,
                originals=_originals(db, case, manifest, uploads_root),
            )
        )
    data = handover.build_zip(entries, {"created": utcnow().isoformat(timespec="seconds"), "by": principal.person.name})
    audit.record(
        db,
        "dossier.handover",
        actor=principal.person,
        object_type="dossier_version",
        object_id=",".join(map(str, version_ids)),
        summary=f"导出移交包：{len(entries)} 卷",
        address=address,
    )
    return data


def _originals(db: Session, case: Case, manifest: dict, uploads_root) -> list[handover.Original]:  # noqa: ANN001
    """The uploaded files the dossier was bound from, read from the upload store through their SHA-256."""
    out = []
    for document in originals(manifest):
        stored = db.exec(
            select(CaseFile).where(CaseFile.case_id == case.id, CaseFile.sha256 == document["sha256"])
        ).first()
        if stored is None:
            raise Invalid(
                {"version_id": f"{case.number}：原件“{document['filename']}”已不在存储中，不能移交（固定性事件）。"}
            )
        data = storage.read(uploads_root, stored.storage_key, stored.sha256)
        out.append(handover.Original(filename=document["filename"] or stored.filename, data=data, sha256=stored.sha256))
    return out
