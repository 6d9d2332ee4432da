"""Bootstrapping: the first administrator, made from the command line (no default passwords)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import select

from portal.audit import service as audit
from portal.auth.passwords import hash_password, password_problem
from portal.db import transaction, utcnow
from portal.orgs.models import Organisation, OrgKind, Tier
from portal.people.models import Membership, Person, Role


@dataclass
class AdminRequest:
    username: str
    name: str
    password: str
    org_id: int | None = None
    org_name: str | None = None
    short_name: str | None = None
    tier: str = "city"


def create_admin(engine: Engine, req: AdminRequest) -> tuple[Person, Organisation]:
    """Create an administrator of an existing organisation, or of a new top organisation."""
    problem = password_problem(req.password, username=req.username)
    if problem:
        raise ValueError(problem)
    with transaction(engine) as db:
        if db.exec(select(Person.id).where(func.lower(Person.username) == req.username.lower())).first():
            raise ValueError(f"登录名 {req.username} 已存在。")
        if req.org_id is not None:
            org = db.get(Organisation, req.org_id)
            if org is None:
                raise ValueError(f"机构 {req.org_id} 不存在。")
        else:
            if not req.org_name or not req.short_name:
                raise ValueError("请用 --org-id 指定机构，或用 --org-name 和 --short-name 新建最上级机构。")
            org = Organisation(name=req.org_name, short_name=req.short_name, tier=Tier(req.tier), kind=OrgKind.CENTRE)
            db.add(org)
            db.flush()
            org.path = f"/{org.id}/"
            db.add(org)
        person = Person(
            username=req.username,
            name=req.name,
            password_hash=hash_password(req.password),
            password_changed_at=utcnow(),
        )
        db.add(person)
        db.flush()
        db.add(Membership(person_id=person.id, org_id=org.id, role=Role.ADMIN))
        audit.record(
            db,
            "person.create",
            actor_name="portal create-admin",
            org=org,
            object_type="person",
            object_id=person.id,
            summary=f"命令行创建管理员：{person.name}（{person.username}）",
        )
        return person, org
