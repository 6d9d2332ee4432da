"""Training records: who may organise, whom they may enrol, scoped lists, and each person's history.

A session's organiser is an organisation where the recorder holds 管理员, 调委会主任 or 督导 themselves (not a subtree
read through supervision: 督导 write nothing there). Its attendees are people of the organiser's scope: holding a role
in its subtree or in a subtree it supervises (the 司法局 trains the county's mediators). A session is visible to those
who see its organiser, and to those who see one of its attendees' organisations (a village sees the 司法局's session
its mediator attended).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import exists, func, or_
from sqlmodel import Session, col, select

from portal import inputs
from portal.audit import service as audit
from portal.db import utcnow
from portal.errors import Conflict, Forbidden, Invalid
from portal.orgs import moves
from portal.orgs.models import Organisation, Supervision
from portal.people.models import ROLE_LABELS, Membership, Person, Role
from portal.scope import OutOfScope, Principal
from portal.training.models import KIND_LABELS, TrainingAttendee, TrainingKind, TrainingSession

ORGANISE_ROLES = (Role.ADMIN, Role.DIRECTOR, Role.SUPERVISOR)
AUDITED = ("held_on", "topic", "kind", "hours", "place", "notes")


def _own_roots(principal: Principal) -> list[str]:
    """Where the person organises: subtrees of their own roles (not those read through supervision)."""
    return [g.path for g in principal.memberships if g.role in ORGANISE_ROLES]


def can_organise(principal: Principal, path: str) -> bool:
    return any(path.startswith(root) for root in _own_roots(principal))


def organiser_orgs(db: Session, principal: Principal) -> list[Organisation]:
    roots = _own_roots(principal)
    if not roots:
        return []
    return list(
        db.exec(
            select(Organisation)
            .where(or_(*[Organisation.path.startswith(r) for r in roots]), Organisation.active == True)  # noqa: E712
            .order_by(Organisation.path)
        ).all()
    )


def _attendee_seen(principal: Principal):  # noqa: ANN202
    """SQL: one of the session's attendees holds a role in an organisation the viewer sees."""
    return exists(
        select(TrainingAttendee.id)
        .join(Membership, Membership.person_id == TrainingAttendee.person_id)
        .join(Organisation, Organisation.id == Membership.org_id)
        .where(TrainingAttendee.session_id == TrainingSession.id, principal.path_filter(Organisation.path))
    )


def visible_session(db: Session, principal: Principal, session_id: int) -> TrainingSession:
    found = db.exec(
        select(TrainingSession).where(
            TrainingSession.id == session_id,
            or_(principal.path_filter(TrainingSession.org_path), _attendee_seen(principal)),
        )
    ).first()
    if found is None:
        raise OutOfScope("培训记录不存在或您无权查看。", object_type="training_session", object_id=session_id)
    return found


@dataclass
class ListFilter:
    org_id: int | None = None
    only: bool = False
    held_from: date | None = None
    held_to: date | None = None


def _conditions(db: Session, principal: Principal, flt: ListFilter) -> list:
    if flt.org_id is None:
        conditions = [or_(principal.path_filter(TrainingSession.org_path), _attendee_seen(principal))]
    else:  # an organisation's sessions (what a statistic of that place counts)
        org = principal.visible_org(db, flt.org_id)
        conditions = [
            principal.path_filter(TrainingSession.org_path),
            col(TrainingSession.org_id) == org.id if flt.only else col(TrainingSession.org_path).startswith(org.path),
        ]
    if flt.held_from is not None:
        conditions.append(TrainingSession.held_on >= flt.held_from)
    if flt.held_to is not None:
        conditions.append(TrainingSession.held_on <= flt.held_to)
    return conditions


def _attendance():  # noqa: ANN202
    return select(TrainingAttendee.session_id, func.count().label("n")).group_by(TrainingAttendee.session_id).subquery()


def list_sessions(
    db: Session, principal: Principal, flt: ListFilter, *, limit: int = 200
) -> list[tuple[TrainingSession, Organisation, int]]:
    """Sessions in scope, newest first, with their organiser and number of attendees."""
    counts = _attendance()
    rows = db.exec(
        select(TrainingSession, Organisation, func.coalesce(counts.c.n, 0))
        .join(Organisation, Organisation.id == TrainingSession.org_id)
        .outerjoin(counts, counts.c.session_id == TrainingSession.id)
        .where(*_conditions(db, principal, flt))
        .order_by(TrainingSession.held_on.desc(), TrainingSession.id.desc())
        .limit(limit)
    ).all()
    return [tuple(r) for r in rows]


def totals(db: Session, principal: Principal, flt: ListFilter) -> tuple[int, int, Decimal]:
    """Sessions, attendances (人次) and hours the filter matches: what a statistic linked here counts."""
    counts = _attendance()
    sessions, people, hours = db.exec(
        select(func.count(), func.coalesce(func.sum(counts.c.n), 0), func.coalesce(func.sum(TrainingSession.hours), 0))
        .select_from(TrainingSession)
        .outerjoin(counts, counts.c.session_id == TrainingSession.id)
        .where(*_conditions(db, principal, flt))
    ).one()
    return int(sessions), int(people), Decimal(hours)


@dataclass
class Candidate:
    person: Person
    where: str  # the organisations and roles, e.g. "桃花村人民调解委员会 调解员"


def candidates(db: Session, org: Organisation) -> list[Candidate]:
    """Active people holding a role in the organiser's subtree or in a subtree it supervises, mediators first."""
    supervised = db.exec(
        select(Organisation.path)
        .join(Supervision, Supervision.supervised_id == Organisation.id)
        .where(Supervision.org_id == org.id)
    ).all()
    rows = db.exec(
        select(Person, Membership, Organisation)
        .join(Membership, Membership.person_id == Person.id)
        .join(Organisation, Organisation.id == Membership.org_id)
        .where(
            Person.active == True,  # noqa: E712
            Organisation.active == True,  # noqa: E712
            or_(*[Organisation.path.startswith(p) for p in [org.path, *supervised]]),
        )
        .order_by(Organisation.path, Person.name, Person.id)
    ).all()
    found: dict[int, Candidate] = {}
    mediating: set[int] = set()
    for person, membership, where in rows:
        assert person.id is not None  # a stored row
        label = f"{where.name} {ROLE_LABELS[membership.role]}"
        if person.id in found:
            found[person.id].where += f"；{label}"
        else:
            found[person.id] = Candidate(person, label)
        if membership.role is Role.MEDIATOR:
            mediating.add(person.id)
    return sorted(found.values(), key=lambda c: c.person.id not in mediating)


def attendees(db: Session, session_id: int) -> list[Person]:
    return list(
        db.exec(
            select(Person)
            .join(TrainingAttendee, TrainingAttendee.person_id == Person.id)
            .where(TrainingAttendee.session_id == session_id)
            .order_by(Person.name, Person.id)
        ).all()
    )


@dataclass
class SessionForm:
    org_id: str = ""
    held_on: str = ""
    topic: str = ""
    kind: str = TrainingKind.BUSINESS.value
    hours: str = ""
    place: str = ""
    notes: str = ""
    version: str = ""
    attendees: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, s: TrainingSession, people: list[Person]) -> SessionForm:
        return cls(
            org_id=str(s.org_id),
            held_on=s.held_on.isoformat(),
            topic=s.topic,
            kind=s.kind.value,
            hours=str(s.hours),
            place=s.place,
            notes=s.notes,
            version=str(s.version),
            attendees=[str(p.id) for p in people],
        )


def require_organiser(db: Session, principal: Principal, org_id: str) -> Organisation | None:
    """Permission before validation: the chosen organiser, or None when none is chosen yet."""
    chosen = inputs.id_or_none(org_id)
    if chosen is None:
        if not _own_roots(principal):
            raise Forbidden("只有管理员、调委会主任和督导可以登记培训。")
        return None
    org = principal.visible_org(db, chosen)
    if not can_organise(principal, org.path):
        raise Forbidden("只有本机构或上级机构的管理员、调委会主任和督导可以登记该机构的培训。")
    return org


def _validate(db: Session, form: SessionForm, org: Organisation | None, *, today: date) -> tuple[dict, list[int]]:
    errors: dict[str, str] = {}
    values: dict = {}
    if org is None:
        errors["org_id"] = "请选择举办机构。"
    elif not org.active:
        errors["org_id"] = "该机构已停用。"
    try:
        values["held_on"] = inputs.day(form.held_on, label="培训日期")
        if values["held_on"] > today:
            errors["held_on"] = "培训日期不能晚于今天。"
    except inputs.BadInput as exc:
        errors["held_on"] = exc.message
    for name, label, needed in (("topic", "培训主题", True), ("place", "培训地点", False)):
        values[name] = form.__dict__[name].strip()
        if needed and not values[name]:
            errors[name] = f"请填写{label}。"
        elif len(values[name]) > 200:
            errors[name] = f"{label}不能超过 200 个字符。"
    try:
        values["kind"] = TrainingKind(form.kind)
    except ValueError:
        errors["kind"] = "请选择培训类型。"
    values["hours"] = _hours(form.hours, errors)
    values["notes"] = form.notes.strip()[:4000]
    inputs.check_fields(errors, form, {"topic": "培训主题", "place": "培训地点", "notes": "备注"}, names=("topic",))
    people: list[int] = []
    for raw in form.attendees:
        pid = inputs.id_or_none(raw)
        if pid is None:
            errors["attendees"] = "参训人员无效，请重新选择。"
        elif pid not in people:
            people.append(pid)
    if org is not None and "attendees" not in errors:
        allowed = {c.person.id for c in candidates(db, org)}
        if any(p not in allowed for p in people):
            errors["attendees"] = "参训人员只能从举办机构（及其督导范围）的人员中选择。"
    if not people and "attendees" not in errors:
        errors["attendees"] = "请至少选择一名参训人员。"
    if errors:
        raise Invalid(errors)
    return values, people


def _hours(raw: str, errors: dict[str, str]) -> Decimal | None:
    text = raw.strip()
    try:
        value = Decimal(text) if text and text.replace(".", "", 1).isdigit() and text.isascii() else None
    except InvalidOperation:
        value = None
    if value is None or value <= 0 or value > 1000 or value != value.quantize(Decimal("0.1")):
        errors["hours"] = "学时应为大于 0、不超过 1000 的数字（最多一位小数，如 2 或 1.5）。"
        return None
    return value.quantize(Decimal("0.1"))


def _set_attendees(db: Session, session_id: int, people: list[int]) -> None:
    current = set(db.exec(select(TrainingAttendee.person_id).where(TrainingAttendee.session_id == session_id)).all())
    for row in db.exec(select(TrainingAttendee).where(TrainingAttendee.session_id == session_id)).all():
        if row.person_id not in people:
            db.delete(row)
    for pid in people:
        if pid not in current:
            db.add(TrainingAttendee(session_id=session_id, person_id=pid))
    db.flush()


def create_session(
    db: Session, principal: Principal, form: SessionForm, *, today: date, address: str = ""
) -> TrainingSession:
    org = require_organiser(db, principal, form.org_id)
    values, people = _validate(db, form, org, today=today)
    assert org is not None
    found = TrainingSession(
        **values, org_id=org.id, org_path=moves.stored_path(db, org), created_by=principal.person.id
    )
    db.add(found)
    db.flush()
    _set_attendees(db, found.id, people)
    _audit(db, principal, "training.create", org, found, {}, len(people), address)
    return found


def update_session(
    db: Session, principal: Principal, session_id: int, form: SessionForm, *, today: date, address: str = ""
) -> TrainingSession:
    found = visible_session(db, principal, session_id)
    org = require_organiser(db, principal, str(found.org_id))
    assert org is not None
    form.org_id = str(org.id)
    values, people = _validate(db, form, org, today=today)
    if form.version != str(found.version):
        raise Conflict("该培训记录刚刚已被他人修改。请核对最新内容后再提交。")
    before = {k: getattr(found, k) for k in AUDITED}
    for key, value in values.items():
        setattr(found, key, value)
    found.version += 1
    found.updated_at = utcnow()
    db.add(found)
    db.flush()  # WHERE version = :seen: a concurrent edit fails here (409)
    _set_attendees(db, found.id, people)
    _audit(db, principal, "training.update", org, found, before, len(people), address)
    return found


def _audit(db, principal, action, org, found, before, count, address) -> None:  # noqa: ANN001
    verb = "登记" if action.endswith("create") else "修改"
    audit.record(
        db,
        action,
        actor=principal.person,
        org=org,
        object_type="training_session",
        object_id=found.id,
        summary=f"{verb}培训：{org.name} {found.held_on} {found.topic}（{count} 人）",
        changes=audit.diff(before, {k: getattr(found, k) for k in AUDITED}),
        address=address,
    )


KINDS = [(k.value, label) for k, label in KIND_LABELS.items()]
