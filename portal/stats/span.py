"""What an indicator's SQL needs besides the indicator: the period's days, today, and the database's dialect.

Dates (received_on, closed_on …) are calendar days in the portal's zone and compare as they are. Moments (a
transfer's sent_at, answered_at) are stored in UTC: a period's days become the UTC instants of their local
midnights, and a moment's local day is worked out in SQL where it must be compared with a date column.

Every value enters the SQL as a bound parameter named after the span (`s0_start` …): a statement built once for a
shape of table is run again for other periods with `params()` (portal.stats.queries keeps them per scope).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Date, Integer, String, bindparam, cast, func
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlmodel.sql.sqltypes import UTCDateTime


@dataclass(frozen=True)
class Span:
    start: date
    end: date  # inclusive
    today: date
    dialect: str  # "sqlite" | "postgresql"
    zone: str = "Asia/Shanghai"
    recent_days: int = 180  # PORTAL_RECENT_CASE_DAYS: how far back another case makes a party a repeat visitor
    name: str = "s"  # the prefix of this span's parameters

    def params(self) -> dict[str, object]:
        """The values of every parameter this span's conditions use."""
        return {
            f"{self.name}_start": self.start,
            f"{self.name}_end": self.end,
            f"{self.name}_t0": self.instant(self.start),
            f"{self.name}_t1": self.instant(self.end + timedelta(days=1)),
            "today": self.today,
            "recent_days": self.recent_days,
            "zone_shift": self._zone_shift,
        }

    def _bind(self, suffix: str, type_) -> BindParameter:  # noqa: ANN001
        key = f"{self.name}_{suffix}"
        return bindparam(key, value=self.params()[key], type_=type_)

    def bound(self, end: str) -> BindParameter:
        """The first ("start") or last ("end") day of the period, as the parameter `days` compares with."""
        return self._bind(end, Date())

    @property
    def today_param(self) -> BindParameter:
        return bindparam("today", value=self.today, type_=Date())

    @property
    def recent_param(self) -> BindParameter:
        return bindparam("recent_days", value=self.recent_days, type_=Integer())

    def days(self, column: ColumnElement) -> ColumnElement[bool]:
        """A date column inside the period."""
        return column.between(self._bind("start", Date()), self._bind("end", Date()))

    def moments(self, column: ColumnElement) -> ColumnElement[bool]:
        """A UTC timestamp column inside the period's local days."""
        return (column >= self._bind("t0", UTCDateTime())) & (column < self._bind("t1", UTCDateTime()))

    def instant(self, day: date) -> datetime:
        return datetime.combine(day, time(), tzinfo=ZoneInfo(self.zone)).astimezone(UTC)

    @property
    def _zone_shift(self) -> str:
        offset = datetime.now(ZoneInfo(self.zone)).utcoffset() or timedelta()
        return f"{int(offset.total_seconds() // 60):+d} minutes"

    def local_day(self, column: ColumnElement) -> ColumnElement:
        """The local calendar day of a UTC timestamp column, comparable with date columns.

        PostgreSQL converts exactly; SQLite (whose timestamps are UTC text) shifts by the zone's offset today, exact
        for zones without daylight saving such as Asia/Shanghai.
        """
        if self.dialect == "postgresql":
            return cast(func.timezone(self.zone, column), Date)
        return func.date(column, bindparam("zone_shift", value=self._zone_shift, type_=String()))
