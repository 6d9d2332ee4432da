"""Claims (补贴申报): one per case once it is filed, its shares among the case's mediators, and the approval chain
调委会主任 → 司法所 → 司法局, each step able to change the grade with a reason or refuse.

Filing (立卷归档) is the review here: a dossier is filed only when the 案卷评查 pre-check finds nothing missing
(portal.dossiers.jobs), so "filed" is "passed review". Who decides each step:
- 调委会主任: a director over the case's organisation;
- 司法所: a 督导 whose body sits at township tier and reads the case (skipped when no township body supervises it);
- 司法局: a 督导 whose body sits at county or city tier and reads the case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlmodel import Session, col, select

from portal import inputs
from portal.audit import service as audit
from portal.cases import access
from portal.cases.models import Case, CaseMediator, CaseRecord
from portal.db import flush_once, utcnow
from portal.dossiers.models import DossierVersion
from portal.errors import Conflict, Forbidden, Invalid
from portal.orgs.models import Organisation, OrgKind, Supervision, Tier
from portal.people.models import Person, Role
from portal.scope import Principal
from portal.subsidies import money, tariffs
from portal.subsidies.models import (
    GRADES,
    STEP_LABELS,
    Claim,
    ClaimShare,
    ClaimState,
    ClaimStep,
    Tariff,
    TariffRate,
)
from portal.subsidies.reading import get_claim, shares_of

DUPLICATE = "本案已申报过个案补贴：一个案件只能申报一次，不能重复补贴。"
TAKEN = "该补贴申报刚刚已由他人审核。请刷新页面查看最新状态。"
STEPS = {ClaimState.DIRECTOR: "director", ClaimState.OFFICE: "office", ClaimState.BUREAU: "bureau"}
OUTCOME_LABELS = {"written": "书面协议", "oral": "口头协议", "failed": "调解不成"}


def is_filed(db: Session, case_id: int) -> bool:
    """Whether the case's dossier is filed: it passed the 案卷评查 pre-check (filing requires it)."""
    found = db.exec(
        select(DossierVersion.id).where(DossierVersion.case_id == case_id, DossierVersion.status == "filed")
    ).first()
    return found is not None


def is_performed(db: Session, case_id: int) -> bool:
    """The agreement was performed in full: the latest 履行情况 record says so, or else the latest 回访记录."""
    for kind, key in (("performance", "status"), ("followup", "performance")):
        latest = db.exec(
            select(CaseRecord)
            .where(CaseRecord.case_id == case_id, CaseRecord.kind == kind)
            .order_by(CaseRecord.created_at.desc(), CaseRecord.id.desc())
        ).first()
        if latest is not None and latest.fields.get(key) in ("全部履行", "部分履行", "未履行"):
            return latest.fields[key] == "全部履行"
    return False


@dataclass
class Terms:
    """What a case may claim under the tariff that applies to it, or why it may not."""

    tariff: Tariff | None
    ratio: Decimal
    problems: list[str]


def terms(db: Session, case: Case) -> Terms:
    org = db.get(Organisation, case.org_id)
    day = case.concluded_on or case.closed_on or case.received_on
    tariff = tariffs.applicable(db, org, day) if org else None
    problems: list[str] = []
    ratio = Decimal(1)
    if db.exec(select(Claim.id).where(Claim.case_id == case.id)).first() is not None:
        problems.append(DUPLICATE)
    if not is_filed(db, case.id):
        problems.append("卷宗尚未通过案卷评查并立卷归档，立卷后方可申报。")
    if tariff is None:
        problems.append(f"{day} 时没有适用于本案的补贴标准。")
        return Terms(None, ratio, problems)
    if case.outcome == "oral":
        ratio = tariff.oral_ratio
    elif case.outcome == "failed":
        if tariff.failed_ratio is None:
            problems.append("调解不成的案件按现行补贴标准不予补贴。")
        else:
            ratio = tariff.failed_ratio
    elif case.outcome != "written":
        problems.append("案件尚未调结。")
    if tariff.require_performed and case.outcome in ("written", "oral") and not is_performed(db, case.id):
        problems.append("补贴标准要求协议已全部履行，本案的履行情况或回访记录未载明“全部履行”。")
    if not db.exec(select(CaseMediator.id).where(CaseMediator.case_id == case.id)).first():
        problems.append("案件没有登记调解员，无法按“谁调解补助谁”分配补贴。")
    return Terms(tariff, ratio, problems)


def needs_office(db: Session, org: Organisation) -> bool:
    """Whether a 司法所 (a township-tier body) supervises the organisation or one above it."""
    found = db.exec(
        select(Supervision.id)
        .join(Organisation, Organisation.id == Supervision.org_id)
        .where(
            Supervision.supervised_id.in_([*org.ancestor_ids, org.id]),
            Organisation.tier == Tier.TOWNSHIP,
            Organisation.kind == OrgKind.JUSTICE_OFFICE,
        )
    ).first()
    return found is not None


def _tier_of(grant) -> Tier:  # noqa: ANN001
    return (grant.via or grant.org).tier


def can_decide(principal: Principal, claim: Claim, case: Case) -> bool:
    """Whether the person takes the claim's current step."""
    step = STEPS.get(claim.state)
    if step == "director":
        return principal.has_role_over(case.org_path, Role.DIRECTOR)
    tiers = (Tier.TOWNSHIP,) if step == "office" else (Tier.COUNTY, Tier.CITY) if step == "bureau" else ()
    return any(
        g.role is Role.SUPERVISOR and case.org_path.startswith(g.path) and _tier_of(g) in tiers
        for g in principal.grants
    )


def _rate(db: Session, tariff_id: int, grade: str) -> Decimal:
    amount = db.exec(select(col(TariffRate.amount)).where(TariffRate.tariff_id == tariff_id, TariffRate.grade == grade))
    return Decimal(amount.one())


def _grade(raw: str) -> str:
    if raw not in GRADES:
        raise Invalid({"grade": "请选择难易程度。"})
    return raw


def _reason(raw: str, *, label: str = "理由") -> str:
    try:
        return inputs.text(raw, label=label, max_length=500)
    except inputs.BadInput as exc:
        raise Invalid({"reason": exc.message}) from exc


def _share_out(db: Session, claim: Claim, mediators: list[tuple[int, str]]) -> None:
    for (person_id, name), amount in zip(mediators, money.split(claim.amount, len(mediators)), strict=True):
        db.add(ClaimShare(claim_id=claim.id, person_id=person_id, person_name=name, amount=amount))


def _reshare(db: Session, claim: Claim) -> None:
    shares = shares_of(db, claim)
    for share, amount in zip(shares, money.split(claim.amount, len(shares)), strict=True):
        share.amount = amount
        db.add(share)


def create(db: Session, principal: Principal, case_id: int, *, grade: str, note: str = "", address: str = "") -> Claim:
    """Claim the subsidy of a filed case: proposed grade, amount by the tariff, shares among its mediators."""
    case = access.get_case(db, principal, case_id)  # locks the case row: two claims of one case queue here
    mediators = [
        (p.id, p.name)
        for _m, p in db.exec(
            select(CaseMediator, Person)
            .join(Person, Person.id == CaseMediator.person_id)
            .where(CaseMediator.case_id == case.id)
            .order_by(CaseMediator.lead.desc(), CaseMediator.id)
        ).all()
    ]
    if principal.person.id not in {pid for pid, _ in mediators} and not principal.has_role_over(
        case.org_path, Role.DIRECTOR
    ):
        raise Forbidden("个案补贴由本案的调解员或调委会主任申报。")
    found = terms(db, case)
    if DUPLICATE in found.problems:
        raise Conflict(DUPLICATE)
    if found.problems or found.tariff is None:
        raise Invalid({"case_id": "；".join(found.problems)}, "本案暂不能申报个案补贴。")
    grade = _grade(grade)
    note = _reason(note, label="申报说明")
    tariff = found.tariff
    base = _rate(db, tariff.id, grade)
    org = db.get(Organisation, case.org_id)
    claim = Claim(
        case_id=case.id,
        tariff_id=tariff.id,
        payer_id=tariff.org_id,
        outcome=case.outcome or "",
        grade=grade,
        proposed_grade=grade,
        base_amount=base,
        ratio=found.ratio,
        amount=money.claim_amount(base, found.ratio),
        needs_office=needs_office(db, org),
        note=note,
        created_by=principal.person.id,
    )
    db.add(claim)
    flush_once(db, DUPLICATE)  # the unique case_id decides, whatever the locks above did
    _share_out(db, claim, mediators)
    db.flush()
    audit.record(
        db,
        "subsidy.claim",
        actor=principal.person,
        org=org,
        object_type="subsidy_claim",
        object_id=claim.id,
        summary=f"申报个案补贴：{case.number}，{GRADES[grade]}，{money.yuan(claim.amount)} 元",
        changes={"grade": [None, grade], "amount": [None, str(claim.amount)], "case": [None, case.number]},
        address=address,
    )
    return claim


def decide(
    db: Session,
    principal: Principal,
    claim_id: int,
    *,
    decision: str,
    grade: str,
    reason: str,
    version: str,
    today: date,
    address: str = "",
) -> Claim:
    """Take the claim's current step: approve (possibly at another grade, with a reason) or refuse (with one)."""
    claim, case = get_claim(db, principal, claim_id, locked=True)
    step = STEPS.get(claim.state)
    if step is None:
        raise Conflict(f"该申报已审核完毕（{claim.state.label}）。")
    if str(claim.version) != version.strip():
        raise Conflict(TAKEN)
    if not can_decide(principal, claim, case):
        raise Forbidden(f"该申报现在{claim.state.label}，您不能办理这一步。")
    if decision not in ("approve", "refuse"):
        raise Invalid({"decision": "请选择同意或不予补贴。"})
    reason = _reason(reason)
    before = {"state": claim.state, "grade": claim.grade, "amount": claim.amount}
    new_grade = claim.grade
    if decision == "refuse":
        if not reason:
            raise Invalid({"reason": "不予补贴须说明理由。"})
        claim.state = ClaimState.REFUSED
    else:
        new_grade = _grade(grade)
        if new_grade != claim.grade and not reason:
            raise Invalid({"reason": "调整难易程度须说明理由。"})
        if new_grade != claim.grade:
            claim.grade = new_grade
            claim.base_amount = _rate(db, claim.tariff_id, new_grade)
            claim.amount = money.claim_amount(claim.base_amount, claim.ratio)
            _reshare(db, claim)
        if step == "director":
            claim.state = ClaimState.OFFICE if claim.needs_office else ClaimState.BUREAU
        elif step == "office":
            claim.state = ClaimState.BUREAU
        else:
            claim.state, claim.approved_on = ClaimState.APPROVED, today
    db.add(
        ClaimStep(
            claim_id=claim.id,
            step=step,
            decision=decision,
            grade_from=before["grade"],
            grade_to=new_grade,
            amount=claim.amount,
            reason=reason,
            actor_id=principal.person.id,
            actor_name=principal.person.name,
        )
    )
    flush_once(db, TAKEN)
    claim.version += 1
    claim.updated_at = utcnow()
    db.add(claim)
    db.flush()
    label = STEP_LABELS[step]
    verdict = "不予补贴" if decision == "refuse" else "同意"
    audit.record(
        db,
        "subsidy.refuse" if decision == "refuse" else "subsidy.approve",
        actor=principal.person,
        org=db.get(Organisation, case.org_id),
        object_type="subsidy_claim",
        object_id=claim.id,
        summary=f"{label}：{case.number}，{verdict}，{GRADES[claim.grade]}，{money.yuan(claim.amount)} 元"
        + (f"（{reason}）" if reason else ""),
        changes=audit.diff(before, {"state": claim.state, "grade": claim.grade, "amount": claim.amount}),
        address=address,
    )
    return claim
