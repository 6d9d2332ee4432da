"""Keeping filed dossiers: fixity checks (on demand and on a schedule), retention review and
disposal, and hand-over packages."""

from __future__ import annotations

import logging
import threading
from datetime import date

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from archive import handover, storage
from archive.retention import TERMS, ends_on
from portal.audit import service as audit
from portal.cases.models import Case
from portal.db import lock, transaction, utcnow, writes
from portal.dossiers.models import DisposalRecord, DossierVersion, FixityRun
from portal.errors import Forbidden, Invalid
from portal.locks import FileLock
from portal.orgs.models import Organisation
from portal.people.models import Role
from portal.scope import OutOfScope, Principal
from portal.settings import Settings

log = logging.getLogger(__name__)
KEEP_ROLES = (Role.ARCHIVIST,)
REVIEW_ROLES = (Role.ARCHIVIST, Role.ADMIN)


def verify_all(engine: Engine, root, *, trigger: str) -> FixityRun:  # noqa: ANN001
    """Re-hash every stored dossier PDF and manifest; the run (with every problem) is stored."""
    with Session(engine) as db:
        rows = list(
            db.exec(
                select(DossierVersion, Case.number)
                .join(Case, Case.id == DossierVersion.case_id)
                .where(DossierVersion.status != "destroyed")
                .order_by(DossierVersion.id)
            )
        )
    run = FixityRun(trigger=trigger)
    problems = []
    for version, number in rows:
        for key, expected, what in (
            (version.storage_key, version.sha256, "PDF"),
            (version.manifest_key, version.manifest_sha256, "manifest"),
        ):
            finding = storage.verify(root, [(key, expected)])[0]
            run.checked += 1
            if finding.status != "ok":
                setattr(run, finding.status, getattr(run, finding.status) + 1)
                problems.append(
                    {
                        "case": number,
                        "version": version.version,
                        "what": what,
                        "key": key,
                        "status": finding.status,
                        "expected": expected,
                        "actual": finding.actual,
                    }
                )
    run.problems = problems
    run.finished_at = utcnow()
    with transaction(engine) as db:
        db.add(run)
        if problems:
            audit.record(
                db,
                "dossier.fixity_incident",
                actor_name="系统",
                object_type="fixity_run",
                summary=f"固定性检查发现问题：缺失 {run.missing} 个，被改动 {run.changed} 个",
            )
        db.flush()
        db.expunge(run)
    return run


def latest_run(db: Session) -> FixityRun | None:
    return db.exec(select(FixityRun).order_by(FixityRun.id.desc())).first()


class Scheduler:
    """Runs the fixity check every `interval` minutes in a daemon thread (first run a minute after start).

    Every server worker starts one; only the process holding `fixity.lock` in the data directory checks, the
    others stand by (and take over at their next turn when that process is gone)."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine, self.settings = engine, settings
        self.stop_event = threading.Event()
        self.thread: threading.Thread | None = None
        self.lock = FileLock(settings.data_dir / "fixity.lock")

    def start(self) -> None:
        if self.settings.fixity_interval_minutes <= 0:
            return
        self.thread = threading.Thread(target=self._loop, name="fixity", daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        delay = 60.0
        while not self.stop_event.wait(delay):
            delay = self.settings.fixity_interval_minutes * 60.0
            self.run_once()

    def run_once(self) -> bool:
        """One scheduled check, if this process keeps the schedule; whether it ran."""
        if not (self.lock.held or self.lock.acquire()):
            return False  # another worker process keeps the schedule
        try:
            verify_all(self.engine, self.settings.archive_dir, trigger="schedule")
        except Exception:  # noqa: BLE001 — a failed check is logged and retried at the next interval
            log.exception("scheduled fixity check failed")
        return True

    def stop(self) -> None:
        self.stop_event.set()
        self.lock.release()


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
                DossierVersion.retention_ends_on <= today,
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


def export(db: Session, principal: Principal, version_ids: list[int], *, root, address: str = "") -> bytes:  # noqa: ANN001
    """A zip of the chosen filed dossiers (PDF + manifest each) with a checksum list; every file re-checked first."""
    if not principal.roots(*KEEP_ROLES):
        raise Forbidden("只有档案员可以移交卷宗。")
    if not version_ids:
        raise Invalid({"version_id": "请至少选择一卷。"})
    entries = []
    for version_id in version_ids:
        version, case = _version_in_scope(db, principal, version_id)
        if not principal.has_role_over(case.org_path, *KEEP_ROLES) or version.status != "filed":
            raise OutOfScope("卷宗不存在或不能移交。", object_type="dossier_version", object_id=version_id)
        import json

        pdf = storage.read(root, version.storage_key, version.sha256)
        manifest = json.loads(storage.read(root, version.manifest_key, version.manifest_sha256))
        name = f"{(version.volume_number or case.number).replace('/', '_')}_v{version.version}"
        entries.append(handover.Entry(name=name, pdf=pdf, manifest=manifest, sha256=version.sha256))
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
