"""Meeting tables: the meeting, its participating bodies, the cases it discussed, its decisions.

No path is stored: a meeting is scoped through the rows of its convening and participating bodies."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from portal.db import utcnow


class Meeting(SQLModel, table=True):
    __tablename__ = "joint_meeting"

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)  # 召集单位
    held_on: date = Field(index=True)
    title: str = Field(max_length=120)
    place: str = Field(default="", max_length=120)
    chair: str = Field(default="", max_length=64)  # 主持人
    attendees: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))  # 参会人员, one per line
    minutes: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))  # 会议纪要
    created_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)


class MeetingBody(SQLModel, table=True):
    """A participating body (参会单位)."""

    __tablename__ = "joint_meeting_body"
    __table_args__ = (UniqueConstraint("meeting_id", "org_id", name="uq_joint_meeting_body"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="joint_meeting.id", index=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)


class MeetingCase(SQLModel, table=True):
    """A case the meeting discussed (研究案件), shown only to those who may see the case."""

    __tablename__ = "joint_meeting_case"
    __table_args__ = (UniqueConstraint("meeting_id", "case_id", name="uq_joint_meeting_case"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="joint_meeting.id", index=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    note: str = Field(default="", max_length=500)


class MeetingDecision(SQLModel, table=True):
    """A decision (议定事项) with its owner and deadline; it lives on as the 问题清单 item `problem_id`."""

    __tablename__ = "joint_meeting_decision"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="joint_meeting.id", index=True)
    text: str = Field(max_length=500)
    org_id: int = Field(foreign_key="organisation.id")  # the body responsible
    owner_id: int = Field(foreign_key="person.id")  # 责任人
    due_on: date
    problem_id: int = Field(foreign_key="problem.id", unique=True)
