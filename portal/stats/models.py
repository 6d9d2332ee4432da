"""Facts the statistics keep about cases that depend on other cases (see portal.stats.facts)."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class CaseRepeat(SQLModel, table=True):
    """A case one of whose parties (by ID number) had another case received on or before this one's day.

    `gap_days` is how many days before this case the nearest such case was received: the case counts as 重复访 when
    the gap is within PORTAL_RECENT_CASE_DAYS. A row of its own, not a column of the case, because another case's
    change rewrites it: a row of the case would then be locked by two transactions in either order. (Cases are not
    deleted; should one be, its row goes with it.)
    """

    __tablename__ = "case_repeat"

    case_id: int = Field(foreign_key="case.id", primary_key=True, ondelete="CASCADE")
    gap_days: int
