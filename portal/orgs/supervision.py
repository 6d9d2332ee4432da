"""Supervision (督导关系): which subtrees a supervising body reads, edited by administrators (DOMAIN §8).

A 司法所 sits beside its township's committee, not above the villages; the 司法局 beside the county centre. So a
supervising body names the organisations whose subtrees it supervises, by id (a move of either keeps the relation),
and its 督导 read them through `portal.scope.load_principal`. Only an administrator over both ends may add a pair:
nobody hands out a view of a subtree they do not administer themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from portal.audit import service as audit
from portal.auth import sessions
from portal.db import utcnow
from portal.errors import Conflict, Forbidden, Invalid, NotFound
from portal.orgs.models import Organisation, Supervision
from portal.people.models import Role
from portal.scope import Principal

_SUPERVISED = aliased(Organisation)


@dataclass(frozen=True)
class Pair:
    """One supervised subtree of a body, or one body supervising an organisation, as shown on its page."""

    id: int
    org: Organisation


def supervised_by(db: Session, principal: Principal, org: Organisation) -> list[Pair]:
    """The organisations whose subtrees `org` supervises, those the viewer may see."""
    rows = db.exec(
        select(Supervision.id, Organisation)
        .join(Organisation, Organisation.id == Supervision.supervised_id)
        .where(Supervision.org_id == org.id)
        .order_by(Organisation.path)
    ).all()
    return [Pair(sid, o) for sid, o in rows if principal.sees(o.path)]


def supervisors_of(db: Session, principal: Principal, org: Organisation) -> list[Organisation]:
    """The visible bodies that supervise `org` or one of its ancestors (whose 督导 therefore read it)."""
    ids = [*org.ancestor_ids, org.id]
    rows = db.exec(
        select(Organisation)
        .join(Supervision, Supervision.org_id == Organisation.id)
        .where(Supervision.supervised_id.in_(ids))
        .distinct()
        .order_by(Organisation.path)
    ).all()
    return [o for o in rows if principal.sees(o.path)]


def tree_labels(db: Session, principal: Principal) -> dict[int, list[str]]:
    """For the tree: each visible supervising body's id → the names of the visible organisations it supervises."""
    rows = db.exec(
        select(Organisation.id, Organisation.path, _SUPERVISED.name, _SUPERVISED.path)
        .join(Supervision, Supervision.org_id == Organisation.id)
        .join(_SUPERVISED, _SUPERVISED.id == Supervision.supervised_id)
        .where(principal.path_filter(Organisation.path))
        .order_by(_SUPERVISED.path)
    ).all()
    labels: dict[int, list[str]] = {}
    for org_id, _path, name, supervised_path in rows:
        if principal.sees(supervised_path):
            labels.setdefault(org_id, []).append(name)
    return labels


def candidates(db: Session, principal: Principal, org: Organisation) -> list[tuple[str, str]]:
    """What an administrator may add: active organisations they administer, outside `org`'s own subtree."""
    if not principal.has_role_over(org.path, Role.ADMIN):
        return []
    taken = {p.org.id for p in supervised_by(db, principal, org)}
    rows = db.exec(
        select(Organisation.id, Organisation.name, Organisation.depth, Organisation.path)
        .where(principal.path_filter(Organisation.path, Role.ADMIN), Organisation.active == True)  # noqa: E712
        .order_by(Organisation.path)
    ).all()
    top = min((depth for _, _, depth, _ in rows), default=0)
    return [
        (str(oid), "　" * (depth - top) + name)
        for oid, name, depth, path in rows
        if oid not in taken and not path.startswith(org.path)
    ]


def add(db: Session, principal: Principal, org_id: int, supervised_id: str, *, address: str = "") -> Organisation:
    """`org` supervises the subtree of `supervised_id` from now on; its 督导 read it at their next request."""
    org = principal.visible_org(db, org_id)
    principal.require_admin_over(org)
    target = principal.visible_org(db, int(supervised_id)) if supervised_id.strip().isdigit() else None
    if target is None:
        raise Invalid({"supervised_id": "请选择被督导的机构。"})
    if not principal.has_role_over(target.path, Role.ADMIN):
        raise Forbidden("只能把您管理范围内的机构交由督导。")
    if target.path.startswith(org.path):
        raise Invalid({"supervised_id": "该机构是本机构或其下级，本机构的督导本来就能查看。"})
    if not (org.active and target.active):
        raise Invalid({"supervised_id": "停用的机构不能建立督导关系。"})
    # The unique pair decides between two administrators adding it at once: the second inserts nothing.
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    added = db.execute(
        insert(Supervision)
        .values(org_id=org.id, supervised_id=target.id, created_by=principal.person.id, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["org_id", "supervised_id"])
        .returning(Supervision.id)
    ).scalar_one_or_none()
    if added is None:
        raise Conflict(f"{org.name}已在督导{target.name}。")
    sessions.forget_everyone()  # remembered principals hold their supervised subtrees
    audit.record(
        db,
        "org.supervise",
        actor=principal.person,
        org=org,
        object_type="organisation",
        object_id=org.id,
        summary=f"设定督导关系：{org.name} 督导 {target.name}",
        changes={"supervised": [None, target.name]},
        address=address,
    )
    return target


def remove(db: Session, principal: Principal, org_id: int, supervision_id: int, *, address: str = "") -> Organisation:
    """End one supervised subtree of `org`; whoever removes it second is told it is gone."""
    org = principal.visible_org(db, org_id)
    principal.require_admin_over(org)
    pair = db.get(Supervision, supervision_id)
    target = db.get(Organisation, pair.supervised_id) if pair is not None and pair.org_id == org.id else None
    if target is None:
        raise NotFound("该督导关系不存在或已被解除。")
    gone = db.execute(
        delete(Supervision).where(Supervision.id == supervision_id, Supervision.org_id == org.id)
    ).rowcount
    if gone != 1:
        raise NotFound("该督导关系不存在或已被解除。")
    sessions.forget_everyone()
    audit.record(
        db,
        "org.unsupervise",
        actor=principal.person,
        org=org,
        object_type="organisation",
        object_id=org.id,
        summary=f"解除督导关系：{org.name} 不再督导 {target.name}",
        changes={"supervised": [target.name, None]},
        address=address,
    )
    return target
