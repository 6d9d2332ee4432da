"""Who may see a case and who may act on it; the timeline; the version every change bumps."""

from __future__ import annotations

from sqlalchemy import bindparam, exists, or_
from sqlmodel import Session, col, select

from portal.audit import service as audit
from portal.cases.models import Case, CaseEvent, Transfer, TransferState
from portal.db import lock, one_of, utcnow, writes
from portal.errors import Forbidden
from portal.orgs.models import Organisation
from portal.people.models import Role
from portal.scope import OutOfScope, Principal


def _transfer_conditions(principal: Principal):  # noqa: ANN202
    sent_to_us = one_of(Transfer.state, (TransferState.SENT, TransferState.ACCEPTED)) & principal.path_filter(
        Transfer.to_path
    )
    sent_by_us = (col(Transfer.state) != TransferState.AWAITING_SIGNOFF) & principal.path_filter(Transfer.from_path)
    return or_(sent_to_us, sent_by_us)


def transferred_ids(db: Session, principal: Principal) -> tuple[int, ...]:
    """The (few) cases the person reaches through transfers rather than through their subtree."""
    return tuple(sorted(set(db.exec(select(Transfer.case_id).where(_transfer_conditions(principal))).all())))


def visible_condition(
    principal: Principal,
    db: Session | None = None,
    *,
    path_column=Case.org_path,  # noqa: ANN001, ANN201
    via: tuple[int, ...] | None = None,
):
    """SQL: cases the person may see — their subtree's, those sent to it, and those it sent.

    With `db` (or the ids already looked up, `via`), the cases reached through transfers are matched by
    id, so the subtree part can use the index on `org_path` instead of a correlated subquery per row.
    """
    if db is not None or via is not None:
        via_transfer = via if via is not None else transferred_ids(db, principal)
        own = principal.path_filter(path_column)
        return or_(own, Case.id.in_(via_transfer)) if via_transfer else own

    def build():  # noqa: ANN202
        reached = exists(select(Transfer.id).where(Transfer.case_id == Case.id, _transfer_conditions(principal)))
        return or_(principal.path_filter(path_column), reached)

    return principal.condition("visible_case", build) if path_column is Case.org_path else build()


def not_found(case_id: int) -> OutOfScope:
    """The one answer for a case that does not exist and one the viewer may not see: neither is told from the other."""
    return OutOfScope("案件不存在或您无权查看。", object_type="case", object_id=case_id)


def find_case(db: Session, principal: Principal, case_id: int) -> Case | None:
    """The case if the person may see it. In a write transaction the case's row is locked first and read afresh
    (portal.db.lock): whatever the request then checks — version, state, transfers, records — is what the last
    writer left, and stays so until it commits. Every change to a case starts here."""
    statement = select(Case).where(Case.id == case_id, visible_condition(principal))
    if writes(db):
        lock(db, Case, case_id)
        statement = statement.execution_options(populate_existing=True)
    return db.exec(statement).first()


def get_case(db: Session, principal: Principal, case_id: int) -> Case:
    case = find_case(db, principal, case_id)
    if case is None:
        raise not_found(case_id)
    return case


def can_act(principal: Principal, case: Case, roles: tuple[Role, ...]) -> bool:
    """Acting on a case needs one of `roles` over the organisation handling it."""
    return principal.has_role_over(case.org_path, *roles)


FROZEN = "案件已立卷归档，卷宗已封存，不能再修改。如需更正，请档案员在卷宗页说明理由开启更正，更正后重新立卷为新版本。"


def require_act(principal: Principal, case: Case, roles: tuple[Role, ...], what: str) -> None:
    if not can_act(principal, case, roles):
        labels = "、".join(r.label for r in roles)
        raise Forbidden(f"只有办理机构的{labels}可以{what}。")
    if case.in_transfer:
        raise Forbidden("案件正在移送中，等待接收方答复，暂不能办理。")
    if case.archived_at is not None:
        raise Forbidden(FROZEN)


def acting_org(principal: Principal, case: Case) -> Organisation | None:
    """The organisation a person acts for on a case: the nearest one at or above the case where they hold a role."""
    covering = [g.org for g in principal.grants if case.org_path.startswith(g.org.path)]
    return max(covering, key=lambda o: o.depth) if covering else None


def log_event(
    db: Session, case: Case, principal: Principal | None, kind: str, summary: str, org: Organisation | None = None
) -> None:
    """One line of the timeline, with the actor's own organisation for that act (`org`, else the one they act for)."""
    org = org or (acting_org(principal, case) if principal else None) or db.get(Organisation, case.org_id)
    db.add(
        CaseEvent(
            case_id=case.id,
            actor_id=principal.person.id if principal else None,
            actor_name=principal.person.name if principal else "系统",
            org_id=org.id if org else None,
            org_name=org.name if org else "",
            kind=kind,
            summary=summary[:500],
        )
    )


# Prepared once (bound per call): the case page runs it on every view,
# and SQLAlchemy then neither rebuilds nor re-keys it.
_EVENTS = select(CaseEvent).where(CaseEvent.case_id == bindparam("case_id")).order_by(CaseEvent.at, CaseEvent.id)


def events_of(db: Session, case: Case) -> list[CaseEvent]:
    """The timeline in order."""
    return list(db.exec(_EVENTS, params={"case_id": case.id}).all())


def touch(case: Case) -> None:
    case.version += 1
    case.updated_at = utcnow()


def record_change(
    db: Session,
    principal: Principal,
    case: Case,
    *,
    kind: str,
    event: str,
    action: str,
    summary: str,
    address: str = "",
) -> None:
    """A change to a case: its version moves on (so a concurrent edit notices), the timeline says what,
    the audit trail who."""
    touch(case)
    db.add(case)
    log_event(db, case, principal, kind, event)
    audit.record(
        db,
        action,
        actor=principal.person,
        org=db.get(Organisation, case.org_id),
        object_type="case",
        object_id=case.id,
        summary=summary,
        address=address,
    )
