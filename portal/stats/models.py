"""Facts the statistics keep about cases that depend on other cases (see portal.stats.facts)."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class CaseRepeat(SQLModel, table=True):
    """A case one of whose parties (by ID number) had another case received on or before this one's day.

    `gap_days` is how many days before this case the nearest such case was received: the case counts as 重复访 when
    the gap is within PORTAL_RECENT_CASE_DAYS. A row of its own, not a column of the case, because another case's
    change rewrites it: a row of the case would then be locked by two transactions in either order. Nor a foreign
    key: on PostgreSQL its check would lock the case's row (FOR KEY SHARE) under the 重复访 lock, behind a request
    that holds the case (portal.db.lock, FOR UPDATE) and waits for the 重复访 lock itself — a deadlock. Cases are not
    deleted; `stale` would name a row left by one.
    """

    __tablename__ = "case_repeat"

    case_id: int = Field(primary_key=True)  # the case's id (see above: no foreign key)
    gap_days: int
