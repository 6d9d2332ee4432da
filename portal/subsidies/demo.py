"""Demo subsidies: the 司法局's tariff, a claim for each filed demo case driven through the real services by the
people who would act, one month's batch paid. Idempotent: nothing is done when the 司法局 already has a tariff."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from portal import clock
from portal.cases.models import Case, CaseMediator
from portal.db import transaction
from portal.dossiers.models import DossierVersion
from portal.errors import DomainError
from portal.orgs.models import Organisation
from portal.people.models import Membership, Person, Role
from portal.scope import Principal, load_principal
from portal.subsidies import batches, claims, tariffs
from portal.subsidies.models import Claim, ClaimState, Tariff

BUREAU = "清溪县司法局"
# Grades the mediators propose, and how far each claim goes: "paid", "bureau" (awaiting the 司法局), "refused".
PLAN = [("general", "paid"), ("difficult", "bureau"), ("simple", "refused")]


@dataclass
class DemoSubsidyReport:
    claims: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    existing: bool = False

    def summary(self) -> str:
        if self.existing:
            return "演示补贴：已有补贴标准，未重复生成。"
        text = f"演示补贴：补贴标准 1 份，申报 {len(self.claims)} 件（{'；'.join(self.claims)}）。"
        return text + (f" 未能申报：{'；'.join(self.skipped)}。" if self.skipped else "")


def _principal(db: Session, username: str) -> Principal:
    return load_principal(db, db.exec(select(Person).where(Person.username == username)).one())


def _deciders(db: Session) -> list[Principal]:
    rows = db.exec(
        select(Person)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.role.in_((Role.DIRECTOR, Role.SUPERVISOR)), Person.active == True)  # noqa: E712
        .distinct()
        .order_by(Person.id)
    ).all()
    return [load_principal(db, p) for p in rows]


def build_demo_subsidies(engine: Engine) -> DemoSubsidyReport:
    report = DemoSubsidyReport()
    today = clock.today()
    with transaction(engine) as db:
        bureau = db.exec(select(Organisation).where(Organisation.name == BUREAU)).first()
        if bureau is None:
            return report
        if db.exec(select(Tariff.id).where(Tariff.org_id == bureau.id)).first() is not None:
            report.existing = True
            return report
        form = tariffs.TariffForm(
            org_id=str(bureau.id),
            effective_from=date(today.year - 1, 1, 1).isoformat(),
            rate_simple="100",
            rate_general="200",
            rate_difficult="400",
            rate_major="800",
            oral_ratio="0.5",
            failed_ratio="0.3",
            yearly_cap="3000",
            note="以案定补：简易 100 元、一般 200 元、疑难 400 元、重大 800 元；口头协议按五成、调解不成按三成补贴。",
        )
        tariffs.create(db, _principal(db, "qx.admin"), form, today=today)
        filed = db.exec(
            select(Case).join(DossierVersion, DossierVersion.case_id == Case.id).where(DossierVersion.status == "filed")
        ).all()
        deciders = _deciders(db)
        for case, (grade, goal) in zip(sorted(filed, key=lambda c: c.id or 0), PLAN, strict=False):
            lead = db.exec(
                select(Person)
                .join(CaseMediator, CaseMediator.person_id == Person.id)
                .where(CaseMediator.case_id == case.id)
                .order_by(CaseMediator.lead.desc(), CaseMediator.id)
            ).first()
            if lead is None:
                report.skipped.append(f"{case.number}：无调解员")
                continue
            try:
                claim = claims.create(db, load_principal(db, lead), case.id, grade=grade, note="演示申报")
                _advance(db, deciders, claim, case, goal, today)
            except DomainError as exc:
                report.skipped.append(f"{case.number}：{exc.message}")
                continue
            report.claims.append(f"{case.number} {db.get(Claim, claim.id).state.label}")
        if db.exec(select(Claim.id).where(Claim.payer_id == bureau.id, Claim.state == ClaimState.APPROVED)).first():
            supervisor = _principal(db, "sfj.supervisor")
            batch = batches.make(db, supervisor, bureau.id, today.strftime("%Y-%m"))
            batches.mark_paid(db, supervisor, batch.id, version=str(batch.version), today=today)
    return report


def _advance(db: Session, deciders: list[Principal], claim: Claim, case: Case, goal: str, today: date) -> None:
    """Take the claim's steps until it reaches `goal`: all three, all but the 司法局's, or a refusal at the first."""
    while claim.state.value in claims.STEPS:
        if goal == "bureau" and claim.state.value == "bureau":
            return
        who = next((p for p in deciders if claims.can_decide(p, claim, case)), None)
        if who is None:
            return
        refuse = goal == "refused"
        claim = claims.decide(
            db,
            who,
            claim.id,
            decision="refuse" if refuse else "approve",
            grade=claim.grade,
            reason="协议尚有部分未履行，待履行完毕后另行报审。" if refuse else "",
            version=str(claim.version),
            today=today,
        )
