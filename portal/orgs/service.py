"""Organisations: scoped reads, and creation and changes by administrators."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import String, func, literal, update
from sqlmodel import Session, col, select

from portal import inputs
from portal.audit import service as audit
from portal.auth import sessions
from portal.cases import numbers
from portal.db import stored_id, utcnow
from portal.errors import Conflict, Forbidden, Invalid
from portal.orgs import moves, ordering
from portal.orgs.models import TIER_ORDER, Organisation, OrgKind, Tier
from portal.people.models import Membership, Person, Role
from portal.scope import Principal

_DIVISION_CODE = re.compile(r"[0-9]{6}([0-9]{3}([0-9]{3})?)?")
AUDITED_FIELDS = (
    "name",
    "short_name",
    "number_prefix",
    "number_word",
    "division_code",
    "tier",
    "kind",
    "parent_id",
    "sort_order",
    "active",
)


@dataclass
class TreeNode:
    org: Organisation
    children: list[TreeNode] = field(default_factory=list)


def visible_orgs(
    db: Session, principal: Principal, *, include_inactive: bool = True, q: str = "", tier: Tier | None = None
) -> list[Organisation]:
    """Every organisation in the person's scope, in tree order."""
    query = select(Organisation).where(principal.path_filter(Organisation.path))
    if not include_inactive:
        query = query.where(Organisation.active == True)  # noqa: E712
    if q:
        query = query.where(Organisation.name.contains(q, autoescape=True) | (Organisation.short_name == q))
    if tier:
        query = query.where(Organisation.tier == tier)
    return ordering.tree_order(db.exec(query).all())


def acting_orgs(db: Session, principal: Principal, *roles: Role) -> list[Organisation]:
    """Active organisations where the person holds one of `roles` (over their subtrees), in tree order."""
    query = select(Organisation).where(principal.path_filter(Organisation.path, *roles), Organisation.active == True)  # noqa: E712
    return list(db.exec(query.order_by(Organisation.path)).all())


def org_choices(db: Session, principal: Principal) -> list[tuple[int, str, int]]:
    """Organisations in scope as (id, name, depth), each followed by its subtree: the light query behind drop-downs."""
    rows = db.exec(
        select(
            Organisation.id, Organisation.name, Organisation.depth, Organisation.parent_id, Organisation.sort_order
        ).where(principal.path_filter(Organisation.path))
    ).all()
    return [(stored_id(row.id), row.name, row.depth) for row in ordering.tree_order(rows)]


def build_tree(orgs: list[Organisation]) -> list[TreeNode]:
    """Nest the organisations; those whose parent is not in the list become roots."""
    nodes = {o.id: TreeNode(o) for o in orgs}
    roots: list[TreeNode] = []
    for org in orgs:  # parents come first: ordered by depth
        parent = nodes.get(org.parent_id) if org.parent_id else None
        (parent.children if parent else roots).append(nodes[org.id])
    return roots


def visible_ancestors(db: Session, principal: Principal, org: Organisation) -> list[Organisation]:
    """The organisation's ancestors that the person may see, from the top down (for breadcrumbs)."""
    ids = org.ancestor_ids
    if not ids:
        return []
    rows = db.exec(select(Organisation).where(Organisation.id.in_(ids))).all()
    by_id = {o.id: o for o in rows}
    return [by_id[i] for i in ids if i in by_id and principal.sees(by_id[i].path)]


def children(db: Session, principal: Principal, org: Organisation) -> list[Organisation]:
    principal.visible_org(db, org.id)
    return list(
        db.exec(
            select(Organisation)
            .where(Organisation.parent_id == org.id)
            .order_by(Organisation.sort_order, Organisation.id)
        ).all()
    )


def descendant_counts(db: Session, org: Organisation) -> dict[str, int]:
    """How many organisations and people lie in the subtree."""
    orgs = db.exec(
        select(func.count())
        .select_from(Organisation)
        .where(col(Organisation.path).startswith(org.path, autoescape=True))
    ).one()
    people = db.exec(
        select(func.count(func.distinct(Membership.person_id)))
        .join(Organisation, Organisation.id == Membership.org_id)
        .join(Person, Person.id == Membership.person_id)
        .where(col(Organisation.path).startswith(org.path, autoescape=True), Person.active == True)  # noqa: E712
    ).one()
    return {"orgs": orgs - 1, "people": people}


@dataclass
class OrgForm:
    """What the create/edit form posts; strings as typed, so a failed form re-renders them."""

    name: str = ""
    short_name: str = ""
    number_prefix: str = ""
    number_word: str = numbers.DEFAULT_WORD
    division_code: str = ""
    tier: str = ""
    kind: str = ""
    parent_id: str = ""
    sort_order: str = "0"
    version: str = ""

    @classmethod
    def of(cls, org: Organisation) -> OrgForm:
        return cls(
            name=org.name,
            short_name=org.short_name,
            number_prefix=org.number_prefix,
            number_word=org.number_word,
            division_code=org.division_code or "",
            tier=org.tier.value,
            kind=org.kind.value,
            parent_id=str(org.parent_id or ""),
            sort_order=str(org.sort_order),
            version=str(org.version),
        )


def _validate(
    db: Session, principal: Principal, form: OrgForm, *, editing: Organisation | None
) -> tuple[dict, Organisation | None]:
    errors: dict[str, str] = {}
    values: dict = {}
    name = form.name.strip()
    if not name:
        errors["name"] = "请填写机构名称。"
    elif len(name) > 100:
        errors["name"] = "机构名称不能超过 100 个字符。"
    inputs.check_text(errors, "name", name, label="机构名称", name=True)
    values["name"] = name
    short = form.short_name.strip()
    if not short:
        errors["short_name"] = "请填写简称（用作案号前缀，如“峄”）。"
    elif len(short) > 10 or not re.fullmatch(r"[0-9A-Za-z_\u3400-\u9fff]+", short):
        errors["short_name"] = "简称为 1–10 个汉字、字母或数字。"
    values["short_name"] = short
    prefix = form.number_prefix.strip()
    if prefix and (len(prefix) > 10 or not re.fullmatch(r"[\w\u3400-\u9fff]+", prefix)):
        errors["number_prefix"] = "案号前缀为 1–10 个汉字、字母或数字，不填则用简称。"
    values["number_prefix"] = prefix
    word = form.number_word.strip() or numbers.DEFAULT_WORD
    if problem := numbers.word_problem(word):
        errors["number_word"] = problem
    values["number_word"] = word
    code = form.division_code.strip()
    if code and not _DIVISION_CODE.fullmatch(code):
        errors["division_code"] = "行政区划代码应为 6、9 或 12 位数字。"
    values["division_code"] = code or None
    try:
        values["tier"] = Tier(form.tier)
    except ValueError:
        errors["tier"] = "请选择层级。"
    try:
        values["kind"] = OrgKind(form.kind)
    except ValueError:
        errors["kind"] = "请选择机构类别。"
    try:
        values["sort_order"] = inputs.integer(form.sort_order or 0, label="排序号", low=-1_000_000, high=1_000_000)
    except inputs.BadInput as exc:
        errors["sort_order"] = exc.message
    parent: Organisation | None = None
    if form.parent_id.strip():
        if (parent_id := inputs.id_or_none(form.parent_id)) is None:
            errors["parent_id"] = "上级机构无效。"
        else:
            parent = principal.visible_org(db, parent_id)
            if editing and parent.path.startswith(editing.path):
                errors["parent_id"] = "不能把机构移到它自己或它的下级之下。"
            elif not principal.has_role_over(parent.path, Role.ADMIN):
                errors["parent_id"] = "只能选择您管理范围内的上级机构。"
    elif editing is None or editing.parent_id is not None:
        errors["parent_id"] = "请选择上级机构。"
    values["parent_id"] = parent.id if parent else None
    if parent and "tier" in values and TIER_ORDER.index(values["tier"]) < TIER_ORDER.index(parent.tier):
        errors["tier"] = f"层级不能高于上级机构（{parent.tier.label}）。"
    if parent and name and "name" not in errors:
        clash = db.exec(
            select(Organisation.id).where(
                Organisation.parent_id == parent.id,
                Organisation.name == name,
                Organisation.id != (editing.id if editing else -1),
            )
        ).first()
        if clash:
            errors["name"] = "同一上级下已有同名机构。"
    if errors:
        raise Invalid(errors)
    return values, parent


def create(db: Session, principal: Principal, form: OrgForm, *, address: str = "") -> Organisation:
    if not principal.can_admin:
        raise Forbidden("只有管理员可以新建组织机构。")
    if (parent_id := inputs.id_or_none(form.parent_id)) is not None:  # permission before validation: an outsider
        principal.require_admin_over(principal.visible_org(db, parent_id))  # learns nothing from the errors
    values, parent = _validate(db, principal, form, editing=None)
    assert parent is not None
    org = Organisation(**values, depth=parent.depth + 1)
    db.add(org)
    db.flush()
    org.path = f"{parent.path}{org.id}/"
    db.add(org)
    audit.record(
        db,
        "org.create",
        actor=principal.person,
        org=org,
        object_type="organisation",
        object_id=org.id,
        summary=f"新建组织：{org.name}",
        changes=audit.diff({}, {k: getattr(org, k) for k in AUDITED_FIELDS}),
        address=address,
    )
    return org


def _check_version(org: Organisation, version: str) -> None:
    if str(org.version) != version.strip():
        raise Conflict("该机构已被他人修改。请查看最新内容后重新填写您的修改。")


def update_org(db: Session, principal: Principal, org_id: int, form: OrgForm, *, address: str = "") -> Organisation:
    org = principal.visible_org(db, org_id)
    principal.require_admin_over(org)
    _check_version(org, form.version)
    values, parent = _validate(db, principal, form, editing=org)
    moved = values["parent_id"] != org.parent_id
    if moved and not principal.has_role_over(_parent_path(org), Role.ADMIN):
        raise Forbidden("您不能移动自己所管理的最上级机构。")
    before = {k: getattr(org, k) for k in AUDITED_FIELDS}
    for key, value in values.items():
        setattr(org, key, value)
    followed: dict[str, int] = {}
    if moved and parent is not None:
        followed = _move_subtree(db, org, parent)
    org.version += 1
    org.updated_at = utcnow()
    db.add(org)
    sessions.forget_everyone()  # remembered principals hold organisations' names and paths
    changes = audit.diff(before, {k: getattr(org, k) for k in AUDITED_FIELDS})
    if changes:
        audit.record(
            db,
            "org.update",
            actor=principal.person,
            org=org,
            object_type="organisation",
            object_id=org.id,
            summary=f"修改组织：{org.name}" + (moves.summary(followed) if moved else ""),
            changes=changes,
            address=address,
        )
    return org


def _parent_path(org: Organisation) -> str:
    return org.path[: org.path.rstrip("/").rfind("/") + 1]


def _move_subtree(db: Session, org: Organisation, parent: Organisation) -> dict[str, int]:
    """Rewrite the materialised paths of the organisation and everything below it, and every stored copy of them
    (portal.orgs.moves), in this transaction."""
    old_path, new_path = org.path, f"{parent.path}{org.id}/"
    shift = parent.depth + 1 - org.depth
    db.execute(
        update(Organisation)
        .where(col(Organisation.path).startswith(old_path, autoescape=True))
        .values(
            path=literal(new_path, String) + func.substr(Organisation.path, len(old_path) + 1, type_=String),
            depth=Organisation.depth + shift,
        )
        .execution_options(synchronize_session=False)
    )
    changed = moves.follow(db, old_path, new_path)
    db.refresh(org)
    return changed


def set_active(
    db: Session, principal: Principal, org_id: int, active: bool, *, version: str, address: str = ""
) -> Organisation:
    org = principal.visible_org(db, org_id)
    principal.require_admin_over(org)
    _check_version(org, version)
    if not active and any(g.org.id == org.id for g in principal.grants if g.role.value == "admin"):
        raise Forbidden("不能停用您自己担任管理员的机构。")
    if org.active == active:
        return org
    if not active:
        live_children = db.exec(
            select(func.count())
            .select_from(Organisation)
            .where(Organisation.parent_id == org.id, Organisation.active == True)  # noqa: E712
        ).one()
        if live_children:
            raise Forbidden(f"该机构下还有 {live_children} 个在用的下级机构，请先停用或移走它们。")
    org.active = active
    org.version += 1
    org.updated_at = utcnow()
    db.add(org)
    sessions.forget_everyone()  # a principal's roles count only in active organisations
    audit.record(
        db,
        "org.activate" if active else "org.deactivate",
        actor=principal.person,
        org=org,
        object_type="organisation",
        object_id=org.id,
        summary=("启用" if active else "停用") + f"组织：{org.name}",
        changes={"active": [not active, active]},
        address=address,
    )
    return org
