"""专报 tables: one draft per organisation and month (the editor's text, versioned), and its issued versions."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from portal.db import utcnow, versioned


class Bulletin(SQLModel, table=True):
    """The 专报 of an organisation's subtree for a month: what the editor wrote and picked. The numbers are not kept
    here: the draft shows them as the statistics count them now, an issued version as they were when it was issued."""

    __tablename__ = "bulletin"
    __table_args__ = (UniqueConstraint("org_id", "month", name="uq_bulletin_month"),)
    __mapper_args__ = versioned  # an edit is written WHERE version = :seen (portal.db)

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    month: str = Field(max_length=7, index=True)  # "2026-03"
    analysis: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))  # 研判分析
    advice: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))  # 工作建议
    typical: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # case ids, in order
    version: int = 1
    issues: int = 0  # how many versions have been issued
    created_by: int = Field(foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_by: int | None = Field(default=None, foreign_key="person.id")
    updated_by_name: str = Field(default="", max_length=64)
    updated_at: datetime = Field(default_factory=utcnow)


class BulletinIssue(SQLModel, table=True):
    """One issued (签发) version: its PDF and Excel annex stored by SHA-256, never changed; issuing again adds one."""

    __tablename__ = "bulletin_issue"
    __table_args__ = (UniqueConstraint("bulletin_id", "version", name="uq_bulletin_issue"),)

    id: int | None = Field(default=None, primary_key=True)
    bulletin_id: int = Field(foreign_key="bulletin.id", index=True)
    version: int
    number: str = Field(max_length=40)  # 文号: 〔2026〕第3期
    title: str = Field(max_length=200)
    text_version: int  # the draft's version that was issued
    variant: str = Field(max_length=12)
    sha256: str = Field(max_length=64)
    storage_key: str = Field(max_length=120)
    size: int
    pages: int
    annex_sha256: str = Field(max_length=64)
    annex_key: str = Field(max_length=120)
    annex_size: int
    issued_by: int = Field(foreign_key="person.id")
    issued_by_name: str = Field(max_length=64)
    issued_at: datetime = Field(default_factory=utcnow)
    issued_on: date  # the local day it was signed, printed on it
