"""联席会议: record a meeting, list and read the meetings a person may see, add decisions that become 问题清单 items.

A meeting is seen by whoever sees its convening body or one of its participating bodies; the cases it discussed are
shown only to those who may see each case (portal.cases.access), on the page and in the printed minutes alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import cast

from sqlalchemy import exists
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, or_, select

from portal import inputs
from portal.audit import service as audit
from portal.cases import access
from portal.cases.models import Case
from portal.errors import Forbidden, Invalid
from portal.meetings.models import Meeting, MeetingBody, MeetingCase, MeetingDecision
from portal.orgs import moves
from portal.orgs.models import Organisation
from portal.people.models import Membership, Person, Role
from portal.problems.models import MEETING_SOURCE, Problem, ProblemEvent
from portal.scope import OutOfScope, Principal

CONVENE_ROLES = (Role.DIRECTOR, Role.HEAD, Role.SUPERVISOR, Role.ADMIN)
_BODY_ORG = aliased(Organisation)


def convener_orgs(db: Session, principal: Principal) -> list[Organisation]:
    """The bodies the person convenes meetings for: where they hold a leading role themselves."""
    ids = {g.org.id for g in principal.memberships if g.role in CONVENE_ROLES}
    if not ids:
        return []
    rows = db.exec(
        select(Organisation).where(Organisation.id.in_(ids), Organisation.active == True).order_by(Organisation.path)  # noqa: E712
    ).all()
    return list(rows)


def can_record(principal: Principal, convener: Organisation) -> bool:
    """Decisions are added by the convening body's leaders, or by those of a body above it or supervising it."""
    return principal.has_role_over(convener.path, *CONVENE_ROLES)


def _visible(principal: Principal):  # noqa: ANN202
    in_body = exists(
        select(MeetingBody.id)
        .join(_BODY_ORG, _BODY_ORG.id == MeetingBody.org_id)
        .where(MeetingBody.meeting_id == Meeting.id, principal.path_filter(_BODY_ORG.path))
    )
    return or_(principal.path_filter(Organisation.path), in_body)


def list_meetings(db: Session, principal: Principal, *, limit: int = 200) -> list[tuple[Meeting, Organisation]]:
    rows = db.exec(
        select(Meeting, Organisation)
        .join(Organisation, Organisation.id == Meeting.org_id)
        .where(_visible(principal))
        .order_by(Meeting.held_on.desc(), Meeting.id.desc())
        .limit(limit)
    ).all()
    return cast(list[tuple[Meeting, Organisation]], [tuple(r) for r in rows])


def get_meeting(db: Session, principal: Principal, meeting_id: int) -> tuple[Meeting, Organisation]:
    row = db.exec(
        select(Meeting, Organisation)
        .join(Organisation, Organisation.id == Meeting.org_id)
        .where(Meeting.id == meeting_id, _visible(principal))
    ).first()
    if row is None:
        raise OutOfScope("联席会议记录不存在或您无权查看。", object_type="joint_meeting", object_id=meeting_id)
    return row[0], row[1]


@dataclass
class MeetingView:
    meeting: Meeting
    convener: Organisation
    bodies: list[Organisation]
    cases: list[tuple[Case, str]]  # only those the viewer may see, with the meeting's note on each
    decisions: list[tuple[MeetingDecision, Organisation, Person, Problem]] = field(default_factory=list)


def view(db: Session, principal: Principal, meeting_id: int) -> MeetingView:
    meeting, convener = get_meeting(db, principal, meeting_id)
    bodies = db.exec(
        select(Organisation)
        .join(MeetingBody, MeetingBody.org_id == Organisation.id)
        .where(MeetingBody.meeting_id == meeting.id)
        .order_by(Organisation.path)
    ).all()
    cases = db.exec(
        select(Case, MeetingCase.note)
        .join(MeetingCase, MeetingCase.case_id == Case.id)
        .where(MeetingCase.meeting_id == meeting.id, access.visible_condition(principal, db))
        .order_by(MeetingCase.id)
    ).all()
    decisions = db.exec(
        select(MeetingDecision, Organisation, Person, Problem)
        .join(Organisation, Organisation.id == MeetingDecision.org_id)
        .join(Person, Person.id == MeetingDecision.owner_id)
        .join(Problem, Problem.id == MeetingDecision.problem_id)
        .where(MeetingDecision.meeting_id == meeting.id)
        .order_by(MeetingDecision.id)
    ).all()
    return MeetingView(
        meeting,
        convener,
        list(bodies),
        cast(list[tuple[Case, str]], [tuple(c) for c in cases]),
        cast(list[tuple[MeetingDecision, Organisation, Person, Problem]], [tuple(d) for d in decisions]),
    )


@dataclass
class MeetingForm:
    org_id: str = ""
    held_on: str = ""
    title: str = ""
    place: str = ""
    chair: str = ""
    attendees: str = ""
    minutes: str = ""
    body_ids: list[str] = field(default_factory=list)
    case_numbers: str = ""


def _text(errors: dict, key: str, raw: str, label: str, max_length: int, *, required: bool = False, name: bool = False):  # noqa: ANN202
    try:
        value = inputs.text(raw, label=label, max_length=max_length, name=name)
    except inputs.BadInput as exc:
        errors[key] = exc.message
        return ""
    if required and not value:
        errors[key] = f"请填写{label}。"
    return value


def create(db: Session, principal: Principal, form: MeetingForm, *, today: date, address: str = "") -> Meeting:
    """Record a meeting of a body the person leads, with its participating bodies and the cases it discussed."""
    conveners = {o.id: o for o in convener_orgs(db, principal)}
    if not conveners:
        raise Forbidden("联席会议由调委会主任、负责人、督导或管理员记录。")
    errors: dict[str, str] = {}
    chosen = inputs.id_or_none(form.org_id)
    if chosen is None and len(conveners) == 1:
        chosen = next(iter(conveners))
    convener = conveners.get(chosen or -1)
    if convener is None:
        if chosen is not None:
            principal.visible_org(db, chosen)  # outside the scope: not found, as everywhere
        errors["org_id"] = "请选择召集单位。"
    held_on = None
    try:
        held_on = inputs.day(form.held_on, label="会议日期")
        if held_on > today:
            errors["held_on"] = "会议日期不能晚于今天（先开会，后记录）。"
    except inputs.BadInput as exc:
        errors["held_on"] = exc.message if form.held_on.strip() else "请填写会议日期。"
    title = _text(errors, "title", form.title, "会议名称", 120, required=True, name=True)
    place = _text(errors, "place", form.place, "会议地点", 120, name=True)
    chair = _text(errors, "chair", form.chair, "主持人", 64, name=True)
    attendees = _text(errors, "attendees", form.attendees, "参会人员", 4000)
    minutes = _text(errors, "minutes", form.minutes, "会议纪要", 20000)
    bodies: list[Organisation] = []
    for raw in dict.fromkeys(form.body_ids):
        org_id = inputs.id_or_none(raw)
        org = db.get(Organisation, org_id) if org_id is not None else None
        if org is None or not principal.sees(org.path):
            errors["body_ids"] = "请从列表中选择参会单位。"
            break
        bodies.append(org)
    cases: list[Case] = []
    unknown: list[str] = []
    for number in dict.fromkeys(line.strip() for line in form.case_numbers.splitlines() if line.strip()):
        found = db.exec(select(Case).where(Case.number == number, access.visible_condition(principal, db))).first()
        if found is None:
            unknown.append(number)
        else:
            cases.append(found)
    if unknown:
        errors["case_numbers"] = f"找不到以下案件或您无权查看：{'、'.join(unknown[:5])}。"
    if errors:
        raise Invalid(errors)
    assert convener is not None and held_on is not None
    meeting = Meeting(
        org_id=convener.id,
        held_on=held_on,
        title=title,
        place=place,
        chair=chair,
        attendees=attendees,
        minutes=minutes,
        created_by=principal.person.id,
    )
    db.add(meeting)
    db.flush()
    for org in bodies:
        db.add(MeetingBody(meeting_id=meeting.id, org_id=org.id))
    for case in cases:
        db.add(MeetingCase(meeting_id=meeting.id, case_id=case.id))
    db.flush()
    audit.record(
        db,
        "meeting.create",
        actor=principal.person,
        org=convener,
        object_type="joint_meeting",
        object_id=meeting.id,
        summary=f"记录联席会议：{title}（{held_on}），参会单位 {len(bodies)} 个，研究案件 {len(cases)} 件",
        changes={"cases": [None, [c.number for c in cases]], "bodies": [None, [o.name for o in bodies]]},
        address=address,
    )
    return meeting


@dataclass
class DecisionForm:
    text: str = ""
    org_id: str = ""
    owner_id: str = ""
    due_on: str = ""


def owner_options(db: Session, principal: Principal) -> list[tuple[str, str]]:
    rows = db.exec(
        select(Person.id, Person.name, Organisation.name)
        .join(Membership, Membership.person_id == Person.id)
        .join(Organisation, Organisation.id == Membership.org_id)
        .where(principal.path_filter(Organisation.path), Person.active == True)  # noqa: E712
        .order_by(Organisation.path, Person.name)
    ).all()
    seen: dict[str, str] = {}
    for pid, name, org in rows:
        seen.setdefault(str(pid), f"{name}（{org}）")
    return list(seen.items())


def add_decision(
    db: Session, principal: Principal, meeting_id: int, form: DecisionForm, *, today: date, address: str = ""
) -> MeetingDecision:
    """A decision with its owner and deadline, registered at once on the owner's 问题清单 (source 联席会议)."""
    meeting, convener = get_meeting(db, principal, meeting_id)
    if not can_record(principal, convener):
        raise Forbidden("只有召集单位的主任、负责人、督导或管理员可以登记议定事项。")
    errors: dict[str, str] = {}
    text = _text(errors, "text", form.text, "议定事项", 500, required=True)
    org_id = inputs.id_or_none(form.org_id)
    org = db.get(Organisation, org_id) if org_id is not None else None
    if org is None or not principal.sees(org.path) or not org.active:
        errors["org_id"] = "请选择责任单位。"
        org = None
    owner_id = inputs.id_or_none(form.owner_id)
    owner = db.get(Person, owner_id) if owner_id is not None else None
    if org is not None and owner is not None:
        holds = db.exec(
            select(Membership.id)
            .join(Organisation, Organisation.id == Membership.org_id)
            .where(Membership.person_id == owner.id, col(Organisation.path).startswith(org.path, autoescape=True))
        ).first()
        if holds is None or not owner.active:
            errors["owner_id"] = "责任人须在责任单位或其下级单位任职。"
    elif owner is None:
        errors["owner_id"] = "请选择责任人。"
    due_on = None
    try:
        due_on = inputs.day(form.due_on, label="完成期限")
        if due_on < meeting.held_on:
            errors["due_on"] = "完成期限不能早于会议日期。"
    except inputs.BadInput as exc:
        errors["due_on"] = exc.message if form.due_on.strip() else "请填写完成期限。"
    if errors:
        raise Invalid(errors)
    assert org is not None and owner is not None and due_on is not None
    problem = Problem(
        org_id=org.id,
        org_path=moves.stored_path(db, org),
        title=text[:120],
        description=f"{meeting.held_on} {meeting.title}议定：{text}",
        source=MEETING_SOURCE,
        found_on=meeting.held_on,
        responsible_id=owner.id,
        due_on=due_on,
        created_by=principal.person.id,
    )
    db.add(problem)
    db.flush()
    decision = MeetingDecision(
        meeting_id=meeting.id, text=text, org_id=org.id, owner_id=owner.id, due_on=due_on, problem_id=problem.id
    )
    db.add(decision)
    db.add(
        ProblemEvent(
            problem_id=problem.id,
            actor_id=principal.person.id,
            actor_name=principal.person.name,
            kind="create",
            summary=f"联席会议议定事项登记（{meeting.title}，{meeting.held_on}），责任人 {owner.name}，期限 {due_on}"[
                :500
            ],
        )
    )
    db.flush()
    audit.record(
        db,
        "meeting.decision",
        actor=principal.person,
        org=org,
        object_type="joint_meeting",
        object_id=meeting.id,
        summary=f"联席会议议定事项：{text[:60]}；责任人 {owner.name}，期限 {due_on}，已列入问题清单",
        changes={"problem": [None, problem.id], "owner": [None, owner.name], "due_on": [None, due_on.isoformat()]},
        address=address,
    )
    return decision
