"""The expert pool: scoped reads, the choices mediation records cite, and changes by directors and administrators."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from sqlalchemy import literal, or_
from sqlmodel import Session, col, select

from portal import inputs
from portal.audit import service as audit
from portal.db import stored_id, utcnow
from portal.errors import Conflict, Forbidden, Invalid
from portal.experts.models import EXPERT_FIELDS, Expert
from portal.orgs import moves
from portal.orgs import service as orgs_service
from portal.orgs.models import Organisation
from portal.people.models import Role
from portal.people.service import kept_phone, mask_phone
from portal.scope import OutOfScope, Principal

MANAGE_ROLES = (Role.ADMIN, Role.DIRECTOR)
AUDITED_FIELDS = ("org_id", "name", "field", "employer", "title", "phone", "notes")
_PHONE = re.compile(r"(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})")  # ASCII digits: \d would take "１３８…"


def _serves(principal: Principal, path: str) -> bool:
    """An expert serves the owner's whole subtree:
    visible below the person's roots and from anywhere beneath the owner."""
    return principal.sees(path) or any(root.startswith(path) for root in principal.roots())


def _visible_condition(principal: Principal):  # noqa: ANN202
    """SQL form of `_serves` (paths hold only digits and '/', so LIKE needs no escaping)."""
    above = [literal(root).startswith(Expert.org_path) for root in principal.roots()]
    return or_(principal.path_filter(Expert.org_path), *above)


def visible_expert(db: Session, principal: Principal, expert_id: int) -> Expert:
    expert = db.get(Expert, expert_id)
    if expert is None or not _serves(principal, expert.org_path):
        raise OutOfScope("专家不存在或您无权查看。", object_type="expert", object_id=expert_id)
    return expert


def can_manage(principal: Principal, expert: Expert) -> bool:
    return principal.has_role_over(expert.org_path, *MANAGE_ROLES)


def list_experts(
    db: Session,
    principal: Principal,
    *,
    field: str = "",
    org_id: int | None = None,
    include_inactive: bool = False,
    q: str = "",
) -> list[tuple[Expert, Organisation]]:
    """Experts owned by organisations in scope or above it: an expert serves its organisation's whole subtree."""
    query = (
        select(Expert, Organisation)
        .join(Organisation, Organisation.id == Expert.org_id)
        .where(_visible_condition(principal))
    )
    if org_id is not None:
        query = query.where(col(Expert.org_path).startswith(principal.visible_org(db, org_id).path, autoescape=True))
    if field:
        query = query.where(Expert.field == field)
    if q:
        query = query.where(Expert.name.contains(q, autoescape=True) | Expert.employer.contains(q, autoescape=True))
    if not include_inactive:
        query = query.where(Expert.active == True)  # noqa: E712
    return [tuple(r) for r in db.exec(query.order_by(Expert.field, Expert.name, Expert.id)).all()]  # type: ignore[misc]


def choices(db: Session, principal: Principal) -> list[tuple[int, str]]:
    """Active experts the person may cite, as (id, "name（field · employer）")."""
    return [
        (stored_id(e.id), f"{e.name}（{e.field}{' · ' + e.employer if e.employer else ''}）")
        for e, _ in list_experts(db, principal)
    ]


def managed_orgs(db: Session, principal: Principal) -> list[Organisation]:
    return orgs_service.acting_orgs(db, principal, *MANAGE_ROLES)


@dataclass
class ExpertForm:
    org_id: str = ""
    name: str = ""
    field: str = ""
    employer: str = ""
    title: str = ""
    phone: str = ""
    notes: str = ""
    version: str = ""

    @classmethod
    def of(cls, e: Expert) -> ExpertForm:
        return cls(
            org_id=str(e.org_id),
            name=e.name,
            field=e.field,
            employer=e.employer,
            title=e.title,
            phone=mask_phone(e.phone),  # shown whole it would be an unaudited reveal (people.service.kept_phone)
            notes=e.notes,
            version=str(e.version),
        )


def require_manager_org(db: Session, principal: Principal, org_id: str) -> Organisation | None:
    """Permission before validation: an outsider learns nothing from the form's errors."""
    if (chosen := inputs.id_or_none(org_id)) is not None:
        org = principal.visible_org(db, chosen)
        if not principal.has_role_over(org.path, *MANAGE_ROLES):
            raise Forbidden("只有本级或上级的管理员和调委会主任可以管理专家库。")
        return org
    if not principal.roots(*MANAGE_ROLES):
        raise Forbidden("只有管理员和调委会主任可以管理专家库。")
    return None


def _validate(form: ExpertForm, org: Organisation | None) -> dict:
    errors: dict[str, str] = {}
    if org is None:
        errors["org_id"] = "请选择所属机构。"
    elif not org.active:
        errors["org_id"] = "该机构已停用。"
    values = {k: getattr(form, k).strip() for k in ("name", "field", "employer", "title", "notes")}
    if not values["name"]:
        errors["name"] = "请填写专家姓名。"
    elif len(values["name"]) > 50:
        errors["name"] = "姓名不能超过 50 个字符。"
    if values["field"] not in EXPERT_FIELDS:
        errors["field"] = "请选择专业领域。"
    if len(values["employer"]) > 100:
        errors["employer"] = "工作单位不能超过 100 个字符。"
    if len(values["title"]) > 50:
        errors["title"] = "职称职务不能超过 50 个字符。"
    phone = form.phone.strip().replace(" ", "")
    if phone and not _PHONE.fullmatch(phone):
        errors["phone"] = "请填写 11 位手机号码或带区号的固定电话。"
    values["phone"] = phone
    values["notes"] = values["notes"][:4000]
    inputs.check_fields(
        errors,
        form,
        {"name": "姓名", "employer": "工作单位", "title": "职称职务", "notes": "备注"},
        names=("name", "employer", "title"),
    )
    if errors:
        raise Invalid(errors)
    assert org is not None
    return {**values, "org_id": org.id}


def _audited(expert: Expert) -> dict:
    return {k: mask_phone(expert.phone) if k == "phone" else getattr(expert, k) for k in AUDITED_FIELDS}


def create(db: Session, principal: Principal, form: ExpertForm, *, address: str = "") -> Expert:
    org = require_manager_org(db, principal, form.org_id)
    values = _validate(form, org)
    assert org is not None
    expert = Expert(**values, org_path=moves.stored_path(db, org), created_by=principal.person.id)
    db.add(expert)
    db.flush()
    audit.record(
        db,
        "expert.create",
        actor=principal.person,
        org=org,
        object_type="expert",
        object_id=expert.id,
        summary=f"新增专家：{expert.name}（{expert.field}）",
        changes=audit.diff({}, _audited(expert)),
        address=address,
    )
    return expert


def _check(db: Session, principal: Principal, expert_id: int, version: str) -> Expert:
    expert = visible_expert(db, principal, expert_id)
    if not can_manage(principal, expert):
        raise Forbidden("只有本级或上级的管理员和调委会主任可以管理专家库。")
    if str(expert.version) != version.strip():
        raise Conflict("该专家信息已被他人修改。请查看最新内容后重新填写您的修改。")
    return expert


def update(db: Session, principal: Principal, expert_id: int, form: ExpertForm, *, address: str = "") -> Expert:
    expert = _check(db, principal, expert_id, form.version)
    org = require_manager_org(db, principal, form.org_id) if form.org_id.strip() else None
    values = _validate(replace(form, phone=kept_phone(form.phone, expert.phone)), org)
    before = _audited(expert)
    for key, value in values.items():
        setattr(expert, key, value)
    expert.org_path = moves.stored_path(db, org) if org else expert.org_path
    expert.version += 1
    expert.updated_at = utcnow()
    db.add(expert)
    changes = audit.diff(before, _audited(expert))
    if changes:
        audit.record(
            db,
            "expert.update",
            actor=principal.person,
            org=org,
            object_type="expert",
            object_id=expert.id,
            summary=f"修改专家：{expert.name}",
            changes=changes,
            address=address,
        )
    return expert


def set_active(
    db: Session, principal: Principal, expert_id: int, active: bool, *, version: str, address: str = ""
) -> Expert:
    expert = _check(db, principal, expert_id, version)
    if expert.active == active:
        return expert
    expert.active = active
    expert.version += 1
    expert.updated_at = utcnow()
    db.add(expert)
    audit.record(
        db,
        "expert.activate" if active else "expert.deactivate",
        actor=principal.person,
        org=db.get(Organisation, expert.org_id),
        object_type="expert",
        object_id=expert.id,
        summary=("启用" if active else "停用") + f"专家：{expert.name}",
        changes={"active": [not active, active]},
        address=address,
    )
    return expert
