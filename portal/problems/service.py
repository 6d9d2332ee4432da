"""The problem list: scoped reads, registration, edits and the small state machine to 销号."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import exists, func
from sqlmodel import Session, col, select

from portal import inputs
from portal.audit import service as audit
from portal.db import utcnow
from portal.errors import Conflict, Forbidden, Invalid
from portal.orgs import moves
from portal.orgs import service as orgs_service
from portal.orgs.models import Organisation
from portal.paging import Page
from portal.people.models import Membership, Person, Role
from portal.problems.models import OPEN_STATES, SOURCES, Problem, ProblemEvent, ProblemState, RiskLevel
from portal.scope import OutOfScope, Principal

EDIT_ROLES = (Role.CLERK, Role.MEDIATOR, Role.DIRECTOR)
STRIKE_ROLES = (Role.DIRECTOR, Role.ADMIN)
AUDITED_FIELDS = ("org_id", "title", "description", "source", "found_on", "risk", "responsible_id", "due_on")


@dataclass(frozen=True)
class Transition:
    label: str
    sources: tuple[ProblemState, ...]
    target: ProblemState
    roles: tuple[Role, ...]
    note_label: str = ""  # a note is required when this is set


# (action) → from which states, to which state, by whom, with which note: the whole lifecycle in one table.
TRANSITIONS = {
    "start": Transition("开始化解", (ProblemState.REGISTERED,), ProblemState.RESOLVING, EDIT_ROLES),
    "resolve": Transition(
        "标记已化解", (ProblemState.REGISTERED, ProblemState.RESOLVING), ProblemState.RESOLVED, EDIT_ROLES, "化解情况"
    ),
    "reopen": Transition("重新化解", (ProblemState.RESOLVED,), ProblemState.RESOLVING, EDIT_ROLES, "重新化解的原因"),
    "strike_off": Transition("销号", (ProblemState.RESOLVED,), ProblemState.STRUCK_OFF, STRIKE_ROLES, "销号说明"),
}


def parse_date(value: str, *, label: str = "日期") -> date | None:
    """A date as typed (portal.inputs.day: 年-月-日, 1900–2100), or None when empty; BadInput says why not."""
    return inputs.day(value, label=label) if value.strip() else None


def visible_problem(db: Session, principal: Principal, problem_id: int) -> Problem:
    problem = db.get(Problem, problem_id)
    if problem is None or not principal.sees(problem.org_path):
        raise OutOfScope("问题不存在或您无权查看。", object_type="problem", object_id=problem_id)
    return problem


def can_edit(principal: Principal, problem: Problem) -> bool:
    return problem.state is not ProblemState.STRUCK_OFF and principal.has_role_over(problem.org_path, *EDIT_ROLES)


def actions_for(principal: Principal, problem: Problem) -> list[tuple[str, Transition]]:
    """The transitions the person may take on the item now."""
    return [
        (name, t)
        for name, t in TRANSITIONS.items()
        if problem.state in t.sources and principal.has_role_over(problem.org_path, *t.roles)
    ]


@dataclass
class ProblemFilter:
    org_id: int | None = None
    state: ProblemState | None = None
    risk: RiskLevel | None = None
    overdue: bool = False
    screening_id: int | None = None
    # A statistic's drill-down (portal.stats): the organisation alone, and the period found or struck off in.
    org_only: bool = False
    found_from: date | None = None
    found_to: date | None = None
    struck_from: date | None = None
    struck_to: date | None = None


def _conditions(db: Session, principal: Principal, flt: ProblemFilter, today: date) -> list:
    """The filter as SQL conditions, scope first."""
    conditions = [principal.path_filter(Problem.org_path)]
    if flt.org_id is not None:
        org = principal.visible_org(db, flt.org_id)
        conditions.append(
            Problem.org_id == org.id if flt.org_only else col(Problem.org_path).startswith(org.path, autoescape=True)
        )
    for column, start, end in (
        (Problem.found_on, flt.found_from, flt.found_to),
        (Problem.struck_off_on, flt.struck_from, flt.struck_to),
    ):
        if start is not None:
            conditions.append(col(column) >= start)
        if end is not None:
            conditions.append(col(column) <= end)
    if flt.state:
        conditions.append(Problem.state == flt.state)
    if flt.risk:
        conditions.append(Problem.risk == flt.risk)
    if flt.overdue:
        conditions += [Problem.state.in_(OPEN_STATES), col(Problem.due_on) < today]
    if flt.screening_id is not None:
        conditions.append(Problem.screening_id == flt.screening_id)
    return conditions


@dataclass
class ProblemPage(Page):
    rows: list[tuple[Problem, Organisation, Person | None]]


def list_problems(
    db: Session, principal: Principal, flt: ProblemFilter, *, today: date, page: int = 1, size: int = 50
) -> ProblemPage:
    """Items in scope matching the filter (filtered first, then paginated), newest found first."""
    conditions = _conditions(db, principal, flt, today)
    total = db.exec(select(func.count()).select_from(Problem).where(*conditions)).one()
    rows = db.exec(
        select(Problem, Organisation, Person)
        .where(*conditions)
        .join(Organisation, Organisation.id == Problem.org_id)
        .outerjoin(Person, Person.id == Problem.responsible_id)
        .order_by(Problem.found_on.desc(), Problem.id.desc())
        .offset((page - 1) * size)
        .limit(size)
    ).all()
    return ProblemPage([(problem, org, person) for problem, org, person in rows], total, page, size)


def counts(db: Session, principal: Principal, *, today: date, org_id: int | None = None) -> dict[str, int]:
    """Items in scope by state, plus the open ones past their due date."""
    conditions = _conditions(db, principal, ProblemFilter(org_id=org_id), today)
    by_state = dict(db.exec(select(Problem.state, func.count()).where(*conditions).group_by(Problem.state)).all())
    result = {s.value: by_state.get(s, 0) for s in ProblemState}
    overdue = _conditions(db, principal, ProblemFilter(org_id=org_id, overdue=True), today)
    result["overdue"] = db.exec(select(func.count()).select_from(Problem).where(*overdue)).one()
    return result


def history(db: Session, problem: Problem) -> list[ProblemEvent]:
    return list(
        db.exec(
            select(ProblemEvent).where(ProblemEvent.problem_id == problem.id).order_by(ProblemEvent.at, ProblemEvent.id)
        ).all()
    )


def editable_orgs(db: Session, principal: Principal) -> list[Organisation]:
    """Active organisations where the person may register items."""
    return orgs_service.acting_orgs(db, principal, *EDIT_ROLES)


def responsible_options(db: Session, principal: Principal) -> list[Person]:
    """Active people holding a role somewhere in the person's scope."""
    in_scope = exists(
        select(Membership.id)
        .join(Organisation, Organisation.id == Membership.org_id)
        .where(Membership.person_id == Person.id, principal.path_filter(Organisation.path))
    )
    return list(db.exec(select(Person).where(in_scope, Person.active == True).order_by(Person.name, Person.id)).all())  # noqa: E712


@dataclass
class ProblemForm:
    org_id: str = ""
    title: str = ""
    description: str = ""
    source: str = ""
    found_on: str = ""
    risk: str = "low"
    responsible_id: str = ""
    due_on: str = ""
    version: str = ""

    @classmethod
    def of(cls, p: Problem) -> ProblemForm:
        return cls(
            org_id=str(p.org_id),
            title=p.title,
            description=p.description,
            source=p.source,
            found_on=p.found_on.isoformat(),
            risk=p.risk.value,
            responsible_id=str(p.responsible_id or ""),
            due_on=p.due_on.isoformat() if p.due_on else "",
            version=str(p.version),
        )


def require_editor_org(db: Session, principal: Principal, org_id: str) -> Organisation | None:
    """Permission before validation: an outsider learns nothing from the form's errors."""
    if (chosen := inputs.id_or_none(org_id)) is not None:
        org = principal.visible_org(db, chosen)
        if not principal.has_role_over(org.path, *EDIT_ROLES):
            raise Forbidden("只有本级或上级的受理员、调解员和调委会主任可以登记和修改问题。")
        return org
    if not principal.roots(*EDIT_ROLES):
        raise Forbidden("只有受理员、调解员和调委会主任可以登记和修改问题。")
    return None


def _validate(db: Session, form: ProblemForm, org: Organisation | None, *, today: date) -> dict:
    errors: dict[str, str] = {}
    values: dict = {}
    if org is None:
        errors["org_id"] = "请选择机构。"
    elif not org.active:
        errors["org_id"] = "该机构已停用。"
    title = form.title.strip()
    if not title:
        errors["title"] = "请填写问题名称。"
    elif len(title) > 120:
        errors["title"] = "问题名称不能超过 120 个字符。"
    values["title"] = title
    values["description"] = form.description.strip()[:4000]
    inputs.check_text(errors, "title", title, label="问题名称", name=True)
    inputs.check_text(errors, "description", values["description"], label="问题描述")
    if form.source not in SOURCES:
        errors["source"] = "请选择问题来源。"
    values["source"] = form.source
    try:
        values["risk"] = RiskLevel(form.risk)
    except ValueError:
        errors["risk"] = "请选择风险等级。"
    try:
        values["found_on"] = parse_date(form.found_on, label="发现日期")
        if values["found_on"] is None:
            errors["found_on"] = "请填写发现日期。"
        elif values["found_on"] > today:
            errors["found_on"] = "发现日期不能晚于今天。"
    except inputs.BadInput as exc:
        errors["found_on"] = exc.message
    try:
        values["due_on"] = parse_date(form.due_on, label="化解期限")
        if values["due_on"] and values.get("found_on") and values["due_on"] < values["found_on"]:
            errors["due_on"] = "化解期限不能早于发现日期。"
    except inputs.BadInput as exc:
        errors["due_on"] = exc.message
    values["responsible_id"] = None
    if form.responsible_id.strip():
        person_id = inputs.id_or_none(form.responsible_id) or -1
        ok = (
            org is not None
            and db.exec(
                select(Membership.id)
                .join(Organisation, Organisation.id == Membership.org_id)
                .join(Person, Person.id == Membership.person_id)
                .where(
                    Membership.person_id == person_id,
                    Person.active == True,  # noqa: E712
                    col(Organisation.path).startswith(org.path, autoescape=True),
                )
            ).first()
        )
        if ok:
            values["responsible_id"] = person_id
        else:
            errors["responsible_id"] = "责任人须在该机构或其下级机构任职。"
    if errors:
        raise Invalid(errors)
    if org is not None:
        values["org_id"] = org.id
    return values


def _event(db: Session, principal: Principal, problem: Problem, kind: str, summary: str) -> None:
    db.add(
        ProblemEvent(
            problem_id=problem.id,
            actor_id=principal.person.id,
            actor_name=principal.person.name,
            kind=kind,
            summary=summary[:500],
        )
    )


def create(
    db: Session,
    principal: Principal,
    form: ProblemForm,
    *,
    today: date,
    address: str = "",
    screening_id: int | None = None,
    finding: int | None = None,
) -> Problem:
    org = require_editor_org(db, principal, form.org_id)
    values = _validate(db, form, org, today=today)
    assert org is not None
    problem = Problem(
        **values,
        org_path=moves.stored_path(db, org),
        screening_id=screening_id,
        screening_finding=finding,
        created_by=principal.person.id,
    )
    db.add(problem)
    db.flush()
    _event(db, principal, problem, "create", f"登记问题（来源：{problem.source}，风险：{problem.risk.label}）")
    audit.record(
        db,
        "problem.create",
        actor=principal.person,
        org=org,
        object_type="problem",
        object_id=problem.id,
        summary=f"登记问题：{problem.title}",
        changes=audit.diff({}, {k: getattr(problem, k) for k in AUDITED_FIELDS}),
        address=address,
    )
    return problem


def _check_version(problem: Problem, version: str) -> None:
    if str(problem.version) != version.strip():
        raise Conflict("该问题已被他人修改。请查看最新内容后重新填写您的修改。")


def update(
    db: Session, principal: Principal, problem_id: int, form: ProblemForm, *, today: date, address: str = ""
) -> Problem:
    problem = visible_problem(db, principal, problem_id)
    if not principal.has_role_over(problem.org_path, *EDIT_ROLES):
        raise Forbidden("只有本级或上级的受理员、调解员和调委会主任可以修改问题。")
    if problem.state is ProblemState.STRUCK_OFF:
        raise Forbidden("已销号的问题不能再修改。")
    _check_version(problem, form.version)
    org = require_editor_org(db, principal, form.org_id) if form.org_id.strip() else None
    values = _validate(db, form, org, today=today)
    before = {k: getattr(problem, k) for k in AUDITED_FIELDS}
    for key, value in values.items():
        setattr(problem, key, value)
    problem.org_path = moves.stored_path(db, org) if org else problem.org_path
    problem.version += 1
    problem.updated_at = utcnow()
    db.add(problem)
    changes = audit.diff(before, {k: getattr(problem, k) for k in AUDITED_FIELDS})
    if changes:
        _event(db, principal, problem, "update", "修改：" + "、".join(sorted(changes)))
        audit.record(
            db,
            "problem.update",
            actor=principal.person,
            org=org,
            object_type="problem",
            object_id=problem.id,
            summary=f"修改问题：{problem.title}",
            changes=changes,
            address=address,
        )
    return problem


def transition(
    db: Session,
    principal: Principal,
    problem_id: int,
    action: str,
    *,
    note: str,
    version: str,
    today: date,
    address: str = "",
) -> Problem:
    """Take one step of the lifecycle, by the TRANSITIONS table."""
    problem = visible_problem(db, principal, problem_id)
    step = TRANSITIONS.get(action)
    if step is None:
        raise Invalid({"action": "未知的操作。"})
    if not principal.has_role_over(problem.org_path, *step.roles):
        raise Forbidden(
            "销号须由本级或上级的调委会主任或管理员办理。" if action == "strike_off" else "您不能办理该问题。"
        )
    _check_version(problem, version)
    if problem.state not in step.sources:
        raise Forbidden(f"问题当前为“{problem.state.label}”，不能{step.label}。")
    note = note.strip()
    if step.note_label and not note:
        raise Invalid({"note": f"请填写{step.note_label}。"})
    if reason := inputs.refusal(note):
        raise Invalid({"note": (step.note_label or "说明") + reason})
    before = problem.state
    problem.state = step.target
    if action == "resolve":
        problem.resolution, problem.resolved_on = note, today
    elif action == "reopen":
        problem.resolved_on = None
    elif action == "strike_off":
        problem.struck_note, problem.struck_off_on = note, today
    problem.version += 1
    problem.updated_at = utcnow()
    db.add(problem)
    _event(db, principal, problem, action, step.label + (f"：{note}" if note else ""))
    org = db.get(Organisation, problem.org_id)
    audit.record(
        db,
        f"problem.{action}",
        actor=principal.person,
        org=org,
        object_type="problem",
        object_id=problem.id,
        summary=f"{step.label}：{problem.title}",
        changes={"state": [before.value, problem.state.value]},
        address=address,
    )
    return problem
