"""Audit entries and the single head row that serialises appends."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from portal.db import utcnow


class AuditEntry(SQLModel, table=True):
    """One thing that happened; `hash` covers the entry and the previous entry's hash."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_org_path", "org_path", postgresql_ops={"org_path": "varchar_pattern_ops"}),
    )  # prefix LIKE

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(unique=True, index=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor_id: int | None = Field(default=None, index=True)
    actor_name: str = Field(default="", max_length=64)
    org_id: int | None = Field(default=None)
    org_path: str = Field(default="", max_length=400)
    action: str = Field(max_length=40, index=True)
    object_type: str = Field(default="", max_length=40)
    object_id: str = Field(default="", max_length=40)
    summary: str = Field(default="", max_length=400)
    changes: str = Field(default="")
    address: str = Field(default="", max_length=64)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditHead(SQLModel, table=True):
    """Row id=1 holds the last sequence number and hash; updating it first serialises writers."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    seq: int = 0
    hash: str = Field(default="0" * 64, max_length=64)
