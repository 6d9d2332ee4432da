"""The expert pool (专家库): people outside the committees whom mediators may consult."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from portal.db import utcnow, versioned

# The fields offered in the form and the filter; replaceable data, not a closed list in the schema.
EXPERT_FIELDS = ["法律", "医学", "建筑", "心理", "农业", "财会", "交通", "劳动保障", "其他"]


class Expert(SQLModel, table=True):
    """An expert owned by an organisation and usable across its subtree."""

    __tablename__ = "expert"
    __mapper_args__ = versioned  # written WHERE version = :seen (portal.db)
    __table_args__ = (
        Index("ix_expert_org_path", "org_path", postgresql_ops={"org_path": "varchar_pattern_ops"}),
    )  # prefix LIKE

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    org_path: str = Field(max_length=400)
    name: str = Field(max_length=50)
    field: str = Field(max_length=20, index=True)
    employer: str = Field(default="", max_length=100)
    title: str = Field(default="", max_length=50)
    phone: str = Field(default="", max_length=20)
    notes: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    active: bool = True
    version: int = 1
    created_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
