"""考核细则 as data: a supervising body's rubrics and their items, edited by its administrators.

A rubric belongs to an assessing body (`org_id`) and assesses the direct subordinate mediation bodies of one
organisation (`assessed_id`) that the body reads: its own subtree or one it supervises. Only an administrator of the
assessing body (by their own role, not one read through supervision) edits it; its 督导 and administrators compute,
adjust and publish the months (portal.assessment.service).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import or_
from sqlmodel import Session, select

from portal import inputs
from portal.assessment.models import ItemMode, Rubric, RubricItem
from portal.assessment.scoring import parse_grades
from portal.audit import service as audit
from portal.db import lock, utcnow
from portal.errors import Conflict, Forbidden, Invalid
from portal.orgs.models import Organisation, OrgKind
from portal.people.models import Role
from portal.scope import OutOfScope, Principal
from portal.stats.indicators import INDICATORS

MANAGE_ROLES = (Role.ADMIN, Role.SUPERVISOR)
# Bodies beside the tiers that are not assessed as mediation bodies.
NOT_ASSESSED = (OrgKind.JUSTICE_BUREAU, OrgKind.JUSTICE_OFFICE, OrgKind.COURT, OrgKind.POLICE, OrgKind.PETITION)


def _own(principal: Principal, org: Organisation, roles: tuple[Role, ...]) -> bool:
    return any(g.via is None and g.role in roles and org.path.startswith(g.path) for g in principal.grants)


def can_edit(principal: Principal, owner: Organisation) -> bool:
    return _own(principal, owner, (Role.ADMIN,))


def can_manage(principal: Principal, owner: Organisation) -> bool:
    """Compute, adjust and publish: the assessing body's own 督导 and administrators."""
    return _own(principal, owner, MANAGE_ROLES)


def owner_of(db: Session, rubric: Rubric) -> Organisation:
    org = db.get(Organisation, rubric.org_id)
    assert org is not None
    return org


def get_rubric(db: Session, principal: Principal, rubric_id: int) -> Rubric:
    """A rubric the viewer may read: its assessing body lies in their scope (a rubric is no secret; only its body's
    administrators edit it, and its 督导 and administrators compute, adjust and publish)."""
    found = db.get(Rubric, rubric_id)
    if found is None or not (principal.sees(owner_of(db, found).path) or can_manage(principal, owner_of(db, found))):
        raise OutOfScope("考核细则不存在或您无权查看。", object_type="assessment_rubric", object_id=rubric_id)
    return found


def managed_rubrics(db: Session, principal: Principal) -> list[tuple[Rubric, Organisation, Organisation | None]]:
    rows = db.exec(select(Rubric).where(Rubric.active == True).order_by(Rubric.id)).all()  # noqa: E712
    out = []
    for r in rows:
        owner = owner_of(db, r)
        if can_manage(principal, owner):
            out.append((r, owner, db.get(Organisation, r.assessed_id)))
    return out


def assessed_bodies(db: Session, rubric: Rubric) -> list[Organisation]:
    """The bodies a rubric assesses: the active mediation bodies directly under its assessed organisation."""
    return list(
        db.exec(
            select(Organisation)
            .where(
                Organisation.parent_id == rubric.assessed_id,
                Organisation.active == True,  # noqa: E712
                Organisation.kind.not_in(NOT_ASSESSED),
            )
            .order_by(Organisation.sort_order, Organisation.id)
        ).all()
    )


def items(db: Session, rubric_id: int, *, active_only: bool = True) -> list[RubricItem]:
    query = select(RubricItem).where(RubricItem.rubric_id == rubric_id)
    if active_only:
        query = query.where(RubricItem.active == True)  # noqa: E712
    return list(db.exec(query.order_by(RubricItem.position, RubricItem.id)).all())


def owner_options(db: Session, principal: Principal) -> list[Organisation]:
    """Where the person may own a rubric: active organisations under their own administrator roles."""
    roots = [g.path for g in principal.memberships if g.role is Role.ADMIN]
    if not roots:
        return []
    return list(
        db.exec(
            select(Organisation)
            .where(or_(*[Organisation.path.startswith(r) for r in roots]), Organisation.active == True)  # noqa: E712
            .order_by(Organisation.path)
        ).all()
    )


@dataclass
class RubricForm:
    name: str = ""
    org_id: str = ""
    assessed_id: str = ""
    grades: str = "90 优秀\n80 良好\n70 合格"
    below: str = "不合格"
    version: str = ""


def save_rubric(
    db: Session, principal: Principal, form: RubricForm, rubric_id: int | None = None, *, address: str = ""
) -> Rubric:
    errors: dict[str, str] = {}
    if rubric_id is None:
        owner = principal.visible_org(db, inputs.id_or_none(form.org_id) or 0) if form.org_id else None
        if owner is None:
            if not principal.roots(Role.ADMIN):
                raise Forbidden("只有管理员可以制定考核细则。")
            errors["org_id"] = "请选择考核机构。"
        elif not can_edit(principal, owner):
            raise Forbidden("只有考核机构的管理员可以制定考核细则。")
        found = None
    else:
        found = get_rubric(db, principal, rubric_id)
        owner = owner_of(db, found)
        if not can_edit(principal, owner):
            raise Forbidden("只有考核机构的管理员可以修改考核细则。")
    assessed_id = inputs.id_or_none(form.assessed_id)
    assessed = db.get(Organisation, assessed_id) if assessed_id else None
    if assessed is None or not principal.sees(assessed.path):
        errors["assessed_id"] = "请选择被考核机构的上级机构（考核其直属各调解组织）。"
    name = form.name.strip()
    if not name or len(name) > 100:
        errors["name"] = "请填写细则名称（不超过 100 个字符）。"
    try:
        parse_grades(form.grades)
    except ValueError as exc:
        errors["grades"] = str(exc)
    below = form.below.strip() or "不合格"
    inputs.check_fields(errors, form, {"name": "细则名称", "grades": "等次", "below": "最低等次"}, names=("name",))
    if errors:
        raise Invalid(errors)
    assert owner is not None and assessed is not None and assessed.id is not None
    if found is None:
        found = Rubric(org_id=owner.id, assessed_id=assessed.id, name=name, created_by=principal.person.id)
    elif form.version != str(found.version):
        raise Conflict("该考核细则刚刚已被他人修改。请刷新页面后再操作。")
    else:
        found.version += 1
    found.name, found.assessed_id, found.grades, found.below = name, assessed.id, form.grades.strip(), below[:20]
    found.updated_at = utcnow()
    db.add(found)
    db.flush()
    _audit(db, principal, owner, found, f"考核细则“{found.name}”：{'新建' if found.version == 1 else '修改'}", address)
    return found


@dataclass
class ItemForm:
    name: str = ""
    mode: str = ItemMode.TARGET.value
    indicator: str = ""
    baseline: str = ""
    weight: str = ""
    target: str = ""
    per_unit: str = ""
    position: str = ""


def indicator_options() -> list[tuple[str, str]]:
    return [(k, f"{i.name}（{i.unit}）") for k, i in INDICATORS.items()]


def _decimal(raw: str, label: str, errors: dict[str, str], field: str, *, needed: bool) -> Decimal | None:
    text = raw.strip()
    if not text:
        if needed:
            errors[field] = f"请填写{label}。"
        return None
    try:
        value = Decimal(text) if text.isascii() and text.replace(".", "", 1).isdigit() else None
    except InvalidOperation:
        value = None
    if value is None or value > Decimal("100000") or value != value.quantize(Decimal("0.01")):
        errors[field] = f"{label}应为不小于 0 的数字（最多两位小数）。"
        return None
    return value


def add_item(db: Session, principal: Principal, rubric_id: int, form: ItemForm, *, address: str = "") -> RubricItem:
    rubric = get_rubric(db, principal, rubric_id)
    owner = owner_of(db, rubric)
    if not can_edit(principal, owner):
        raise Forbidden("只有考核机构的管理员可以修改考核细则。")
    errors: dict[str, str] = {}
    try:
        mode = ItemMode(form.mode)
    except ValueError:
        mode, errors["mode"] = ItemMode.TARGET, "请选择计分方式。"
    name = form.name.strip()
    if not name or len(name) > 100:
        errors["name"] = "请填写考核项目（不超过 100 个字符）。"
    inputs.check_fields(errors, form, {"name": "考核项目"}, names=("name",))
    indicator = form.indicator.strip() if mode is not ItemMode.MANUAL else ""
    baseline = form.baseline.strip() if mode is ItemMode.DEDUCT else ""
    if mode is not ItemMode.MANUAL and indicator not in INDICATORS:
        errors["indicator"] = "请选择统计指标。"
    if baseline and baseline not in INDICATORS:
        errors["baseline"] = "应达指标无效。"
    if mode is ItemMode.DEDUCT and indicator in INDICATORS and INDICATORS[indicator].is_rate:
        errors["indicator"] = "按件扣分的项目应选择计数指标，不能选择比率。"
    weight = _decimal(form.weight, "分值", errors, "weight", needed=True)
    target = _decimal(form.target, "目标值", errors, "target", needed=mode is ItemMode.TARGET)
    per_unit = _decimal(form.per_unit, "每件扣分", errors, "per_unit", needed=mode is ItemMode.DEDUCT)
    if errors:
        raise Invalid(errors)
    lock(db, Rubric, rubric.id)  # items of one rubric are numbered one at a time
    position = len(items(db, rubric.id, active_only=False)) + 1
    item = RubricItem(
        rubric_id=rubric.id,
        position=position,
        name=name,
        mode=mode,
        indicator=indicator,
        baseline=baseline,
        weight=weight,
        target=target if mode is ItemMode.TARGET else None,
        per_unit=per_unit if mode is ItemMode.DEDUCT else None,
    )
    db.add(item)
    db.flush()
    _audit(db, principal, owner, rubric, f"考核细则“{rubric.name}”：新增项目“{name}”（{weight} 分）", address)
    return item


def remove_item(db: Session, principal: Principal, rubric_id: int, item_id: int, *, address: str = "") -> None:
    """Items leave a rubric but stay (published scores cite them)."""
    rubric = get_rubric(db, principal, rubric_id)
    owner = owner_of(db, rubric)
    if not can_edit(principal, owner):
        raise Forbidden("只有考核机构的管理员可以修改考核细则。")
    item = db.get(RubricItem, item_id)
    if item is None or item.rubric_id != rubric.id or not item.active:
        raise Conflict("该考核项目已被删除。")
    item.active = False
    item.version += 1
    db.add(item)
    db.flush()
    _audit(db, principal, owner, rubric, f"考核细则“{rubric.name}”：删除项目“{item.name}”", address)


def _audit(db: Session, principal: Principal, owner: Organisation, rubric: Rubric, summary: str, address: str) -> None:
    audit.record(
        db,
        "assessment.rubric",
        actor=principal.person,
        org=owner,
        object_type="assessment_rubric",
        object_id=rubric.id,
        summary=summary,
        address=address,
    )
