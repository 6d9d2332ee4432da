"""Screening rounds (排查): who went where, and what they found."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from portal.db import utcnow, versioned


class ScreeningRound(SQLModel, table=True):
    """One round by one organisation; `findings` holds one finding per line."""

    __tablename__ = "screening_round"
    __mapper_args__ = versioned  # written WHERE version = :seen (portal.db)
    __table_args__ = (
        Index(
            "ix_screening_round_scope", "org_path", "held_on", "id", postgresql_ops={"org_path": "varchar_pattern_ops"}
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    org_path: str = Field(max_length=400)
    held_on: date
    participants: str = Field(max_length=200)
    area: str = Field(max_length=200)
    findings: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    findings_count: int = 0
    notes: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    version: int = 1
    created_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    @property
    def finding_lines(self) -> list[str]:
        return [line.strip() for line in self.findings.splitlines() if line.strip()]
