"""Demo filing: a few evaluated demo cases bound and filed (立卷归档) through the real dossier services.

For each chosen case (已评价（待立卷）, one with a written agreement, one with an oral agreement, one whose
mediation failed, where the demo has them) the archivist over the handling organisation:

- adds what the pre-check (案卷评查) says the dossier lacks, as the materials upload allows until filing (the demo
  history has no files): each party's ID copy (named for its party), receipts the 履行 records name, a court's
  ruling; and uploads the signed scan of every document printed with signature lines (申请书, 登记表, 告知书, 调查
  记录, each 调解记录, 终止调解告知书, 协议书 — for a simple case the signed 四联单 instead —, 结案报告表, 回访记录)
  through `dossiers.service.upload_scan` — small generated page images;
- files through `dossiers.jobs.request_binding` + `jobs.run` (the same code the background worker runs), with
  卷名 the case title, 档号 as the rule proposes, 立卷人 the archivist, 检查人 the nearest director, 保管期限 the
  suggested term.

Idempotent: cases already filed (a filed or superseded version) count towards `count`; nothing else is changed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from datetime import time as clock_time
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from archive import samples
from archive.order import DOCUMENTS
from portal.cases import files, parties
from portal.cases.models import Case, CaseFile, CaseRecord, CaseState
from portal.db import stored_id, transaction
from portal.dossiers import jobs, service
from portal.dossiers.models import BindingJob, DossierVersion
from portal.orgs.models import Organisation
from portal.people.models import Membership, Person, Role
from portal.scope import Principal, load_principal
from portal.settings import Settings

COUNTY_NAME = "清溪县社会矛盾纠纷调处化解中心"
FILED = ("filed", "superseded")


@dataclass
class DemoFilingReport:
    filed: list[str] = field(default_factory=list)  # case numbers filed by this run
    existing: int = 0
    failed: list[str] = field(default_factory=list)  # "case number: reason"
    seconds: float = 0.0

    def summary(self) -> str:
        if not self.filed and not self.failed:
            return f"演示卷宗：已有 {self.existing} 卷立卷归档，未重复生成。"
        text = f"演示卷宗：立卷归档 {len(self.filed)} 卷（{self.seconds:.1f} 秒）：{'、'.join(self.filed)}。"
        if self.failed:
            text += f" 未能立卷：{'；'.join(self.failed)}。"
        return text


def _county(db: Session) -> Organisation | None:
    return db.exec(
        select(Organisation).where(Organisation.name == COUNTY_NAME, Organisation.parent_id.is_not(None))
    ).first()


def filed_demo_cases(db: Session) -> list[int]:
    county = _county(db)
    if county is None:
        return []
    return list(
        db.exec(
            select(Case.id)
            .join(DossierVersion, DossierVersion.case_id == Case.id)
            .where(Case.org_path.startswith(county.path), DossierVersion.status.in_(FILED))
            .distinct()
            .order_by(Case.id)
        )
    )


def _candidates(db: Session, county: Organisation, count: int) -> list[int]:
    """Evaluated cases, oldest first: the first with a written agreement, the first with an oral one, the first that
    failed, then others."""
    rows = list(
        db.exec(
            select(Case.id, Case.outcome)
            .where(
                Case.state == CaseState.EVALUATED,
                Case.archived_at.is_(None),
                Case.in_transfer == False,  # noqa: E712
                Case.org_path.startswith(county.path),
            )
            .order_by(Case.id)
        )
    )
    # few sessions bind fastest and read best: prefer cases with one mediation record
    sessions = dict(
        db.exec(
            select(CaseRecord.case_id, func.count()).where(CaseRecord.kind == "mediation").group_by(CaseRecord.case_id)
        ).all()
    )
    chosen: list[int] = []
    for outcome in ("written", "oral", "failed"):
        of_kind = [stored_id(case_id) for case_id, o in rows if o == outcome and case_id not in chosen]
        of_kind.sort(key=lambda case_id: (sessions.get(case_id, 0) > 1, case_id))
        chosen += of_kind[:1]
    chosen += [stored_id(case_id) for case_id, _ in rows if case_id not in chosen]
    return chosen[:count]


def _nearest(db: Session, case: Case, role: Role) -> Person | None:
    """The person holding `role` at the organisation nearest above (or at) the case's handling body."""
    ids = [int(p) for p in case.org_path.strip("/").split("/") if p]
    row = db.exec(
        select(Person)
        .join(Membership, Membership.person_id == Person.id)
        .join(Organisation, Organisation.id == Membership.org_id)
        .where(Membership.role == role, Organisation.id.in_(ids), Person.active == True)  # noqa: E712
        .order_by(Organisation.depth.desc(), Person.id)
    ).first()
    return row


def _add_history(
    db: Session,
    principal: Principal,
    case: Case,
    settings: Settings,
    category: str,
    name: str,
    provided_by: str = "",
    day: date | None = None,
) -> None:
    """A file the window would have uploaded at the time (the demo history has none), added as the archivist and
    dated on `day` (10:00 there), when the window would have taken it in."""
    data = samples.scan(1240, 1754, text=f"{name} {case.number}", seed=stored_id(case.id) + len(name))
    record = files.upload(
        db,
        principal,
        case,
        filename=f"{name}.jpg",
        data=data,
        doc_type=category,
        root=settings.uploads_dir,
        max_bytes=settings.upload_max_mb * 1048576,
        provided_by=provided_by,
    )
    if day is not None:
        record.uploaded_at = datetime.combine(day, clock_time(10, 0), tzinfo=ZoneInfo(settings.timezone)).astimezone(
            UTC
        )
        db.add(record)


def _complete(db: Session, principal: Principal, case: Case, settings: Settings) -> None:
    """Whatever the pre-check says the dossier lacks: each party's ID copy, the signed scan of every document printed
    with signature lines (a simple case's agreement on the signed 四联单), receipts, a court's ruling."""
    if not db.exec(
        select(CaseFile.id).where(
            CaseFile.case_id == case.id,
            CaseFile.doc_type == "当事人身份证明",
            CaseFile.removed == False,  # noqa: E712
        )
    ).first():
        for party in parties.parties_of(db, case):
            if party.role != "代理人":
                name = f"{party.name}身份证复印件"
                _add_history(db, principal, case, settings, "当事人身份证明", name, party.name, case.accepted_on)
        db.flush()
    targets = dict(service.scan_targets(db, case))
    four_part = [k for k in targets if k.startswith("quadruplicate:")]
    data = service.case_data(db, case, uploads_dir=settings.uploads_dir, with_uploads=False)
    wanted = []
    for gap in service.gaps(db, case, uploads_dir=settings.uploads_dir):
        key = gap.key
        if four_part and key.split(":")[0] in ("agreement", "oral_agreement"):
            key = four_part[0]  # the simple case closed on the 四联单: its signed stub is the agreement
        wanted.append((key, gap))
    from portal.demo_cases.scans import signed_copies  # PIL and pypdf: loaded by `portal demo`, not by `portal serve`

    printed = signed_copies(data, [k for k, _ in wanted if k.split(":")[0] in DOCUMENTS], seed=case.id)
    for n, (key, gap) in enumerate(wanted):
        if key in printed:  # printed here: the signed copy of the real document
            scan, kind = printed[key]
            name = f"{targets[key]}-签字.{'jpg' if kind == 'image/jpeg' else 'pdf'}"
        elif key in targets:  # from outside: a receipt, a court's ruling, a letter
            scan, name = (
                samples.scan(1240, 1754, text=f"{key} {case.number}", seed=stored_id(case.id) * 10 + n),
                f"{targets[key]}.jpg",
            )
        elif gap.category:
            _add_history(db, principal, case, settings, gap.category, gap.message.split("：")[0].removeprefix("缺少"))
            db.flush()
            continue
        else:
            continue
        service.upload_scan(
            db,
            principal,
            case,
            doc_key=key,
            filename=name,
            data=scan,
            root=settings.uploads_dir,
            max_bytes=settings.upload_max_mb * 1048576,
        )
        db.flush()


def _file_one(engine: Engine, settings: Settings, case_id: int) -> str:
    """Scans, pre-check and filing of one case; returns its number (raises with the reason when it cannot be filed)."""
    with transaction(engine) as db:
        case = db.get(Case, case_id)
        archivist, director = _nearest(db, case, Role.ARCHIVIST), _nearest(db, case, Role.DIRECTOR)
        if archivist is None:
            raise RuntimeError("办理机构上级没有档案员")
        principal = load_principal(db, archivist)
        _complete(db, principal, case, settings)
        retention = service.suggested_retention(db, case)
        form = jobs.FilingForm(
            title=case.title,
            filed_by=archivist.name,
            checked_by=(director or archivist).name,
            retention=retention,
            volume_number=case.number,
            notes="演示数据：签字和印章为生成的示意。",
        )
        job = jobs.request_binding(db, principal, case, settings=settings, purpose="file", form=form)
        number, job_id = case.number, job.id
    jobs.run(engine, settings, job_id)
    with Session(engine) as db:
        finished = db.get(BindingJob, job_id)
        if finished is None or finished.status != "done":
            raise RuntimeError(finished.error or finished.status if finished else f"binding job {job_id} is gone")
    return number


def file_demo_dossiers(engine: Engine, settings: Settings, *, count: int = 3) -> DemoFilingReport:
    """File up to `count` evaluated demo cases (fewer when the demo has fewer); cases already filed count."""
    started = time.perf_counter()
    report = DemoFilingReport()
    with Session(engine) as db:
        county = _county(db)
        if county is None:
            return report
        report.existing = len(filed_demo_cases(db))
        wanted = max(0, count - report.existing)
        candidates = _candidates(db, county, wanted) if wanted else []
    for case_id in candidates:
        try:
            report.filed.append(_file_one(engine, settings, case_id))
        except Exception as exc:  # noqa: BLE001 — the demo reports what it could not file and goes on
            with Session(engine) as db:
                number = db.get(Case, case_id).number
            report.failed.append(f"{number}：{exc}")
    report.seconds = time.perf_counter() - started
    return report
