"""A review (研判) of an early-warning alert, kept under the alert's stable key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from portal.db import utcnow


class AlertReview(SQLModel, table=True):
    """Alerts are recomputed from the cases on every view; the review of one is stored once, under its key (rule,
    month, place, dispute type), so that it survives recomputation. The unique key makes a second review lose."""

    __tablename__ = "alert_review"
    __table_args__ = (UniqueConstraint("key", name="uq_alert_review_key"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=120)
    month: str = Field(max_length=7, index=True)  # "2026-03"
    rule: str = Field(max_length=20)
    org_id: int = Field(foreign_key="organisation.id", index=True)  # the area the alert was reviewed in
    observed: int  # what the alert counted when it was reviewed: a later count is shown beside it
    note: str = Field(sa_column=Column(Text, nullable=False))
    reviewed_by: int = Field(foreign_key="person.id")
    reviewer_name: str = Field(max_length=50)
    reviewed_at: datetime = Field(default_factory=utcnow)
