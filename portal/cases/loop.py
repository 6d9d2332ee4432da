"""Moving a case through the loop: transitions with their records, free records, mediators."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import bindparam
from sqlmodel import Session, select

from portal import clock, inputs
from portal.audit import service as audit
from portal.cases import transfers
from portal.cases.access import log_event, record_change, require_act, touch
from portal.cases.models import Case, CaseMediator, CaseRecord, CaseState, Party
from portal.cases.parties import parties_of
from portal.cases.record_kinds import FREE_RECORDS, RECORD_KINDS, FieldSpec, RecordKind
from portal.cases.states import TRANSITIONS, Transition
from portal.errors import Conflict, Forbidden, Invalid
from portal.experts import service as experts_service
from portal.orgs.models import Organisation
from portal.people.models import Person, Role
from portal.scope import Principal

ASSIGN_ROLES = (Role.CLERK, Role.DIRECTOR)


@dataclass
class Deadlines:
    mediation_days: int = 30
    followup_days: int = 7


def clean_fields(
    kind: RecordKind,
    data: dict,
    errors: dict[str, str],
    *,
    not_before: tuple[date, str] | None = None,
    experts: dict[int, str] | None = None,
) -> dict:
    """The record's fields from a posted form, checked against the kind's spec.

    `not_before` (a date and its name) keeps record dates in order with the case: nothing is held,
    signed or closed before the case was received (or, for a closure, accepted). `experts` (id →
    label) are the 专家库 entries the person may cite; without it (a ledger import) an experts
    field is kept as the text it came with.
    """
    values: dict = {}
    for spec in kind.fields:
        if spec.type == "experts" and experts is not None:
            _clean_experts(spec, data.get(spec.name), experts, values, errors)
            continue
        raw = str(data.get(spec.name, "")).strip()
        if not raw:
            if spec.required:
                errors[spec.name] = f"请填写{spec.label}。"
            values[spec.name] = ""
            continue
        reason = inputs.refusal(raw)
        if reason:
            errors[spec.name] = spec.label + reason
            continue
        if spec.type == "date":
            try:
                day = inputs.day(raw, label=spec.label, latest=date.max)  # later than today: said below
            except inputs.BadInput as exc:
                errors[spec.name] = exc.message
                continue
            if day > clock.today():
                errors[spec.name] = f"{spec.label}不能晚于今天。"
            elif not_before and day < not_before[0]:
                errors[spec.name] = f"{spec.label}不能早于本案的{not_before[1]}（{not_before[0].isoformat()}）。"
        elif spec.type == "int":
            try:
                raw = str(inputs.integer(raw, label=spec.label))
            except inputs.BadInput as exc:
                errors[spec.name] = exc.message
        elif spec.type == "select" and raw not in spec.options:
            errors[spec.name] = f"请选择{spec.label}。"
        values[spec.name] = raw[:5000]
    return values


def _clean_experts(
    spec: FieldSpec, posted: object, experts: dict[int, str], values: dict, errors: dict[str, str]
) -> None:
    """Experts cited by id: kept as their labels (for documents and search) and their ids."""
    raw = posted if isinstance(posted, list) else [posted] if posted not in (None, "") else []
    ids: list[int] = []
    for item in raw:
        expert_id = inputs.id_or_none(item)
        if expert_id is None or expert_id not in experts:
            errors[spec.name] = "请从专家库中选择专家。"
            return
        if expert_id not in ids:
            ids.append(expert_id)
    if spec.required and not ids:
        errors[spec.name] = f"请选择{spec.label}。"
    values[spec.name] = "、".join(experts[i] for i in ids)
    if ids:
        values[f"{spec.name}_ids"] = ids


def expert_choices(db: Session, principal: Principal, kind: RecordKind | None) -> dict[int, str] | None:
    """The experts `principal` may cite, when `kind` has an experts field (else None)."""
    if kind is None or not any(spec.type == "experts" for spec in kind.fields):
        return None
    return dict(experts_service.choices(db, principal))


def _earliest(case: Case, kind: str) -> tuple[date, str]:
    """The earliest date a record of `kind` may carry in this case."""
    if kind == "closure" and case.accepted_on:
        return case.accepted_on, "受理日期"
    return case.received_on, "收到日期"


def _held_on(kind: RecordKind, values: dict) -> date | None:
    raw = values.get(kind.date_field or "", "")
    return date.fromisoformat(raw) if raw else None


# Prepared once (bound per call): the case page runs them on every view,
# and SQLAlchemy then neither rebuilds nor re-keys them.
_RECORDS = (
    select(CaseRecord).where(CaseRecord.case_id == bindparam("case_id")).order_by(CaseRecord.held_on, CaseRecord.id)
)
_MEDIATORS = (
    select(CaseMediator, Person)
    .join(Person, Person.id == CaseMediator.person_id)
    .where(CaseMediator.case_id == bindparam("case_id"))
    .order_by(CaseMediator.lead.desc(), CaseMediator.id)
)


def records_of(db: Session, case: Case, *kinds: str) -> list[CaseRecord]:
    query = _RECORDS.where(CaseRecord.kind.in_(kinds)) if kinds else _RECORDS
    return list(db.exec(query, params={"case_id": case.id}).all())


def mediators_of(db: Session, case: Case) -> list[tuple[CaseMediator, Person]]:
    return list(db.exec(_MEDIATORS, params={"case_id": case.id}).all())


@dataclass(frozen=True)
class Facts:
    """What a case has that transitions ask for: its kinds of record, assigned mediators, an applicant."""

    kinds: frozenset[str]
    mediated: bool
    applicant: bool

    @classmethod
    def of(cls, records: list[CaseRecord], mediators: list, parties: list[Party]) -> Facts:
        return cls(frozenset(r.kind for r in records), bool(mediators), any(p.role == "申请人" for p in parties))


def facts_of(db: Session, case: Case) -> Facts:
    return Facts.of(records_of(db, case), mediators_of(db, case), parties_of(db, case))


def missing_for(db: Session, case: Case, transition: Transition, facts: Facts | None = None) -> list[str]:
    """What the case still lacks for `transition`, in Chinese; empty when it may proceed.

    `facts` when the caller has read them already (the case page asks for every available transition)."""
    facts = facts or facts_of(db, case)
    missing = []
    for alternatives in transition.needs_records:
        if not facts.kinds & set(alternatives):
            missing.append("或".join(RECORD_KINDS[k].label for k in alternatives))
    for source, kind in transition.needs_from:
        if case.state == source and kind not in facts.kinds:
            missing.append(RECORD_KINDS[kind].label)
    if transition.needs_mediators and not facts.mediated:
        missing.append("指派的调解员")
    if transition.needs_applicant and not facts.applicant:
        missing.append("申请人")
    if transition.action == "apply_confirmation" and case.outcome != "written":
        missing.append("书面协议（口头协议不能申请司法确认）")
    return missing


def apply(
    db: Session, principal: Principal, case: Case, action: str, data: dict, *, deadlines: Deadlines, address: str = ""
) -> CaseRecord | None:
    """Take `action`: check the machine, the person and the records; write the record, the event and the audit entry."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise Forbidden("没有这个办理操作。")
    if str(case.version) != str(data.get("version", "")).strip():
        raise Conflict("该案件已被他人办理或修改。请查看最新状态后再操作。")
    if case.state not in transition.sources:
        raise Forbidden(f"案件当前状态为“{case.state.label}”，不能进行“{transition.label}”。")
    require_act(principal, case, transition.roles, transition.label)
    missing = missing_for(db, case, transition)
    if missing:
        raise Forbidden(f"“{transition.label}”前还需要：{'、'.join(missing)}。")
    record = None
    if transition.record:
        record = _new_record(db, principal, case, RECORD_KINDS[transition.record], data)
    previous = case.state
    log_event(db, case, principal, action, transition.event or transition.label)  # before the feedback its effects log
    _effects(db, case, transition, record, deadlines)
    case.state = transition.target
    touch(case)
    db.add(case)
    audit.record(
        db,
        f"case.{action}",
        actor=principal.person,
        org=db.get(Organisation, case.org_id),
        object_type="case",
        object_id=case.id,
        summary=f"{transition.label}：{case.number}",
        changes={"state": [previous.value, transition.target.value]},
        address=address,
    )
    return record


def _effects(db: Session, case: Case, transition: Transition, record: CaseRecord | None, deadlines: Deadlines) -> None:
    today = clock.today()
    if transition.action == "accept":
        case.accepted_on = today
        case.mediation_due_on = today + timedelta(days=deadlines.mediation_days)
    elif transition.action == "succeed":
        case.outcome = "written" if records_of(db, case, "agreement") else "oral"
        case.concluded_on = today
    elif transition.action == "fail":
        case.outcome = "failed"
        case.concluded_on = today
    elif transition.action == "close":
        closed = _held_on(RECORD_KINDS["closure"], record.fields) if record else today
        if closed is None:  # 结案日期 is a required field of the closure report (record_kinds)
            raise ValueError("结案报告缺少结案日期")
        case.closed_on = closed
        case.followup_due_on = closed + timedelta(days=deadlines.followup_days)
        transfers.feed_back(db, case)
    elif transition.action == "refuse":
        transfers.return_materials(db, case)


def add_record(
    db: Session, principal: Principal, case: Case, kind_code: str, data: dict, *, address: str = ""
) -> CaseRecord:
    kind = RECORD_KINDS.get(kind_code)
    if kind is None or kind_code not in FREE_RECORDS:
        raise Forbidden("不能单独添加这种记录。")
    if case.state.value not in FREE_RECORDS[kind_code]:
        raise Forbidden(f"案件当前状态为“{case.state.label}”，不能添加{kind.label}。")
    require_act(
        principal,
        case,
        (Role.CLERK, Role.MEDIATOR, Role.DIRECTOR) if kind_code == "evaluation" else (Role.MEDIATOR, Role.DIRECTOR),
        f"添加{kind.label}",
    )
    record = _new_record(db, principal, case, kind, data)
    record_change(
        db,
        principal,
        case,
        kind="record",
        event=f"添加{kind.label}",
        action="case.record",
        summary=f"添加{kind.label}：{case.number}",
        address=address,
    )
    return record


def _new_record(db: Session, principal: Principal, case: Case, kind: RecordKind, data: dict) -> CaseRecord:
    """A record of `kind` from the posted fields, checked (Invalid with every reason) and added to the session."""
    errors: dict[str, str] = {}
    values = clean_fields(
        kind, data, errors, not_before=_earliest(case, kind.code), experts=expert_choices(db, principal, kind)
    )
    if errors:
        raise Invalid(errors)
    record = CaseRecord(
        case_id=case.id, kind=kind.code, held_on=_held_on(kind, values), fields=values, created_by=principal.person.id
    )
    db.add(record)
    return record


def assign_mediator(
    db: Session,
    principal: Principal,
    case: Case,
    person_id: int,
    *,
    choices: list[tuple[int, str]],
    lead: bool = False,
    address: str = "",
) -> None:
    require_act(principal, case, ASSIGN_ROLES, "指派调解员")
    if person_id not in {pid for pid, _ in choices}:
        raise Invalid({"person_id": "请从本机构及上下级的调解员中选择。"})
    if db.exec(
        select(CaseMediator.id).where(CaseMediator.case_id == case.id, CaseMediator.person_id == person_id)
    ).first():
        raise Invalid({"person_id": "该调解员已在本案中。"})
    person = db.get(Person, person_id)
    db.add(CaseMediator(case_id=case.id, person_id=person_id, lead=lead or not mediators_of(db, case)))
    record_change(
        db,
        principal,
        case,
        kind="assign",
        event=f"指派调解员：{person.name}",
        action="case.assign",
        summary=f"指派调解员 {person.name}：{case.number}",
        address=address,
    )


def unassign_mediator(db: Session, principal: Principal, case: Case, assignment_id: int, *, address: str = "") -> None:
    require_act(principal, case, ASSIGN_ROLES, "调整调解员")
    assignment = db.get(CaseMediator, assignment_id)
    if assignment is None or assignment.case_id != case.id:
        raise Invalid({"person_id": "该调解员不在本案中。"})
    if case.state in (CaseState.INVESTIGATING, CaseState.MEDIATING) and len(mediators_of(db, case)) == 1:
        raise Forbidden("调查或调解期间至少要保留一名调解员。")
    person = db.get(Person, assignment.person_id)
    db.delete(assignment)
    record_change(
        db,
        principal,
        case,
        kind="assign",
        event=f"撤回调解员：{person.name}",
        action="case.assign",
        summary=f"撤回调解员 {person.name}：{case.number}",
        address=address,
    )
