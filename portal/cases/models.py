"""Case tables: the case, its parties, mediators, timeline, transfers and records."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, Numeric, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from portal.db import enum_column, utcnow, versioned


class CaseState(StrEnum):
    """The states of the closed loop (DOMAIN §2), in order."""

    REGISTERED = "registered"
    REFUSED = "refused"
    ACCEPTED = "accepted"
    INVESTIGATING = "investigating"
    MEDIATING = "mediating"
    AGREED = "agreed"
    FAILED = "failed"
    CONFIRMING = "confirming"
    PERFORMING = "performing"
    CLOSED = "closed"
    FOLLOWED_UP = "followed_up"
    EVALUATED = "evaluated"

    @property
    def label(self) -> str:
        return STATE_LABELS[self]


STATE_LABELS = {
    CaseState.REGISTERED: "已登记",
    CaseState.REFUSED: "不予受理",
    CaseState.ACCEPTED: "已受理",
    CaseState.INVESTIGATING: "调查中",
    CaseState.MEDIATING: "调解中",
    CaseState.AGREED: "调解成功",
    CaseState.FAILED: "调解不成",
    CaseState.CONFIRMING: "司法确认中",
    CaseState.PERFORMING: "履行中",
    CaseState.CLOSED: "已结案",
    CaseState.FOLLOWED_UP: "已回访",
    CaseState.EVALUATED: "已评价（待立卷）",
}
OPEN_STATES = (
    CaseState.REGISTERED,
    CaseState.ACCEPTED,
    CaseState.INVESTIGATING,
    CaseState.MEDIATING,
    CaseState.AGREED,
    CaseState.CONFIRMING,
    CaseState.PERFORMING,
)
MEDIATION_STATES = (CaseState.ACCEPTED, CaseState.INVESTIGATING, CaseState.MEDIATING)  # the mediation deadline runs

CHANNELS = [
    "来访",
    "电话",
    "来信",
    "网络",
    "网格员上报",
    "主动排查",
    "信访移交",
    "法院委派/委托",
    "公安移交",
    "检察院移送",
    "部门移送",
]
OUTCOMES = {"written": "书面协议", "oral": "口头协议", "failed": "调解不成"}
PARTY_ROLES = ["申请人", "被申请人", "第三人", "代理人"]
ID_TYPES = {"resident_id": "居民身份证", "uscc": "统一社会信用代码", "passport": "护照", "other": "其他证件"}


class DisputeType(SQLModel, table=True):
    __tablename__ = "dispute_type"

    code: str = Field(primary_key=True, max_length=8)
    name: str = Field(max_length=40)
    parent_code: str | None = Field(default=None, max_length=8)
    active: bool = True


class CaseSequence(SQLModel, table=True):
    """The last case number issued by one committee in one year."""

    __tablename__ = "case_sequence"

    org_id: int = Field(foreign_key="organisation.id", primary_key=True)
    year: int = Field(primary_key=True)
    last: int = 0


_DIMS = ("org_path", "org_id", "dispute_type", "channel")  # where a case is counted, and what it is broken down by
STAT_INDEXES = {
    "ix_case_stat_received": (
        "received_on",
        *_DIMS,
        "state",
        "group_dispute",
        "risk_flag",
        "people_involved",
        "amount",
    ),
    "ix_case_stat_accepted": ("accepted_on", *_DIMS),
    "ix_case_stat_concluded": ("concluded_on", *_DIMS, "outcome", "number_org_id"),
    "ix_case_stat_closed": ("closed_on", *_DIMS, "followup_due_on", "followed_up_on", "evaluated", "satisfied"),
    "ix_case_stat_mediation_due": ("mediation_due_on", *_DIMS, "state", "concluded_on"),
    "ix_case_stat_followup_due": ("followup_due_on", *_DIMS, "followed_up_on"),
}


class Case(SQLModel, table=True):
    """A dispute handled by one organisation; `org_path` copies the organisation's path for scoped queries."""

    __tablename__ = "case"
    __mapper_args__ = versioned  # written WHERE version = :seen (portal.db)
    __table_args__ = (
        UniqueConstraint("number_org_id", "number_year", "number_seq", name="uq_case_number"),
        # Paths are matched by prefix: on PostgreSQL only pattern ops make LIKE 'p%' indexable under any locale.
        Index(
            "ix_case_scope_list", "org_path", "received_on", "id", postgresql_ops={"org_path": "varchar_pattern_ops"}
        ),
        Index(
            "ix_case_scope_state", "org_path", "state", postgresql_ops={"org_path": "varchar_pattern_ops"}
        ),  # counts per state
        Index("ix_case_state", "state", "id"),
        Index(
            "ix_case_type_state", "dispute_type", "state", "received_on", "id", "org_path"
        ),  # a type's page in date order; counts without the table
        Index("ix_case_received", "received_on", "id"),
        Index("ix_case_updated", "updated_at"),  # the newest change: whether cached list counts still hold
        # The statistics (portal.stats) count a period's cases from the index of the date that places them
        # (STAT_INDEXES): each holds every column the indicators and breakdowns of that date read.
        *(Index(name, *columns) for name, columns in STAT_INDEXES.items()),
    )

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    org_path: str = Field(max_length=400)
    number_org_id: int = Field(foreign_key="organisation.id")
    number_year: int
    number_prefix: str = Field(max_length=20)
    number_word: str = Field(default="人调字", max_length=10)  # 字号
    number_seq: int
    number: str = Field(max_length=60, index=True)
    title: str = Field(max_length=120)
    channel: str = Field(max_length=20)
    dispute_type: str = Field(foreign_key="dispute_type.code", max_length=8)
    summary: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    requests: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    amount: Decimal | None = Field(default=None, sa_column=Column(Numeric(14, 2), nullable=True))
    people_involved: int = 1
    group_dispute: bool = False
    risk_flag: bool = False
    state: CaseState = Field(default=CaseState.REGISTERED, sa_type=enum_column(CaseState))
    outcome: str | None = Field(default=None, max_length=10)
    received_on: date
    accepted_on: date | None = None
    closed_on: date | None = None
    concluded_on: date | None = None  # the day mediation ended, in success or failure (the statistics' 调结 date)
    mediation_due_on: date | None = None
    followup_due_on: date | None = None
    # Facts about the case's own records, kept by portal.stats.facts in the transaction that changes them:
    followed_up_on: date | None = None  # the first 回访 record's day
    evaluated: bool = False  # it has an evaluation (网上, 现场 or 回访评价)
    satisfied: bool = False  # … and every evaluation scored 4 or 5
    in_transfer: bool = False
    archived_at: datetime | None = None  # filed (立卷归档): the case is frozen until an archivist opens a correction
    version: int = 1
    created_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Party(SQLModel, table=True):
    __tablename__ = "party"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    role: str = Field(max_length=10)
    kind: str = Field(default="natural", max_length=10)  # natural | legal
    name: str = Field(max_length=100)
    sex: str = Field(default="", max_length=4)
    ethnicity: str = Field(default="", max_length=20)
    birth_date: date | None = None
    age: int | None = None
    occupation: str = Field(default="", max_length=50)
    id_type: str = Field(default="", max_length=16)
    id_number: str = Field(default="", max_length=40, index=True)
    phone: str = Field(default="", max_length=20)
    address: str = Field(default="", max_length=200)
    sort_order: int = 0


class CaseMediator(SQLModel, table=True):
    __tablename__ = "case_mediator"
    __table_args__ = (UniqueConstraint("case_id", "person_id", name="uq_case_mediator"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    lead: bool = False


class CaseEvent(SQLModel, table=True):
    """The timeline: who did what, when, from which organisation."""

    __tablename__ = "case_event"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    at: datetime = Field(default_factory=utcnow)
    actor_id: int | None = Field(default=None, foreign_key="person.id")
    actor_name: str = Field(default="", max_length=64)
    org_id: int | None = Field(default=None, foreign_key="organisation.id")
    org_name: str = Field(default="", max_length=100)
    kind: str = Field(max_length=30)
    summary: str = Field(default="", max_length=500)


class TransferState(StrEnum):
    AWAITING_SIGNOFF = "awaiting_signoff"
    SENT = "sent"
    ACCEPTED = "accepted"
    RETURNED = "returned"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return {
            "awaiting_signoff": "待审签",
            "sent": "已发送待接收",
            "accepted": "已接收",
            "returned": "已退回",
            "withdrawn": "已撤回",
        }[self.value]


TRANSFER_KINDS = ["移送", "交办", "上报", "下派", "转办", "访调对接", "诉调对接", "公调对接"]


OPEN_TRANSFER = text("state IN ('awaiting_signoff', 'sent')")


class Transfer(SQLModel, table=True):
    """A case sent from one organisation to another, with its letter, sign-off and answer."""

    __tablename__ = "transfer"
    __table_args__ = (  # prefix LIKE on both paths (see Case)
        Index("ix_transfer_from_path", "from_path", postgresql_ops={"from_path": "varchar_pattern_ops"}),
        Index("ix_transfer_to_path", "to_path", postgresql_ops={"to_path": "varchar_pattern_ops"}),
        # one open transfer per case: a draft awaiting sign-off, or one sent and not yet answered
        Index("uq_transfer_open", "case_id", unique=True, sqlite_where=OPEN_TRANSFER, postgresql_where=OPEN_TRANSFER),
        Index("ix_transfer_state_due", "state", "answer_due_on"),  # the queues: what waits, what is late
        Index("ix_transfer_sent", "sent_at"),  # a period's transfers (portal.stats)
        Index("ix_transfer_answer_due", "answer_due_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    from_org_id: int = Field(foreign_key="organisation.id", index=True)
    from_path: str = Field(max_length=400)
    to_org_id: int = Field(foreign_key="organisation.id", index=True)
    to_path: str = Field(max_length=400)
    kind: str = Field(max_length=10)
    letter: str = Field(sa_column=Column(Text, nullable=False))
    state: TransferState = Field(default=TransferState.AWAITING_SIGNOFF, sa_type=enum_column(TransferState))
    created_by: int = Field(foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)
    signer_org_id: int | None = Field(default=None, foreign_key="organisation.id")  # whose leader signs (cases.signing)
    signed_by: int | None = Field(default=None, foreign_key="person.id")
    sent_at: datetime | None = None
    answer_due_on: date | None = None
    answered_by: int | None = Field(default=None, foreign_key="person.id")
    answered_at: datetime | None = None
    answer_reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    answered_version: int | None = (
        None  # the case's version after the answer: a return stays in the sender's queue until it moves on
    )
    feedback: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    fed_back_at: datetime | None = None


class ReportRoute(SQLModel, table=True):
    """Where an organisation's quick reports (随手拍) go when not to the default (cases.reports.default_target)."""

    __tablename__ = "report_route"

    org_id: int = Field(foreign_key="organisation.id", primary_key=True)
    to_org_id: int | None = Field(default=None, foreign_key="organisation.id")  # None: the default target
    keep: bool = False  # the unit handles its own reports: they are registered there and go nowhere
    version: int = 1


class CaseRecord(SQLModel, table=True):
    """One record of the case: its `kind` decides the fields (portal.cases.record_kinds)."""

    __tablename__ = "case_record"
    __table_args__ = (Index("ix_case_record_kind_held", "kind", "held_on"),)  # a period's rulings (portal.stats)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    kind: str = Field(max_length=30, index=True)
    held_on: date | None = None
    fields: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)


class CaseFile(SQLModel, table=True):
    """An uploaded file: stored once under its SHA-256; a removal only marks it."""

    __tablename__ = "case_file"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    doc_type: str = Field(max_length=20)
    filename: str = Field(max_length=200)
    media_type: str = Field(max_length=100)
    size: int
    sha256: str = Field(max_length=64, index=True)
    storage_key: str = Field(max_length=80)
    uploaded_by: int = Field(foreign_key="person.id")
    uploaded_at: datetime = Field(default_factory=utcnow)
    removed: bool = False
    provided_by: str = Field(default="", max_length=100)  # the party whose ID copy or evidence it is (its 责任者)
