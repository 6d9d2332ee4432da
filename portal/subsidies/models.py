"""Subsidy tables: tariffs and their rates, claims with their shares and approval steps, payment batches.

No table stores an organisation's path: claims are scoped through their case (`case.org_path`), tariffs and batches
through their body's row, so a move of the tree changes nothing here (portal.orgs.moves).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Column, Numeric, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from portal.db import enum_column, utcnow, versioned

MONEY = Numeric(12, 2)
RATIO = Numeric(5, 4)

# Difficulty grades in order, with their labels (a tariff gives each an amount).
GRADES = {"simple": "简易", "general": "一般", "difficult": "疑难", "major": "重大"}


class ClaimState(StrEnum):
    """Where a claim stands: awaiting one of the three approvals, approved, in a batch, paid — or refused."""

    DIRECTOR = "director"
    OFFICE = "office"
    BUREAU = "bureau"
    APPROVED = "approved"
    BATCHED = "batched"
    PAID = "paid"
    REFUSED = "refused"

    @property
    def label(self) -> str:
        return STATE_LABELS[self]


STATE_LABELS = {
    ClaimState.DIRECTOR: "待调委会主任审核",
    ClaimState.OFFICE: "待司法所审核",
    ClaimState.BUREAU: "待司法局审批",
    ClaimState.APPROVED: "已核准，待发放",
    ClaimState.BATCHED: "已列入发放表",
    ClaimState.PAID: "已发放",
    ClaimState.REFUSED: "不予补贴",
}
STEP_LABELS = {"director": "调委会主任审核", "office": "司法所审核", "bureau": "司法局审批"}


class Tariff(SQLModel, table=True):
    """A supervising body's tariff from `effective_from` until the body's next one takes effect."""

    __tablename__ = "subsidy_tariff"
    __table_args__ = (UniqueConstraint("org_id", "effective_from", name="uq_subsidy_tariff_from"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    effective_from: date
    oral_ratio: Decimal = Field(sa_column=Column(RATIO, nullable=False))  # share of the grade's amount, 0–1
    failed_ratio: Decimal | None = Field(default=None, sa_column=Column(RATIO, nullable=True))  # None: failed unpaid
    yearly_cap: Decimal | None = Field(default=None, sa_column=Column(MONEY, nullable=True))  # per mediator and year
    require_performed: bool = True
    note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)


class TariffRate(SQLModel, table=True):
    """One grade's amount in a tariff."""

    __tablename__ = "subsidy_rate"
    __table_args__ = (UniqueConstraint("tariff_id", "grade", name="uq_subsidy_rate_grade"),)

    id: int | None = Field(default=None, primary_key=True)
    tariff_id: int = Field(foreign_key="subsidy_tariff.id", index=True)
    grade: str = Field(max_length=12)
    amount: Decimal = Field(sa_column=Column(MONEY, nullable=False))


class PaymentBatch(SQLModel, table=True):
    """A body's monthly payment list (发放表): the approved claims it pays, frozen when made."""

    __tablename__ = "subsidy_batch"
    __mapper_args__ = versioned
    __table_args__ = (UniqueConstraint("org_id", "month", name="uq_subsidy_batch_month"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    month: str = Field(max_length=7)  # YYYY-MM
    claims: int = 0
    total: Decimal = Field(sa_column=Column(Numeric(14, 2), nullable=False))
    paid_on: date | None = None
    version: int = 1
    created_by: int | None = Field(default=None, foreign_key="person.id")
    created_by_name: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class Claim(SQLModel, table=True):
    """The subsidy claim of one case. `case_id` is unique: a case is claimed — and so paid — once, whatever happens
    at the same moment elsewhere (the database refuses the second row)."""

    __tablename__ = "subsidy_claim"
    __mapper_args__ = versioned
    __table_args__ = (UniqueConstraint("case_id", name="uq_subsidy_claim_case"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id")
    tariff_id: int = Field(foreign_key="subsidy_tariff.id", index=True)
    payer_id: int = Field(foreign_key="organisation.id", index=True)  # the tariff's body, which pays
    outcome: str = Field(max_length=10)  # written | oral | failed
    grade: str = Field(max_length=12)
    proposed_grade: str = Field(max_length=12)
    base_amount: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    ratio: Decimal = Field(sa_column=Column(RATIO, nullable=False))
    amount: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    state: ClaimState = Field(default=ClaimState.DIRECTOR, sa_type=enum_column(ClaimState), index=True)
    needs_office: bool = True
    note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    batch_id: int | None = Field(default=None, foreign_key="subsidy_batch.id", index=True)
    approved_on: date | None = None
    version: int = 1
    created_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ClaimShare(SQLModel, table=True):
    """One mediator's part of a claim (谁调解补助谁); `paid` is what the batch paid after the yearly cap."""

    __tablename__ = "subsidy_share"
    __table_args__ = (UniqueConstraint("claim_id", "person_id", name="uq_subsidy_share_person"),)

    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="subsidy_claim.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    person_name: str = Field(max_length=64)
    amount: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    paid: Decimal | None = Field(default=None, sa_column=Column(MONEY, nullable=True))


class ClaimStep(SQLModel, table=True):
    """One decision of the approval chain; (claim, step) is unique, so two approvers at once decide once."""

    __tablename__ = "subsidy_step"
    __table_args__ = (UniqueConstraint("claim_id", "step", name="uq_subsidy_step"),)

    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="subsidy_claim.id", index=True)
    step: str = Field(max_length=10)  # director | office | bureau
    decision: str = Field(max_length=10)  # approve | refuse
    grade_from: str = Field(max_length=12)
    grade_to: str = Field(max_length=12)
    amount: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    actor_id: int | None = Field(default=None, foreign_key="person.id")
    actor_name: str = Field(default="", max_length=64)
    at: datetime = Field(default_factory=utcnow)
