"""线上线下一致: where the register (the cases in the portal) and the dossiers (卷宗) disagree.

Three checks over the cases the viewer's own subtrees handle (the place of the statistics page):

- closed more than N days ago (PORTAL_DOSSIER_DUE_DAYS) and no dossier filed (立卷归档) yet;
- a filed dossier that no longer matches its case: a correction was opened and not filed again, or the case's
  timeline has entries other than the dossier's own after the filing;
- counted as 调解成功 without the record of its agreement (书面: 协议书; 口头: 口头协议登记表 or 协议书).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from portal.cases.models import Case, CaseEvent, CaseRecord
from portal.dossiers.models import DossierVersion
from portal.orgs.models import Organisation
from portal.scope import Principal
from portal.stats.dimensions import Place

SHOWN = 200  # rows per check; the count is always the whole number

_FILED, _ANY, _LATER = aliased(DossierVersion), aliased(DossierVersion), aliased(CaseEvent)
_AGREEMENT = aliased(CaseRecord)


@dataclass(frozen=True)
class Finding:
    key: str
    title: str
    explanation: str
    total: int
    rows: list  # (Case columns, organisation name)


def unfiled(today: date, days: int) -> ColumnElement[bool]:
    kept = exists(select(_ANY.id).where(_ANY.case_id == Case.id, _ANY.status.in_(["filed", "destroyed"])))
    return and_(col(Case.closed_on) < today - timedelta(days=days), Case.archived_at.is_(None), ~kept)


def changed_after_filing() -> ColumnElement[bool]:
    later = exists(
        select(_LATER.id).where(
            col(_LATER.case_id) == Case.id, col(_LATER.at) > _FILED.filed_at, _LATER.kind != "dossier"
        )
    )
    return exists(
        select(_FILED.id).where(
            _FILED.case_id == Case.id, _FILED.status == "filed", or_(Case.archived_at.is_(None), later)
        )
    )


def success_without_agreement() -> ColumnElement[bool]:
    def has(*kinds: str) -> ColumnElement[bool]:
        return exists(select(_AGREEMENT.id).where(_AGREEMENT.case_id == Case.id, _AGREEMENT.kind.in_(kinds)))

    return or_(
        and_(Case.outcome == "written", ~has("agreement")),
        and_(Case.outcome == "oral", ~has("agreement", "oral_agreement")),
    )


def check(db: Session, principal: Principal, place: Place, *, today: date, days: int) -> list[Finding]:
    """The three checks, each with its whole count and its first rows (oldest first)."""
    where = place.condition(principal, Case.org_path, Case.org_id)
    checks = [
        (
            "unfiled",
            "结案未立卷",
            f"结案已超过 {days} 天（PORTAL_DOSSIER_DUE_DAYS）仍没有立卷归档的案件。",
            unfiled(today, days),
            Case.closed_on,
        ),
        (
            "changed",
            "立卷后案件有改动",
            "已立卷归档的卷宗与案件不再一致：开启了更正尚未重新立卷，或立卷后案件时间线又有卷宗以外的记录。",
            changed_after_filing(),
            Case.closed_on,
        ),
        (
            "no_agreement",
            "调解成功缺协议",
            "计为调解成功，却没有协议书（书面协议）或口头协议登记表（口头协议）记录的案件。",
            success_without_agreement(),
            Case.concluded_on,
        ),
    ]
    found = []
    for key, title, explanation, condition, order in checks:
        total = db.scalar(select(func.count()).select_from(Case).where(where, condition)) or 0
        rows = db.exec(
            select(Case.id, Case.number, Case.title, Case.state, Case.closed_on, Case.concluded_on, Organisation.name)
            .join(Organisation, Organisation.id == Case.org_id)
            .where(where, condition)
            .order_by(order, Case.id)
            .limit(SHOWN)
        ).all()
        found.append(Finding(key, title, explanation, total, list(rows)))
    return found
