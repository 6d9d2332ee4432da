"""Routing between organisations (移送/交办/上报/下派/转办, 访调对接, 诉调对接): letter, sign-off, answer, feedback."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from portal import clock, inputs
from portal.audit import service as audit
from portal.cases import signing
from portal.cases.access import get_case, log_event, require_act, touch
from portal.cases.models import OUTCOMES, TRANSFER_KINDS, Case, CaseState, Transfer, TransferState
from portal.db import flush_once, lock, stored_id, utcnow, writes
from portal.errors import Conflict, Forbidden, Invalid
from portal.orgs import moves, ordering
from portal.orgs.models import Organisation
from portal.people.models import Role
from portal.scope import OutOfScope, Principal

SEND_ROLES = (Role.CLERK, Role.MEDIATOR, Role.DIRECTOR)
ANSWER_ROLES = signing.ANSWER_ROLES
OPEN_ALREADY = "本案已有一份待审签或待接收的移送。"
ROUTABLE = (CaseState.REGISTERED, CaseState.ACCEPTED, CaseState.INVESTIGATING)


def targets(db: Session, case: Case) -> list[tuple[int, str]]:
    """Every active organisation of the same tree: routing goes up (上报 to the city), down, sideways,
    across counties."""
    root = case.org_path.strip("/").split("/")[0]
    rows = db.exec(
        select(Organisation)
        .where(
            Organisation.path.startswith(f"/{root}/"),
            Organisation.active == True,  # noqa: E712
            Organisation.id != case.org_id,
        )
        .order_by(Organisation.depth, Organisation.sort_order, Organisation.id)
    ).all()
    return [(stored_id(o.id), "　" * o.depth + o.name) for o in rows]


def target_groups(db: Session, case: Case) -> list[tuple[str, list[tuple[str, str]]]]:
    """The targets as grouped choices: the handling body's own area first, the bodies above it, then the rest."""
    ids = [oid for oid, _ in targets(db, case)]
    found = db.exec(select(Organisation).where(Organisation.id.in_(ids))).all()
    return ordering.near_first(found, db.get(Organisation, case.org_id))


def _transfer(db: Session, transfer_id: int) -> Transfer:
    """The transfer; in a write transaction its case is locked first and the transfer read afresh (portal.db.lock),
    so two answers, sign-offs or withdrawals at once are taken one after the other."""
    transfer = db.get(Transfer, transfer_id)
    if transfer is None:
        raise OutOfScope("移送记录不存在或您无权查看。", object_type="transfer", object_id=transfer_id)
    if writes(db):
        lock(db, Case, transfer.case_id)
        db.refresh(transfer)
    return transfer


def get_transfer(db: Session, principal: Principal, transfer_id: int) -> tuple[Transfer, Case]:
    transfer = _transfer(db, transfer_id)
    return transfer, get_case(db, principal, transfer.case_id)  # the case's scope decides


def _to_answer(db: Session, principal: Principal, transfer_id: int) -> tuple[Transfer, Case]:
    """A transfer the person's organisation is to accept or return. Someone who answers for the receiver learns that
    it was answered meanwhile (409) even when that took the case out of their sight (a colleague returned it)."""
    transfer = _transfer(db, transfer_id)
    if principal.has_role_over(transfer.to_path, *ANSWER_ROLES):
        _expect(transfer, TransferState.SENT)
    return transfer, get_case(db, principal, transfer.case_id)


def create(
    db: Session,
    principal: Principal,
    case: Case,
    *,
    to_org_id: str,
    kind: str,
    letter: str,
    answer_days: int = 7,
    address: str = "",
) -> Transfer:
    """Draft the letter; it waits for the signing body's leader (cases.signing), or goes at once when there is none."""
    require_act(principal, case, SEND_ROLES, "移送案件")
    if case.state not in ROUTABLE:
        raise Forbidden(f"案件当前状态为“{case.state.label}”，不能再移送。")
    if db.exec(
        select(Transfer.id).where(
            Transfer.case_id == case.id, Transfer.state.in_([TransferState.AWAITING_SIGNOFF, TransferState.SENT])
        )
    ).first():
        raise Forbidden(OPEN_ALREADY)
    errors: dict[str, str] = {}
    target_id = inputs.id_or_none(to_org_id)
    target = db.get(Organisation, target_id) if target_id is not None else None
    if target is None or target.id not in {oid for oid, _ in targets(db, case)}:
        errors["to_org_id"] = "请选择接收机构。"
    if kind not in TRANSFER_KINDS:
        errors["kind"] = "请选择移送方式。"
    if len(letter.strip()) < 10:
        errors["letter"] = "请填写移送函正文（移送理由、案件情况、附送材料，至少 10 个字）。"
    inputs.check_text(errors, "letter", letter, label="移送函正文")
    if errors:
        raise Invalid(errors)
    sender = db.get(Organisation, case.org_id)
    signer = signing.signing_body(db, sender, target)
    transfer = Transfer(
        case_id=case.id,
        from_org_id=sender.id,
        from_path=moves.stored_path(db, sender),
        to_org_id=target.id,
        to_path=moves.stored_path(db, target),
        kind=kind,
        letter=letter.strip()[:10000],
        created_by=principal.person.id,
        signer_org_id=signer.id if signer else None,
    )
    if signer is None:  # nobody but the receiver could sign it: the letter goes at once
        _send(transfer, case, answer_days)
        _save(db, transfer, case)
    db.add(transfer)
    flush_once(db, OPEN_ALREADY)  # the database's own guard: one open transfer per case
    if signer is None:
        log_event(db, case, principal, "transfer", f"{kind}至 {target.name}（无需审签，已发出）")
    else:
        log_event(db, case, principal, "transfer", f"拟{kind}至 {target.name}，移送函待 {signer.name} 审签")
    audit.record(
        db,
        "transfer.create",
        actor=principal.person,
        org=sender,
        object_type="case",
        object_id=case.id,
        summary=f"{'拟' if signer else '发出'}{kind}：{case.number} → {target.name}",
        address=address,
    )
    return transfer


def sign_off(db: Session, principal: Principal, transfer_id: int, *, answer_days: int, address: str = "") -> Transfer:
    """审签: the signing body's leader (cases.signing) approves the letter and the case is sent."""
    transfer, case = get_transfer(db, principal, transfer_id)
    if not signing.can_sign(principal, transfer):
        raise Forbidden(_who_signs(db, transfer))
    _expect(transfer, TransferState.AWAITING_SIGNOFF)
    transfer.signed_by = principal.person.id
    _send(transfer, case, answer_days)
    _save(db, transfer, case)
    target = db.get(Organisation, transfer.to_org_id)
    signer = db.get(Organisation, transfer.signer_org_id) if transfer.signer_org_id else None
    log_event(db, case, principal, "transfer", f"移送函已审签，案件{transfer.kind}至 {target.name}", signer)
    audit.record(
        db,
        "transfer.sign_off",
        actor=principal.person,
        org=db.get(Organisation, transfer.from_org_id),
        object_type="case",
        object_id=case.id,
        summary=f"审签移送函：{case.number} → {target.name}",
        address=address,
    )
    return transfer


def _who_signs(db: Session, transfer: Transfer) -> str:
    if transfer.signer_org_id is None:
        return "移送函须由移送机构的调委会主任审签。"
    body = db.get(Organisation, transfer.signer_org_id)
    return f"移送函须由{body.name}的负责人（调委会主任或负责人）审签。"


def _send(transfer: Transfer, case: Case, answer_days: int) -> None:
    transfer.state, transfer.sent_at = TransferState.SENT, utcnow()
    transfer.answer_due_on = clock.today() + timedelta(days=answer_days)
    case.in_transfer = True


def withdraw(db: Session, principal: Principal, transfer_id: int, *, address: str = "") -> Transfer:
    transfer, case = get_transfer(db, principal, transfer_id)
    if not principal.has_role_over(transfer.from_path, *SEND_ROLES):
        raise Forbidden("只有移送机构可以撤回移送。")
    if transfer.state not in (TransferState.AWAITING_SIGNOFF, TransferState.SENT):
        raise Conflict(f"{_MEANWHILE[transfer.state]}，不能再撤回。")
    transfer.state, case.in_transfer = TransferState.WITHDRAWN, False
    _save(db, transfer, case)
    log_event(db, case, principal, "transfer", "撤回移送", db.get(Organisation, transfer.from_org_id))
    audit.record(
        db,
        "transfer.withdraw",
        actor=principal.person,
        org=db.get(Organisation, transfer.from_org_id),
        object_type="case",
        object_id=case.id,
        summary=f"撤回移送：{case.number}",
        address=address,
    )
    return transfer


def accept(db: Session, principal: Principal, transfer_id: int, *, address: str = "") -> Transfer:
    """The receiver takes the case over: it now handles it; the sender keeps read access."""
    transfer, case = _to_answer(db, principal, transfer_id)
    _require_receiver(principal, transfer)
    _expect(transfer, TransferState.SENT)
    receiver = db.get(Organisation, transfer.to_org_id)
    transfer.state, transfer.answered_by, transfer.answered_at = TransferState.ACCEPTED, principal.person.id, utcnow()
    case.in_transfer, case.org_id, case.org_path = False, stored_id(receiver.id), moves.stored_path(db, receiver)
    _save(db, transfer, case)
    log_event(db, case, principal, "transfer", f"{receiver.name} 接收移送的案件", receiver)
    audit.record(
        db,
        "transfer.accept",
        actor=principal.person,
        org=receiver,
        object_type="case",
        object_id=case.id,
        summary=f"接收移送：{case.number}",
        address=address,
    )
    return transfer


def return_(db: Session, principal: Principal, transfer_id: int, *, reason: str, address: str = "") -> Transfer:
    """The receiver sends the case back with a written reason; the sender handles it again."""
    transfer, case = _to_answer(db, principal, transfer_id)
    _require_receiver(principal, transfer)
    _expect(transfer, TransferState.SENT)
    if len(reason.strip()) < 4:
        raise Invalid({"reason": "退回须写明理由（至少 4 个字）。"})
    if problem := inputs.refusal(reason):
        raise Invalid({"reason": "退回理由" + problem})
    receiver = db.get(Organisation, transfer.to_org_id)
    transfer.state, transfer.answered_by, transfer.answered_at = TransferState.RETURNED, principal.person.id, utcnow()
    transfer.answer_reason, case.in_transfer = reason.strip()[:2000], False
    _save(db, transfer, case)
    transfer.answered_version = case.version  # in the sender's 被退回 queue until the case moves on
    log_event(db, case, principal, "transfer", f"{receiver.name} 退回移送：{transfer.answer_reason}", receiver)
    audit.record(
        db,
        "transfer.return",
        actor=principal.person,
        org=receiver,
        object_type="case",
        object_id=case.id,
        summary=f"退回移送：{case.number}",
        address=address,
    )
    return transfer


def inbound(db: Session, case: Case) -> list[Transfer]:
    """Accepted transfers that brought the case to where it is now (the bodies owed feedback)."""
    return list(
        db.exec(select(Transfer).where(Transfer.case_id == case.id, Transfer.state == TransferState.ACCEPTED)).all()
    )


def feed_back(db: Session, case: Case) -> None:
    """On closure, the result goes back to every body that sent the case (e.g. the 信访局)."""
    outcome = OUTCOMES.get(case.outcome or "", "已结案")
    for transfer in inbound(db, case):
        if transfer.fed_back_at is None:
            transfer.feedback, transfer.fed_back_at = f"案件 {case.number} 已结案，结果：{outcome}。", utcnow()
            db.add(transfer)
            sender = db.get(Organisation, transfer.from_org_id)
            log_event(db, case, None, "feedback", f"结果已反馈给 {sender.name}：{outcome}")


def return_materials(db: Session, case: Case) -> None:
    """A refused case that came by transfer: its materials go back to the sender, who is told why."""
    for transfer in inbound(db, case):
        transfer.feedback, transfer.fed_back_at = f"案件 {case.number} 不予受理，材料已退回。", utcnow()
        db.add(transfer)
        sender = db.get(Organisation, transfer.from_org_id)
        log_event(db, case, None, "feedback", f"不予受理，材料已退回 {sender.name}")


def _require_receiver(principal: Principal, transfer: Transfer) -> None:
    if not principal.has_role_over(transfer.to_path, *ANSWER_ROLES):
        raise Forbidden("只有接收机构的受理员、调委会主任或负责人可以接收或退回。")


_MEANWHILE = {
    TransferState.AWAITING_SIGNOFF: "该移送函尚待审签",
    TransferState.SENT: "该移送函已审签发出",
    TransferState.ACCEPTED: "该移送已被接收",
    TransferState.RETURNED: "该移送已被退回",
    TransferState.WITHDRAWN: "该移送已被移送机构撤回",
}


def _expect(transfer: Transfer, state: TransferState) -> None:
    if transfer.state != state:
        raise Conflict(f"{_MEANWHILE[transfer.state]}，请刷新页面查看最新状态。")


def _save(db: Session, transfer: Transfer, case: Case) -> None:
    touch(case)
    db.add(transfer)
    db.add(case)
