"""Binding in the background: a job row tracks progress and keeps the error; filing stores the PDF
under the archive path with its SHA-256, checks conformance and freezes the case."""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from archive import conformance, storage
from archive.binding import bind
from archive.model import FilingData, Options
from archive.pages import Unbindable
from archive.retention import TERMS, ends_on
from portal import clock
from portal.audit import service as audit
from portal.cases.access import FROZEN, record_change, touch
from portal.cases.models import Case, CaseEvent
from portal.db import flush_once, lock, transaction, utcnow
from portal.dossiers import catalogue, service
from portal.dossiers.models import BindingJob, DossierVersion
from portal.errors import Forbidden, Invalid
from portal.orgs.models import Organisation
from portal.people.models import Person
from portal.scope import Principal
from portal.settings import Settings

log = logging.getLogger(__name__)
_LOCK = threading.Lock()
_EXECUTOR: ThreadPoolExecutor | None = None


def executor() -> ThreadPoolExecutor:
    """Two workers: WeasyPrint is CPU-bound and the machine has two cores (archive.render limits renders too)."""
    global _EXECUTOR
    with _LOCK:
        if _EXECUTOR is None:
            _EXECUTOR = ThreadPoolExecutor(max_workers=2, thread_name_prefix="dossier")
        return _EXECUTOR


@dataclass
class FilingForm:
    title: str = ""  # 卷名: the case title unless edited
    filed_by: str = ""
    checked_by: str = ""
    retention: str = ""
    volume_number: str = ""
    archive_number: str = ""
    notes: str = ""
    reason: str = ""


def _active(db: Session, case: Case) -> BindingJob | None:
    return db.exec(
        select(BindingJob).where(BindingJob.case_id == case.id, BindingJob.status.in_(["queued", "running"]))
    ).first()


def request_binding(
    db: Session,
    principal: Principal,
    case: Case,
    *,
    settings: Settings,
    purpose: str = "draft",
    form: FilingForm | None = None,
    address: str = "",
) -> BindingJob:
    """Queue a binding: a draft for review, or the filing itself (archivist, complete dossier, valid form)."""
    if purpose == "file":
        service.require(principal, case, service.FILE_ROLES, "立卷归档")
    else:
        service.require(principal, case, service.BIND_ROLES, "装订卷宗")
    if case.archived_at is not None:
        raise Forbidden(FROZEN)
    if case.in_transfer:
        raise Forbidden("案件正在移送中，不能装订。")
    params: dict = {}
    if purpose == "file":
        form = form or FilingForm()
        errors: dict[str, str] = {}
        if not form.filed_by.strip():
            errors["filed_by"] = "请填写立卷人。"
        if not form.checked_by.strip():
            errors["checked_by"] = "请填写检查人。"
        if form.retention not in TERMS:
            errors["retention"] = "请选择保管期限（永久、30年或10年）。"
        filed_before = db.exec(
            select(DossierVersion.id).where(
                DossierVersion.case_id == case.id, DossierVersion.status.in_(["filed", "superseded"])
            )
        ).first()
        if filed_before and not form.reason.strip():
            errors["reason"] = "本案已立卷过：请说明重新立卷（更正）的原因。"
        if len(form.archive_number.strip()) > 60:
            errors["archive_number"] = "档号不能超过 60 个字符。"
        problems = service.precheck(db, case, uploads_dir=settings.uploads_dir)
        if problems:
            errors["precheck"] = f"卷宗不完整，不能立卷归档：请先补齐“案卷评查”列出的 {len(problems)} 项。"
        if errors:
            raise Invalid(errors)
        form.title = form.title.strip()[:200] or case.title
        form.archive_number = form.archive_number.strip() or catalogue.propose(db, case, form.retention, settings)
        catalogue.reserve(db, case, form.archive_number, form.retention, settings)
        params = {k: v.strip()[:500] for k, v in vars(form).items()}
    if _active(db, case):
        raise Forbidden("本案已有一个装订任务在进行，请等待完成。")
    params["worker"] = WORKER  # the process that will run it (submit, after the commit): see recover_interrupted
    job = BindingJob(
        case_id=case.id, purpose=purpose, params=params, requested_by=principal.person.id, message="排队等待"
    )
    db.add(job)
    flush_once(db, "本案已有一个装订任务在进行，请等待完成。")  # one job at a time per case, enforced by the database
    audit.record(
        db,
        "dossier.bind" if purpose == "draft" else "dossier.file_request",
        actor=principal.person,
        org=db.get(Organisation, case.org_id),
        object_type="case",
        object_id=case.id,
        summary=f"{'装订卷宗（草稿）' if purpose == 'draft' else '申请立卷归档'}：{case.number}",
        address=address,
    )
    db.flush()
    return job


def submit(engine: Engine, settings: Settings, job_id: int) -> None:
    """Run the job on the worker pool (call after the job's row is committed)."""
    executor().submit(run, engine, settings, job_id)


def _update(engine: Engine, job_id: int, **values: object) -> None:
    with transaction(engine) as db:
        job = db.get(BindingJob, job_id)
        for key, value in values.items():
            setattr(job, key, value)
        db.add(job)


def run(engine: Engine, settings: Settings, job_id: int) -> None:
    """Bind, store, check, and for a filing freeze the case; a failure is recorded on the job with its reason."""
    try:
        _run(engine, settings, job_id)
    except Unbindable as exc:
        _update(engine, job_id, status="failed", error=str(exc), message="装订失败", finished_at=utcnow())
    except Exception as exc:  # noqa: BLE001 — whatever happened, the job must say so, never vanish
        log.exception("binding job %s failed", job_id)
        _update(engine, job_id, status="failed", error=f"装订失败：{exc}", message="装订失败", finished_at=utcnow())


def _run(engine: Engine, settings: Settings, job_id: int) -> None:
    with transaction(engine) as db:
        job = db.get(BindingJob, job_id)
        if job is None or job.status != "queued":
            return
        job.status, job.progress, job.message = "running", 1, "开始装订"
        db.add(job)
        case = db.get(Case, job.case_id)
        bound_version = case.version  # what the PDF shows: filing it needs the case unchanged until it is frozen
        data = service.case_data(db, case, uploads_dir=settings.uploads_dir)
        params = dict(job.params or {})
        purpose = job.purpose
        next_version = (
            db.exec(select(func.max(DossierVersion.version)).where(DossierVersion.case_id == case.id)).one() or 0
        ) + 1
        requester = db.get(Person, job.requested_by)
    today = clock.today()
    filing = FilingData(
        fonds=data.committee,
        title=params.get("title", ""),
        archive_number=params.get("archive_number", ""),
        volume_number=params.get("volume_number", "") or data.number,
        filed_by=params.get("filed_by", ""),
        checked_by=params.get("checked_by", ""),
        filed_on=today if purpose == "file" else None,
        retention=params.get("retention", "") if purpose == "file" else "（草稿）",
        notes=params.get("notes", ""),
        version=next_version,
        reason=params.get("reason", ""),
    )
    last = [0.0]

    def progress(pct: int, message: str) -> None:
        if time.monotonic() - last[0] > 0.5 or pct >= 100:
            last[0] = time.monotonic()
            _update(engine, job_id, progress=min(pct, 99), message=message)

    bound = bind(
        data,
        filing,
        Options(variant=settings.dossier_pdf_variant, page_number_position=settings.dossier_page_numbers),
        progress=progress,
    )
    report = conformance.check(bound.pdf)
    if not report.ok:
        raise RuntimeError("生成的卷宗未通过 PDF/A 检查：" + "；".join(report.problems))
    root = settings.archive_dir
    stored = storage.put(root, bound.pdf)
    manifest = storage.put(root, json.dumps(bound.manifest, ensure_ascii=False, indent=2).encode(), ".json")
    with transaction(engine) as db:
        job = db.get(BindingJob, job_id)
        lock(db, Case, job.case_id)  # a correction or an edit at this moment waits, or is seen
        case = db.get(Case, job.case_id)
        if purpose == "file" and (case.archived_at is not None or case.state not in service.BINDABLE_STATES):
            raise RuntimeError("案件状态已变化，未立卷。")
        if purpose == "file" and case.version != bound_version:
            raise RuntimeError("装订期间案件又有修改，卷宗与案件不一致，未立卷：请重新立卷归档。")
        version = DossierVersion(
            case_id=case.id,
            version=next_version,
            status="filed" if purpose == "file" else "draft",
            variant=bound.variant,
            sha256=stored.sha256,
            storage_key=stored.key,
            size=stored.size,
            page_count=bound.page_count,
            total_pages=bound.total_pages,
            manifest_sha256=manifest.sha256,
            manifest_key=manifest.key,
            title=filing.title or data.title,
            volume_number=filing.volume_number,
            archive_number=filing.archive_number,
            notes=filing.notes,
            reason=filing.reason,
            created_by=job.requested_by,
        )
        org = db.get(Organisation, case.org_id)
        if purpose == "file":
            for old in db.exec(
                select(DossierVersion).where(DossierVersion.case_id == case.id, DossierVersion.status == "filed")
            ):
                old.status = "superseded"
                db.add(old)
            version.filed_by, version.filed_by_name, version.checker_name = (
                job.requested_by,
                filing.filed_by,
                filing.checked_by,
            )
            version.retention, version.retention_ends_on, version.filed_at = (
                filing.retention,
                ends_on(filing.retention, today),
                utcnow(),
            )
            case.archived_at = utcnow()
            touch(case)
            db.add(case)
        db.add(version)
        db.flush()
        job.status, job.progress, job.version_id, job.finished_at = "done", 100, version.id, utcnow()
        job.message = f"已完成：第 {next_version} 版，{bound.total_pages} 页"
        db.add(job)
        principal_name = requester.name if requester else ""
        what = (
            f"立卷归档（第 {next_version} 版，保管期限 {filing.retention}）"
            if purpose == "file"
            else f"装订卷宗草稿（第 {next_version} 版）"
        )
        db.add(
            CaseEvent(
                case_id=case.id,
                actor_id=job.requested_by,
                actor_name=principal_name,
                org_id=org.id if org else None,
                org_name=org.name if org else "",
                kind="dossier",
                summary=f"{what}，SHA-256 {stored.sha256[:12]}…",
            )
        )
        audit.record(
            db,
            "dossier.filed" if purpose == "file" else "dossier.bound",
            actor=requester,
            org=org,
            object_type="case",
            object_id=case.id,
            summary=f"{what}：{case.number}，SHA-256 {stored.sha256}",
        )


def open_correction(db: Session, principal: Principal, case: Case, *, reason: str, address: str = "") -> None:
    """Unfreeze a filed case for a correction; the filed version stays, the next filing is a new version."""
    service.require(principal, case, service.FILE_ROLES, "开启更正")
    if case.archived_at is None:
        raise Forbidden("案件尚未立卷归档，无需开启更正。")
    if not reason.strip():
        raise Invalid({"reason": "请说明更正的原因。"})
    case.archived_at = None
    record_change(
        db,
        principal,
        case,
        kind="dossier",
        event=f"开启卷宗更正：{reason.strip()[:200]}",
        action="dossier.correct",
        summary=f"开启卷宗更正（{reason.strip()[:200]}）：{case.number}",
        address=address,
    )


WORKER = f"{socket.gethostname()}:{os.getpid()}"


def _gone(worker: object) -> bool:
    """Whether the process that took a job has stopped: on this host, a pid that is ours now (a previous
    process had it) or no longer alive; a job without a worker is from before workers were recorded.
    Jobs of other hosts are theirs to recover."""
    host, _, pid = str(worker or "").rpartition(":")
    if not pid.isdigit():
        return True
    if host != socket.gethostname():
        return False
    if int(pid) == os.getpid():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def recover_interrupted(engine: Engine) -> int:
    """Jobs left queued or running by a stopped server process are marked failed, with that reason.

    Called as each worker process starts: another worker's jobs that are still running are left alone."""
    with transaction(engine) as db:
        stale = [
            job
            for job in db.exec(select(BindingJob).where(BindingJob.status.in_(["queued", "running"])))
            if _gone((job.params or {}).get("worker"))
        ]
        for job in stale:
            job.status, job.error, job.finished_at = "failed", "服务重启，装订被中断：请重新装订。", utcnow()
            db.add(job)
        return len(stale)


def wait(engine: Engine, job_id: int, timeout: float = 60) -> BindingJob:
    """For the command line and the tests: block until the job ends."""
    deadline = time.monotonic() + timeout
    while True:
        with Session(engine) as db:
            job = db.get(BindingJob, job_id)
            if job is None:
                raise LookupError(f"binding job {job_id} does not exist")
            if job.status in ("done", "failed") or time.monotonic() > deadline:
                db.expunge(job)
                return job
        time.sleep(0.1)
