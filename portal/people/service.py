"""People: scoped reads, the mediator roster, and account management by administrators."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import exists, func
from sqlmodel import Session, col, select

from portal import inputs
from portal.audit import service as audit
from portal.auth import passwords, sessions
from portal.auth.service import home_org
from portal.db import lock, stored_id, utcnow
from portal.errors import Conflict, Forbidden, Invalid
from portal.orgs.models import Organisation
from portal.paging import Page
from portal.people.models import MediatorKind, Membership, Person, Role
from portal.scope import OutOfScope, Principal

_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{2,63}")
_PHONE = re.compile(r"(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})")  # ASCII digits: \d would take "１３８…"
ROSTER_ROLES = (Role.MEDIATOR, Role.DIRECTOR)


def mask_phone(phone: str | None) -> str:
    """138****5678: enough to recognise a number, not to call it."""
    if not phone:
        return ""
    digits = phone.replace("-", "")
    return digits[:3] + "****" + digits[-4:] if len(digits) >= 8 else "****"


def kept_phone(typed: str, stored: str | None) -> str:
    """An edit form shows the stored phone masked (showing it whole would be an unaudited reveal): sent back as it was
    shown, it means "unchanged" and the stored number stands; anything else is a new number to check."""
    return (stored or "") if stored and typed.strip() == mask_phone(stored) else typed


def _in_scope(principal: Principal, *roles: Role):  # noqa: ANN202
    """SQL: the person holds some role in an organisation inside the principal's scope."""
    return exists(
        select(Membership.id)
        .join(Organisation, Organisation.id == Membership.org_id)
        .where(Membership.person_id == Person.id, principal.path_filter(Organisation.path, *roles))
    )


def visible_person(db: Session, principal: Principal, person_id: int) -> Person:
    person = db.get(Person, person_id)
    if person is None or (
        person.id != principal.person.id
        and not db.exec(select(Person.id).where(Person.id == person_id, _in_scope(principal))).first()
    ):
        raise OutOfScope("人员不存在或您无权查看。", object_type="person", object_id=person_id)
    return person


def memberships_of(db: Session, person: Person) -> list[tuple[Membership, Organisation]]:
    return list(
        db.exec(
            select(Membership, Organisation)
            .join(Organisation, Organisation.id == Membership.org_id)
            .where(Membership.person_id == person.id)
            .order_by(Organisation.depth, Organisation.id, Membership.role)
        ).all()
    )


@dataclass
class PeopleFilter:
    q: str = ""
    org_id: int | None = None
    role: Role | None = None
    include_inactive: bool = False


@dataclass
class PeoplePage(Page):
    rows: list[tuple[Person, list[tuple[Membership, Organisation]]]]


def list_people(
    db: Session, principal: Principal, flt: PeopleFilter, *, page: int, size: int, roles_in: tuple[Role, ...] = ()
) -> PeoplePage:
    """People in scope matching the filter (filtered first, then paginated), with their visible roles."""
    member_cond = [Membership.person_id == Person.id, principal.path_filter(Organisation.path)]
    if flt.org_id is not None:
        org = principal.visible_org(db, flt.org_id)
        member_cond.append(col(Organisation.path).startswith(org.path, autoescape=True))
    role_list = (flt.role,) if flt.role else roles_in
    if role_list:
        member_cond.append(Membership.role.in_(role_list))
    query = select(Person).where(
        exists(select(Membership.id).join(Organisation, Organisation.id == Membership.org_id).where(*member_cond))
    )
    if flt.q:
        query = query.where(
            Person.name.contains(flt.q, autoescape=True) | Person.username.contains(flt.q, autoescape=True)
        )
    if not flt.include_inactive:
        query = query.where(Person.active == True)  # noqa: E712
    total = db.exec(select(func.count()).select_from(query.subquery())).one()
    people = db.exec(query.order_by(Person.name, Person.id).offset((page - 1) * size).limit(size)).all()
    grants: dict[int, list[Any]] = {stored_id(p.id): [] for p in people}
    if people:
        rows = db.exec(
            select(Membership, Organisation)
            .join(Organisation, Organisation.id == Membership.org_id)
            .where(Membership.person_id.in_(list(grants)), principal.path_filter(Organisation.path))
            .order_by(Organisation.depth, Organisation.id)
        ).all()
        for membership, org in rows:
            if not role_list or membership.role in role_list:
                grants[membership.person_id].append((membership, org))
    return PeoplePage([(p, grants[stored_id(p.id)]) for p in people], total, page, size)


def roster_choices(db: Session, principal: Principal) -> list[tuple[int, str]]:
    """Active mediators and directors in scope as (id, name): the light query behind filter drop-downs."""
    in_scope = (
        select(Membership.id)
        .join(Organisation, Organisation.id == Membership.org_id)
        .where(
            Membership.person_id == Person.id,
            Membership.role.in_(ROSTER_ROLES),
            principal.path_filter(Organisation.path),
        )
    )
    rows = db.exec(
        select(Person.id, Person.name)
        .where(Person.active == True, exists(in_scope))  # noqa: E712
        .order_by(Person.name, Person.id)
    ).all()
    return [(stored_id(pid), name) for pid, name in rows]


def reveal_phone(db: Session, principal: Principal, person: Person, *, address: str = "") -> str:
    """The unmasked phone number, for roles that need it; every look is audited."""
    orgs = [o for _, o in memberships_of(db, person)]
    if person.id != principal.person.id and not any(principal.can_see_personal_data(o.path) for o in orgs):
        raise Forbidden("您的角色不能查看完整的联系电话。")
    if person.id != principal.person.id:
        audit.record(
            db,
            "person.view_personal_data",
            actor=principal.person,
            org=orgs[0] if orgs else None,
            object_type="person",
            object_id=person.id,
            summary=f"查看 {person.name} 的完整电话号码",
            address=address,
        )
    return person.phone or ""


def can_manage(db: Session, principal: Principal, person: Person) -> bool:
    """An account is managed by someone who administers every organisation the person belongs to."""
    orgs = [o for _, o in memberships_of(db, person)]
    return bool(orgs) and all(principal.has_role_over(o.path, Role.ADMIN) for o in orgs)


def require_manage(db: Session, principal: Principal, person: Person) -> None:
    if not can_manage(db, principal, person):
        raise Forbidden("该人员在您管理范围以外的机构也担任角色，请由共同的上级管理员处理。")


@dataclass
class PersonForm:
    username: str = ""
    name: str = ""
    phone: str = ""
    version: str = ""
    # Only when creating: the first role and the initial password.
    org_id: str = ""
    role: str = ""
    mediator_kind: str = ""
    specialities: str = ""
    password: str = ""

    @classmethod
    def of(cls, person: Person) -> PersonForm:
        return cls(
            username=person.username, name=person.name, phone=mask_phone(person.phone), version=str(person.version)
        )


def _validate_account(db: Session, form: PersonForm, *, editing: Person | None) -> dict:
    errors: dict[str, str] = {}
    username, name, phone = form.username.strip(), form.name.strip(), form.phone.strip().replace(" ", "")
    if not _USERNAME.fullmatch(username):
        errors["username"] = "登录名为 3–64 位字母、数字或 . _ -，以字母或数字开头。"
    elif db.exec(
        select(Person.id).where(
            func.lower(Person.username) == username.lower(), Person.id != (editing.id if editing else -1)
        )
    ).first():
        errors["username"] = "该登录名已被使用。"
    if not name:
        errors["name"] = "请填写姓名。"
    elif len(name) > 50:
        errors["name"] = "姓名不能超过 50 个字符。"
    if phone and not _PHONE.fullmatch(phone):
        errors["phone"] = "请填写 11 位手机号码或带区号的固定电话。"
    inputs.check_text(errors, "name", name, label="姓名", name=True)
    if errors:
        raise Invalid(errors)
    return {"username": username, "name": name, "phone": phone or None}


def _membership_values(
    db: Session, principal: Principal, org_id: str, role: str, kind: str, specialities: str, errors: dict
) -> tuple[Organisation | None, dict]:
    org = None
    try:
        org = principal.visible_org(db, inputs.identifier(org_id))
        if not principal.has_role_over(org.path, Role.ADMIN):
            errors["org_id"] = "只能在您管理范围内的机构授予角色。"
        elif not org.active:
            errors["org_id"] = "该机构已停用。"
    except (inputs.BadInput, OutOfScope):
        errors["org_id"] = "请选择机构。"
    values: dict = {"specialities": specialities.strip()[:200]}
    inputs.check_text(errors, "specialities", values["specialities"], label="擅长领域")
    try:
        values["role"] = Role(role)
    except ValueError:
        errors["role"] = "请选择角色。"
    if values.get("role") is Role.MEDIATOR:
        try:
            values["mediator_kind"] = MediatorKind(kind)
        except ValueError:
            errors["mediator_kind"] = "请选择专职或兼职。"
    return org, values


def create_person(db: Session, principal: Principal, form: PersonForm, *, address: str = "") -> Person:
    if not principal.can_admin:
        raise Forbidden("只有管理员可以新建人员。")
    if (org_id := inputs.id_or_none(form.org_id)) is not None:  # permission before validation, as for organisations
        principal.require_admin_over(principal.visible_org(db, org_id))
    errors: dict[str, str] = {}
    try:
        values = _validate_account(db, form, editing=None)
    except Invalid as exc:
        errors.update(exc.errors)
        values = {}
    org, member_values = _membership_values(
        db, principal, form.org_id, form.role, form.mediator_kind, form.specialities, errors
    )
    problem = passwords.password_problem(form.password, username=form.username.strip())
    if problem:
        errors["password"] = problem
    if errors:
        raise Invalid(errors)
    person = Person(**values, password_hash=passwords.hash_password(form.password), password_changed_at=utcnow())
    db.add(person)
    db.flush()
    db.add(Membership(person_id=person.id, org_id=org.id, **member_values))
    audit.record(
        db,
        "person.create",
        actor=principal.person,
        org=org,
        object_type="person",
        object_id=person.id,
        summary=f"新建人员：{person.name}（{member_values['role'].label}）",
        changes=audit.diff({}, {**values, "phone": mask_phone(values["phone"]), "role": member_values["role"]}),
        address=address,
    )
    return person


def update_person(db: Session, principal: Principal, person_id: int, form: PersonForm, *, address: str = "") -> Person:
    person = visible_person(db, principal, person_id)
    require_manage(db, principal, person)
    if str(person.version) != form.version.strip():
        raise Conflict("该人员信息已被他人修改。请查看最新内容后重新填写您的修改。")
    values = _validate_account(db, replace(form, phone=kept_phone(form.phone, person.phone)), editing=person)
    before = {"username": person.username, "name": person.name, "phone": mask_phone(person.phone)}
    for key, value in values.items():
        setattr(person, key, value)
    person.version += 1
    person.updated_at = utcnow()
    db.add(person)
    sessions.forget_person(person.id)
    changes = audit.diff(before, {"username": person.username, "name": person.name, "phone": mask_phone(person.phone)})
    if changes:
        audit.record(
            db,
            "person.update",
            actor=principal.person,
            org=home_org(db, person),
            object_type="person",
            object_id=person.id,
            summary=f"修改人员：{person.name}",
            changes=changes,
            address=address,
        )
    return person


def add_membership(
    db: Session,
    principal: Principal,
    person_id: int,
    *,
    org_id: str,
    role: str,
    mediator_kind: str = "",
    specialities: str = "",
    address: str = "",
) -> Membership:
    lock(db, Person, person_id)  # a person's roles change one request at a time (not twice, never the last one)
    person = visible_person(db, principal, person_id)
    if not principal.can_admin:
        raise Forbidden("只有管理员可以授予角色。")
    if (chosen := inputs.id_or_none(org_id)) is not None:
        principal.require_admin_over(principal.visible_org(db, chosen))
    errors: dict[str, str] = {}
    org, values = _membership_values(db, principal, org_id, role, mediator_kind, specialities, errors)
    if (
        not errors
        and db.exec(
            select(Membership.id).where(
                Membership.person_id == person.id, Membership.org_id == org.id, Membership.role == values["role"]
            )
        ).first()
    ):
        errors["role"] = "该人员在此机构已担任这一角色。"
    if errors:
        raise Invalid(errors)
    membership = Membership(person_id=person.id, org_id=org.id, **values)
    db.add(membership)
    sessions.forget_person(person.id)
    audit.record(
        db,
        "membership.create",
        actor=principal.person,
        org=org,
        object_type="person",
        object_id=person.id,
        summary=f"授予 {person.name} 在 {org.name} 的角色：{values['role'].label}",
        address=address,
    )
    return membership


def remove_membership(
    db: Session, principal: Principal, person_id: int, membership_id: int, *, address: str = ""
) -> None:
    lock(db, Person, person_id)
    person = visible_person(db, principal, person_id)
    membership = db.get(Membership, membership_id)
    if membership is None or membership.person_id != person.id:
        raise OutOfScope("角色不存在。", object_type="membership", object_id=membership_id)
    org = principal.visible_org(db, membership.org_id)
    principal.require_admin_over(org)
    if person.id == principal.person.id and membership.role is Role.ADMIN:
        raise Forbidden("不能撤销您自己的管理员角色，请由上级管理员处理。")
    remaining = db.exec(select(func.count()).select_from(Membership).where(Membership.person_id == person.id)).one()
    if remaining <= 1:
        raise Forbidden("这是该人员的最后一个角色。如不再使用该账户，请停用账户。")
    db.delete(membership)
    sessions.forget_person(person.id)
    audit.record(
        db,
        "membership.delete",
        actor=principal.person,
        org=org,
        object_type="person",
        object_id=person.id,
        summary=f"撤销 {person.name} 在 {org.name} 的角色：{membership.role.label}",
        address=address,
    )


def set_active(
    db: Session, principal: Principal, person_id: int, active: bool, *, version: str, address: str = ""
) -> Person:
    person = visible_person(db, principal, person_id)
    require_manage(db, principal, person)
    if person.id == principal.person.id:
        raise Forbidden("不能停用或启用您自己的账户。")
    if str(person.version) != version.strip():
        raise Conflict("该人员信息已被他人修改，请刷新后再试。")
    if person.active != active:
        person.active = active
        person.version += 1
        person.updated_at = utcnow()
        db.add(person)
        if not active:
            sessions.end_all_for(db, person.id)
        audit.record(
            db,
            "person.activate" if active else "person.deactivate",
            actor=principal.person,
            org=home_org(db, person),
            object_type="person",
            object_id=person.id,
            summary=("启用" if active else "停用") + f"账户：{person.name}",
            changes={"active": [not active, active]},
            address=address,
        )
    return person


def reset_password(
    db: Session, principal: Principal, person_id: int, new_password: str, *, address: str = ""
) -> Person:
    """An administrator sets a new password; all of the person's sessions end."""
    person = visible_person(db, principal, person_id)
    require_manage(db, principal, person)
    problem = passwords.password_problem(new_password, username=person.username)
    if problem:
        raise Invalid({"password": problem})
    person.password_hash = passwords.hash_password(new_password)
    person.password_changed_at = utcnow()
    person.version += 1
    db.add(person)
    sessions.end_all_for(db, person.id)
    audit.record(
        db,
        "auth.password_reset",
        actor=principal.person,
        org=home_org(db, person),
        object_type="person",
        object_id=person.id,
        summary=f"重置 {person.name} 的密码",
        address=address,
    )
    return person
