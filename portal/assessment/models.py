"""考核: a rubric (items as data), and each month's assessment with its frozen scores and items."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Column, Index, Numeric, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from portal.db import enum_column, utcnow, versioned

POINTS = Numeric(6, 2)  # points are exact: 0.01 at most, never floats


class ItemMode(StrEnum):
    """How an item turns its indicator into points (docs/assessment.md)."""

    TARGET = "target"  # weight × min(1, value ÷ target): a rate or a count to reach
    DEDUCT = "deduct"  # weight − per unit × count (at least 0): overdue cases, missed 排查 rounds …
    MANUAL = "manual"  # entered by hand with a reason (联席会议 attendance, 案卷评查 …); full points until entered

    @property
    def label(self) -> str:
        return MODE_LABELS[self]


MODE_LABELS = {ItemMode.TARGET: "达标得分", ItemMode.DEDUCT: "按件扣分", ItemMode.MANUAL: "人工评分"}


class RunState(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"

    @property
    def label(self) -> str:
        return {"draft": "草稿（未发布）", "published": "已发布", "superseded": "已被新版本取代"}[self.value]


class Rubric(SQLModel, table=True):
    """A body's 考核细则: it assesses the direct subordinate bodies of `assessed_id` every month."""

    __tablename__ = "assessment_rubric"
    __mapper_args__ = versioned

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)  # the assessing body (司法局, 司法所 …)
    assessed_id: int = Field(foreign_key="organisation.id", index=True)  # its children are the bodies assessed
    name: str = Field(max_length=100)
    grades: str = Field(default="90 优秀\n80 良好\n70 合格", sa_column=Column(Text, nullable=False))
    below: str = Field(default="不合格", max_length=20)  # the grade under the lowest threshold
    active: bool = True
    version: int = 1
    created_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class RubricItem(SQLModel, table=True):
    """One item of a rubric: its points (weight), how they are earned, and from which indicator."""

    __tablename__ = "assessment_rubric_item"
    __mapper_args__ = versioned

    id: int | None = Field(default=None, primary_key=True)
    rubric_id: int = Field(foreign_key="assessment_rubric.id", index=True)
    position: int = 0
    name: str = Field(max_length=100)
    mode: ItemMode = Field(sa_type=enum_column(ItemMode))
    indicator: str = Field(default="", max_length=40)  # a key of portal.stats.indicators (not for manual items)
    baseline: str = Field(default="", max_length=40)  # deduct: count max(0, baseline − indicator), e.g. 应排查 − 排查
    weight: Decimal = Field(sa_column=Column(POINTS, nullable=False))
    target: Decimal | None = Field(default=None, sa_column=Column(Numeric(12, 2), nullable=True))  # % for rates
    per_unit: Decimal | None = Field(default=None, sa_column=Column(POINTS, nullable=True))
    active: bool = True
    version: int = 1


class Assessment(SQLModel, table=True):
    """One rubric's month, in revisions: a draft is computed and adjusted, then published and frozen; a recomputation
    after publication is a new revision with its reason, which supersedes the published one when it is published."""

    __tablename__ = "assessment"
    __mapper_args__ = versioned
    __table_args__ = (UniqueConstraint("rubric_id", "month", "revision", name="uq_assessment_revision"),)

    id: int | None = Field(default=None, primary_key=True)
    rubric_id: int = Field(foreign_key="assessment_rubric.id", index=True)
    month: str = Field(max_length=7, index=True)  # YYYY-MM
    revision: int = 1
    state: RunState = Field(default=RunState.DRAFT, sa_type=enum_column(RunState))
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))  # why a new revision
    rubric_name: str = Field(max_length=100)
    org_name: str = Field(max_length=100)  # the assessing body, as it was called
    assessed_name: str = Field(max_length=100)
    computed_by: int | None = Field(default=None, foreign_key="person.id")
    computed_at: datetime = Field(default_factory=utcnow)
    published_by: int | None = Field(default=None, foreign_key="person.id")
    published_at: datetime | None = None
    version: int = 1


class Score(SQLModel, table=True):
    """One body's result in one assessment revision: frozen once the revision is published."""

    __tablename__ = "assessment_score"
    __table_args__ = (
        UniqueConstraint("assessment_id", "org_id", name="uq_assessment_score_org"),
        Index("ix_assessment_score_org", "org_id", "assessment_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    org_id: int = Field(foreign_key="organisation.id")
    org_name: str = Field(max_length=100)
    total: Decimal = Field(sa_column=Column(POINTS, nullable=False))
    grade: str = Field(max_length=20)
    rank: int = 0


class ScoreItem(SQLModel, table=True):
    """One item of one body's score: the indicator's value, its evidence links, the computed and the final points."""

    __tablename__ = "assessment_score_item"
    __mapper_args__ = versioned
    __table_args__ = (UniqueConstraint("score_id", "item_id", name="uq_assessment_score_item"),)

    id: int | None = Field(default=None, primary_key=True)
    score_id: int = Field(foreign_key="assessment_score.id", index=True)
    item_id: int = Field(foreign_key="assessment_rubric_item.id")
    position: int = 0
    name: str = Field(max_length=100)
    mode: ItemMode = Field(sa_type=enum_column(ItemMode))
    weight: Decimal = Field(sa_column=Column(POINTS, nullable=False))
    value: str = Field(default="", max_length=40)  # the indicator's value as shown (e.g. "85.71%", "3")
    rule: str = Field(default="", max_length=200)  # how the points follow from it, in words
    evidence: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))  # JSON: label, n, href
    computed: Decimal = Field(sa_column=Column(POINTS, nullable=False))
    points: Decimal = Field(sa_column=Column(POINTS, nullable=False))
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))  # why points ≠ computed
    adjusted_by: int | None = Field(default=None, foreign_key="person.id")
    adjusted_at: datetime | None = None
    version: int = 1

    def evidence_list(self) -> list[dict]:
        return json.loads(self.evidence or "[]")
