"""The problem list (问题清单): items found, registered, resolved and struck off (seed 002)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from portal.db import enum_column, utcnow, versioned


class ProblemState(StrEnum):
    """发现一个、登记一个、解决一个、销号一个."""

    REGISTERED = "registered"
    RESOLVING = "resolving"
    RESOLVED = "resolved"
    STRUCK_OFF = "struck_off"

    @property
    def label(self) -> str:
        return STATE_LABELS[self]


STATE_LABELS = {
    ProblemState.REGISTERED: "已登记",
    ProblemState.RESOLVING: "化解中",
    ProblemState.RESOLVED: "已化解",
    ProblemState.STRUCK_OFF: "已销号",
}
OPEN_STATES = (ProblemState.REGISTERED, ProblemState.RESOLVING)


class RiskLevel(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def label(self) -> str:
        return {"low": "低", "medium": "中", "high": "高"}[self.value]


SOURCES = ["排查", "网格员上报", "来访", "联席会议", "其他"]
SCREENING_SOURCE = "排查"
MEETING_SOURCE = "联席会议"


class Problem(SQLModel, table=True):
    """One item on an organisation's list; `org_path` copies the organisation's path for scoped queries."""

    __tablename__ = "problem"
    __mapper_args__ = versioned  # written WHERE version = :seen (portal.db)
    __table_args__ = (
        Index(
            "ix_problem_scope_list", "org_path", "found_on", "id", postgresql_ops={"org_path": "varchar_pattern_ops"}
        ),
        # a screening finding becomes one problem item (rows without a finding are NULL there, and never collide)
        Index("uq_problem_finding", "screening_id", "screening_finding", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    org_path: str = Field(max_length=400)
    title: str = Field(max_length=120)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    source: str = Field(max_length=20)
    found_on: date
    risk: RiskLevel = Field(default=RiskLevel.LOW, sa_type=enum_column(RiskLevel, 10))
    responsible_id: int | None = Field(default=None, foreign_key="person.id")
    due_on: date | None = None
    state: ProblemState = Field(default=ProblemState.REGISTERED, sa_type=enum_column(ProblemState))
    resolution: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    struck_note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    resolved_on: date | None = None
    struck_off_on: date | None = None
    screening_id: int | None = Field(default=None, foreign_key="screening_round.id", index=True)
    screening_finding: int | None = None  # which line of the round's findings this item came from
    version: int = 1
    created_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ProblemEvent(SQLModel, table=True):
    """The item's history, shown on its page to everyone who may read it."""

    __tablename__ = "problem_event"

    id: int | None = Field(default=None, primary_key=True)
    problem_id: int = Field(foreign_key="problem.id", index=True)
    at: datetime = Field(default_factory=utcnow)
    actor_id: int | None = Field(default=None, foreign_key="person.id")
    actor_name: str = Field(default="", max_length=64)
    kind: str = Field(max_length=30)
    summary: str = Field(default="", max_length=500)
