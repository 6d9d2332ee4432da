"""Accounts and role memberships; one person may hold roles in several organisations."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from portal.db import enum_column, utcnow, versioned


class Role(StrEnum):
    """Roles held in an organisation."""

    CLERK = "clerk"
    MEDIATOR = "mediator"
    DIRECTOR = "director"
    HEAD = "head"  # 负责人 of a body without a 调委会主任 (信访局 and 法院 centres, 派出所): signs its letters
    ARCHIVIST = "archivist"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.CLERK: "受理员",
    Role.MEDIATOR: "调解员",
    Role.DIRECTOR: "调委会主任",
    Role.HEAD: "负责人",
    Role.ARCHIVIST: "档案员",
    Role.SUPERVISOR: "督导",
    Role.ADMIN: "管理员",
}


class MediatorKind(StrEnum):
    FULL_TIME = "full_time"
    PART_TIME = "part_time"

    @property
    def label(self) -> str:
        return "专职" if self is MediatorKind.FULL_TIME else "兼职"


class Person(SQLModel, table=True):
    """A person with an account; `password_hash` is empty until a password is set."""

    __tablename__ = "person"
    __mapper_args__ = versioned  # written WHERE version = :seen (portal.db)

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=50)
    phone: str | None = Field(default=None, max_length=20)
    password_hash: str | None = Field(default=None, max_length=200)
    password_changed_at: datetime | None = None
    active: bool = True
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Membership(SQLModel, table=True):
    """A role a person holds in one organisation (and so over its subtree)."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("person_id", "org_id", "role", name="uq_membership_person_org_role"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    role: Role = Field(sa_type=enum_column(Role))
    mediator_kind: MediatorKind | None = Field(default=None, sa_type=enum_column(MediatorKind))
    specialities: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
