"""The transfer queues of a person's bodies — 待审签, 待接收, 被退回, 答复逾期 — counted for the workspace and listed,
filtered and paginated, on /transfers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, or_, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from portal.audit import service as audit
from portal.cases import areas, signing, transfers
from portal.cases.access import log_event
from portal.cases.models import TRANSFER_KINDS, Case, Transfer, TransferState
from portal.db import utcnow
from portal.errors import Conflict, Forbidden
from portal.orgs.models import Organisation
from portal.paging import Page
from portal.people.models import Role
from portal.scope import Principal

SEND_ROLES = (Role.CLERK, Role.MEDIATOR, Role.DIRECTOR)  # who drafts letters and takes a returned case up again

QUEUES = {
    "sign": "待审签",
    "inbox": "待接收",
    "returned": "被退回",
    "overdue": "答复逾期",
    "sent": "本机构发出",
    "received": "本机构收到",
}


Desk = tuple[Callable, Callable]  # the person's own areas for answering and for sending (cases.areas)


def desk_of(db: Session, principal: Principal) -> Desk:
    return areas.own_area(db, principal, signing.ANSWER_ROLES), areas.own_area(db, principal, SEND_ROLES)


def queue_condition(db: Session, principal: Principal, queue: str, today: date, desk: Desk | None = None):  # noqa: ANN201
    """SQL over Transfer joined to its Case: the transfers of one queue. The working queues hold what lands on the
    person's own desk (cases.areas): a township's clerk answers for its villages without one, not for the others."""
    if queue == "sign":
        return (Transfer.state == TransferState.AWAITING_SIGNOFF) & signing.to_sign_condition(principal)
    if queue == "sent":
        return principal.path_filter(Transfer.from_path)
    if queue == "received":
        return (col(Transfer.state) != TransferState.AWAITING_SIGNOFF) & principal.path_filter(Transfer.to_path)
    answering, sending = desk or desk_of(db, principal)
    answers, sends = answering(Transfer.to_path), sending(Transfer.from_path)
    if queue == "inbox":
        return (Transfer.state == TransferState.SENT) & answers
    if queue == "returned":  # until the sender acts on the case (every change moves its version on)
        return (Transfer.state == TransferState.RETURNED) & sends & (Case.version == Transfer.answered_version)
    if queue == "overdue":  # unanswered past the deadline: the receiver's to answer, the sender's to chase
        return (col(Transfer.state) == TransferState.SENT) & (col(Transfer.answer_due_on) < today) & or_(answers, sends)
    return visible(principal)


def visible(principal: Principal):  # noqa: ANN201
    """Transfers the person may list: those of their bodies' letters, and those sent to their bodies."""
    return or_(
        principal.path_filter(Transfer.from_path),
        (col(Transfer.state) != TransferState.AWAITING_SIGNOFF) & principal.path_filter(Transfer.to_path),
    )


def counts(db: Session, principal: Principal, today: date) -> dict[str, int]:
    """The four working queues' sizes, each only for a person who works it (None otherwise)."""
    works = {
        "sign": bool(principal.roots(*signing.LEADER_ROLES)),
        "inbox": bool(principal.roots(*signing.ANSWER_ROLES)),
        "returned": bool(principal.roots(*SEND_ROLES)),
        "overdue": bool(principal.roots(*signing.ANSWER_ROLES, *SEND_ROLES)),
    }
    out: dict[str, int] = {}
    desk = desk_of(db, principal)
    for queue, shown in works.items():
        if shown:
            out[queue] = db.exec(
                select(func.count())
                .select_from(Transfer)
                .join(Case, Case.id == Transfer.case_id)
                .where(queue_condition(db, principal, queue, today, desk))
            ).one()
    return out


@dataclass
class TransferFilter:
    queue: str = ""
    kind: str = ""
    state: str = ""
    q: str = ""


_FROM, _TO = aliased(Organisation), aliased(Organisation)


def listing(db: Session, principal: Principal, flt: TransferFilter, *, today: date, page: int, size: int) -> Page:
    """Rows of (Transfer, Case, sender, receiver), newest first; filtered before they are counted and paginated."""
    conditions = [visible(principal)]
    if flt.queue in QUEUES:
        conditions.append(queue_condition(db, principal, flt.queue, today))
    if flt.kind in TRANSFER_KINDS:
        conditions.append(Transfer.kind == flt.kind)
    if flt.state in TransferState._value2member_map_:
        conditions.append(Transfer.state == TransferState(flt.state))
    if flt.q:
        conditions.append(
            or_(Case.number.contains(flt.q, autoescape=True), Case.title.contains(flt.q, autoescape=True))
        )
    base = select(Transfer.id).join(Case, Case.id == Transfer.case_id).where(and_(*conditions))
    total = db.exec(select(func.count()).select_from(base.subquery())).one()
    order = (
        (Transfer.sent_at, Transfer.id)  # oldest first: the one waiting longest is answered first
        if flt.queue in ("inbox", "overdue")
        else (Transfer.created_at.desc(), Transfer.id.desc())
    )
    rows = db.exec(
        select(Transfer, Case, _FROM, _TO)
        .join(Case, Case.id == Transfer.case_id)
        .join(_FROM, _FROM.id == Transfer.from_org_id)
        .join(_TO, _TO.id == Transfer.to_org_id)
        .where(and_(*conditions))
        .order_by(*order)
        .offset((page - 1) * size)
        .limit(size)
    ).all()
    return Page(list(rows), total, page, size)


def resume(db: Session, principal: Principal, transfer_id: int, *, address: str = "") -> Transfer:
    """The sender takes a returned case up again (本机构继续办理): it leaves the 被退回 queue.

    The case's version moves on only if it is still the one the return left (a conditional UPDATE), so of two
    people pressing at once one is told it is done already."""
    transfer, case = transfers.get_transfer(db, principal, transfer_id)
    if not principal.has_role_over(transfer.from_path, *SEND_ROLES):
        raise Forbidden("只有移送机构的受理员、调解员或调委会主任可以处理被退回的移送。")
    moved = db.execute(
        update(Case)
        .where(Case.id == case.id, Case.version == transfer.answered_version)
        .values(version=Case.version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if transfer.state != TransferState.RETURNED or moved.rowcount != 1:  # a return is final: only the case can move
        raise Conflict("该退回已处理或案件已有新进展，请刷新页面查看最新状态。")
    db.expire(case)
    sender = db.get(Organisation, transfer.from_org_id)
    log_event(db, case, principal, "transfer", f"收到退回（{transfer.answer_reason}），本机构继续办理", sender)
    audit.record(
        db,
        "transfer.resume",
        actor=principal.person,
        org=sender,
        object_type="case",
        object_id=case.id,
        summary=f"被退回的移送继续办理：{case.number}",
        address=address,
    )
    return transfer
