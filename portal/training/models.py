"""Training sessions (培训) and who attended them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Column, Index, Numeric, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from portal.db import enum_column, utcnow, versioned


class TrainingKind(StrEnum):
    PRE_JOB = "pre_job"
    BUSINESS = "business"
    DEMO = "demo"

    @property
    def label(self) -> str:
        return KIND_LABELS[self]


KIND_LABELS = {TrainingKind.PRE_JOB: "岗前培训", TrainingKind.BUSINESS: "业务培训", TrainingKind.DEMO: "示范培训"}


class TrainingSession(SQLModel, table=True):
    """One session organised by one organisation; its attendees are people of the organiser's subtree."""

    __tablename__ = "training_session"
    __mapper_args__ = versioned  # written WHERE version = :seen (portal.db)
    __table_args__ = (
        Index("ix_training_session_scope", "org_path", "held_on", postgresql_ops={"org_path": "varchar_pattern_ops"}),
    )

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    org_path: str = Field(max_length=400)
    held_on: date
    topic: str = Field(max_length=200)
    kind: TrainingKind = Field(sa_type=enum_column(TrainingKind))
    hours: Decimal = Field(sa_column=Column(Numeric(5, 1), nullable=False))
    place: str = Field(default="", max_length=200)
    notes: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    version: int = 1
    created_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class TrainingAttendee(SQLModel, table=True):
    """One person at one session (once: a unique pair)."""

    __tablename__ = "training_attendee"
    __table_args__ = (UniqueConstraint("session_id", "person_id", name="uq_training_attendee"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="training_session.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
