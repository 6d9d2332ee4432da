"""Fixity (固定性检查): every stored file re-hashed — each dossier version's PDF and manifest in the archive, and
every uploaded file (materials, signed scans: the originals a dossier and its hand-over package are made of) in
the upload store — on demand and on a schedule. A mismatch is an incident, recorded, never repaired.

What a person is shown is their part only: administrators and archivists see the files and problems of the cases
in their subtrees (and the count says so), never another township's case numbers or storage keys.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from archive import storage
from portal.audit import service as audit
from portal.cases.models import Case, CaseFile
from portal.db import transaction, utcnow
from portal.dossiers.models import DossierVersion, FixityRun
from portal.errors import Forbidden
from portal.locks import FileLock
from portal.orgs.models import Organisation
from portal.people.models import Role
from portal.scope import Principal
from portal.settings import Settings

log = logging.getLogger(__name__)
VIEW_ROLES = (Role.ADMIN, Role.ARCHIVIST)


def _targets(db: Session, archive_root: Path, uploads_root: Path) -> list[tuple[Path, str, str, dict]]:
    """(root, key, expected SHA-256, what to report) for every stored file."""
    out = []
    for version, number in db.exec(
        select(DossierVersion, Case.number)
        .join(Case, Case.id == DossierVersion.case_id)
        .where(DossierVersion.status != "destroyed")
        .order_by(DossierVersion.id)
    ):
        where = {"case": number, "case_id": version.case_id, "version": version.version}
        out.append((archive_root, version.storage_key, version.sha256, {**where, "what": "PDF"}))
        out.append((archive_root, version.manifest_key, version.manifest_sha256, {**where, "what": "manifest"}))
    for upload, number in db.exec(
        select(CaseFile, Case.number).join(Case, Case.id == CaseFile.case_id).order_by(CaseFile.id)
    ):
        where = {"case": number, "case_id": upload.case_id, "version": None, "what": f"上传文件 {upload.filename}"}
        out.append((uploads_root, upload.storage_key, upload.sha256, where))
    return out


def verify_all(engine: Engine, settings: Settings, *, trigger: str) -> FixityRun:
    """Re-hash every stored dossier PDF, manifest and uploaded file; the run (with every problem) is stored."""
    with Session(engine) as db:
        targets = _targets(db, settings.archive_dir, settings.uploads_dir)
    run = FixityRun(trigger=trigger)
    problems = []
    for root, key, expected, where in targets:
        finding = storage.verify(root, [(key, expected)])[0]
        run.checked += 1
        if finding.status != "ok":
            setattr(run, finding.status, getattr(run, finding.status) + 1)
            problems.append(
                {**where, "key": key, "status": finding.status, "expected": expected, "actual": finding.actual}
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


@dataclass
class View:
    """The latest run as one person may see it: their part's count and problems."""

    run: FixityRun | None
    checked: int = 0
    missing: int = 0
    changed: int = 0
    problems: list[dict] = field(default_factory=list)
    whole: bool = False  # the person's scope is the whole archive


def view(db: Session, principal: Principal) -> View:
    """The latest fixity run, scoped to the cases under the person's administrator or archivist roles."""
    roots = principal.roots(*VIEW_ROLES)
    if not roots:
        raise Forbidden("只有管理员和档案员可以查看固定性检查结果。")
    run = db.exec(select(FixityRun).order_by(FixityRun.id.desc())).first()
    if run is None:
        return View(None)
    in_scope = principal.path_filter(Case.org_path, *VIEW_ROLES)
    tops = db.exec(select(Organisation.path).where(Organisation.parent_id.is_(None))).all()
    whole = all(any(top.startswith(root) for root in roots) for top in tops)
    mentioned = {p.get("case_id") for p in run.problems if p.get("case_id")}
    numbers = {p.get("case") for p in run.problems if not p.get("case_id")}  # runs from before case ids were kept
    mine_ids = set(db.exec(select(Case.id).where(Case.id.in_(mentioned), in_scope))) if mentioned else set()
    mine_numbers = set(db.exec(select(Case.number).where(Case.number.in_(numbers), in_scope))) if numbers else set()
    problems = [p for p in run.problems if p.get("case_id") in mine_ids or p.get("case") in mine_numbers]
    started = run.started_at
    versions = db.exec(
        select(func.count())
        .select_from(DossierVersion)
        .join(Case, Case.id == DossierVersion.case_id)
        .where(in_scope, DossierVersion.created_at <= started, DossierVersion.status != "destroyed")
    ).one()
    uploads = db.exec(
        select(func.count())
        .select_from(CaseFile)
        .join(Case, Case.id == CaseFile.case_id)
        .where(in_scope, CaseFile.uploaded_at <= started)
    ).one()
    return View(
        run,
        checked=run.checked if whole else 2 * versions + uploads,
        missing=sum(1 for p in problems if p["status"] == "missing"),
        changed=sum(1 for p in problems if p["status"] == "changed"),
        problems=problems,
        whole=whole,
    )


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
            verify_all(self.engine, self.settings, trigger="schedule")
        except Exception:  # noqa: BLE001 — a failed check is logged and retried at the next interval
            log.exception("scheduled fixity check failed")
        return True

    def stop(self) -> None:
        self.stop_event.set()
        self.lock.release()
