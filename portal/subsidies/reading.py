"""Reading claims: who sees which (directors, 负责人, 督导 and administrators over the case; a mediator their own), the
list and its counts, the cases one may still claim, a claim's shares and steps."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, or_, select

from portal.cases import access
from portal.cases.models import Case, CaseMediator
from portal.db import lock
from portal.dossiers.models import DossierVersion
from portal.orgs.models import Organisation
from portal.people.models import Role
from portal.scope import OutOfScope, Principal
from portal.subsidies.models import Claim, ClaimShare, ClaimState, ClaimStep

VIEW_ROLES = (Role.DIRECTOR, Role.HEAD, Role.SUPERVISOR, Role.ADMIN)


_OWN = aliased(ClaimShare)  # queries that select shares themselves must not correlate this one


def _mine(principal: Principal):  # noqa: ANN202
    return exists(select(_OWN.id).where(_OWN.claim_id == Claim.id, _OWN.person_id == principal.person.id))


def visible_condition(principal: Principal):  # noqa: ANN201
    """SQL over Claim joined to Case: the claims of cases under the person's directors', 督导's and administrators'
    roles, and a mediator's own claims (those with a share of theirs)."""
    return or_(principal.path_filter(Case.org_path, *VIEW_ROLES), _mine(principal))


def get_claim(db: Session, principal: Principal, claim_id: int, *, locked: bool = False) -> tuple[Claim, Case]:
    if locked:
        lock(db, Claim, claim_id)
    statement = (
        select(Claim, Case)
        .join(Case, Case.id == Claim.case_id)
        .where(Claim.id == claim_id, visible_condition(principal))
    )
    if locked:
        statement = statement.execution_options(populate_existing=True)
    row = db.exec(statement).first()
    if row is None:
        raise OutOfScope("补贴申报不存在或您无权查看。", object_type="subsidy_claim", object_id=claim_id)
    return row[0], row[1]


@dataclass
class ClaimFilter:
    state: ClaimState | None = None
    org_id: int | None = None


def list_claims(db: Session, principal: Principal, flt: ClaimFilter, *, limit: int = 200) -> list[tuple]:
    """(claim, case, organisation) rows the person may see, newest first."""
    query = (
        select(Claim, Case, Organisation)
        .join(Case, Case.id == Claim.case_id)
        .join(Organisation, Organisation.id == Case.org_id)
        .where(visible_condition(principal))
    )
    if flt.state is not None:
        query = query.where(Claim.state == flt.state)
    if flt.org_id is not None:
        org = principal.visible_org(db, flt.org_id)
        query = query.where(col(Case.org_path).startswith(org.path, autoescape=True))
    return [tuple(r) for r in db.exec(query.order_by(Claim.created_at.desc(), Claim.id.desc()).limit(limit)).all()]


def counts(db: Session, principal: Principal) -> dict[str, int]:
    rows = db.exec(
        select(Claim.state, func.count())
        .join(Case, Case.id == Claim.case_id)
        .where(visible_condition(principal))
        .group_by(Claim.state)
    ).all()
    found = dict(rows)
    return {s.value: found.get(s, 0) for s in ClaimState}


def claimable_cases(db: Session, principal: Principal, *, limit: int = 50) -> list[Case]:
    """Filed cases without a claim that the person may claim for: their own as a mediator, or under their direction."""
    mine = exists(
        select(CaseMediator.id).where(CaseMediator.case_id == Case.id, CaseMediator.person_id == principal.person.id)
    )
    query = (
        select(Case)
        .where(
            access.visible_condition(principal),
            or_(mine, principal.path_filter(Case.org_path, Role.DIRECTOR)),
            exists(
                select(DossierVersion.id).where(DossierVersion.case_id == Case.id, DossierVersion.status == "filed")
            ),
            ~exists(select(Claim.id).where(Claim.case_id == Case.id)),
        )
        .order_by(Case.closed_on.desc(), Case.id.desc())
        .limit(limit)
    )
    return list(db.exec(query).all())


def shares_of(db: Session, claim: Claim) -> list[ClaimShare]:
    return list(db.exec(select(ClaimShare).where(ClaimShare.claim_id == claim.id).order_by(ClaimShare.id)).all())


def steps_of(db: Session, claim: Claim) -> list[ClaimStep]:
    return list(db.exec(select(ClaimStep).where(ClaimStep.claim_id == claim.id).order_by(ClaimStep.at)).all())
