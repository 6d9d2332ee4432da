"""Statistical periods: a month, a quarter, a year or a custom range of days, and the periods they compare with.

Every period is a closed range of calendar days in the portal's time zone. 环比 compares with the period just
before (the previous month, quarter or year; for a custom range the same number of days before it), 同比 with the
same days one year earlier.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

KINDS = {"month": "月", "quarter": "季度", "year": "年", "custom": "自定义"}
MAX_CUSTOM_DAYS = 3 * 366  # a custom range longer than this is cut: statistics over decades help nobody


@dataclass(frozen=True)
class Period:
    kind: str  # month | quarter | year | custom
    start: date
    end: date  # inclusive

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.start.year}年{self.start.month}月"
        if self.kind == "quarter":
            return f"{self.start.year}年第{(self.start.month - 1) // 3 + 1}季度"
        if self.kind == "year":
            return f"{self.start.year}年"
        return f"{self.start.isoformat()} 至 {self.end.isoformat()}"

    @property
    def short_label(self) -> str:
        """For chart axes and narrow columns."""
        if self.kind == "month":
            return f"{self.start.year % 100:02d}.{self.start.month:02d}"
        if self.kind == "quarter":
            return f"{self.start.year % 100:02d}Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "year":
            return str(self.start.year)
        return f"{self.start.month}.{self.start.day}–{self.end.month}.{self.end.day}"

    @property
    def value(self) -> str:
        """The query-string form of the period (see `parse`)."""
        if self.kind == "month":
            return f"{self.start.year}-{self.start.month:02d}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "year":
            return str(self.start.year)
        return f"{self.start.isoformat()}~{self.end.isoformat()}"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period 环比 compares with."""
        if self.kind == "custom":
            return Period("custom", self.start - timedelta(days=self.days), self.start - timedelta(days=1))
        return containing(self.kind, self.start - timedelta(days=1))

    def year_ago(self) -> Period:
        """The period 同比 compares with: the same days one year earlier."""
        if self.kind == "custom":
            return Period("custom", _years_back(self.start, 1), _years_back(self.end, 1))
        return containing(self.kind, _years_back(self.start, 1))

    def trend(self, count: int | None = None) -> list[Period]:
        """The periods of this kind ending with this one (months for a custom range), oldest first: by default 12
        months, 8 quarters or 5 years."""
        kind = "month" if self.kind == "custom" else self.kind
        count = count or {"quarter": 8, "year": 5}.get(kind, 12)
        periods = [containing(kind, self.end)]
        while len(periods) < count:
            periods.append(periods[-1].previous())
        return periods[::-1]


def _years_back(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _month_end(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


def containing(kind: str, day: date) -> Period:
    """The month, quarter or year that contains `day`."""
    if kind == "year":
        return Period("year", date(day.year, 1, 1), date(day.year, 12, 31))
    if kind == "quarter":
        first = (day.month - 1) // 3 * 3 + 1
        return Period("quarter", date(day.year, first, 1), _month_end(day.year, first + 2))
    return Period("month", date(day.year, day.month, 1), _month_end(day.year, day.month))


def parse(kind: str, value: str, today: date) -> tuple[Period, str | None]:
    """The period a query string asks for, or the current month with a note saying why not."""
    value = (value or "").strip()
    fallback = containing(kind if kind in ("month", "quarter", "year") else "month", today)
    if not value:
        return fallback, None
    try:
        if kind == "year":
            return containing("year", date(int(value), 1, 1)), None
        if kind == "quarter":
            year, _, quarter = value.upper().partition("-Q")
            if not 1 <= int(quarter) <= 4:
                raise ValueError
            return containing("quarter", date(int(year), int(quarter) * 3, 1)), None
        if kind == "custom":
            first, _, last = value.partition("~")
            start, end = date.fromisoformat(first.strip()), date.fromisoformat(last.strip())
            if end < start:
                start, end = end, start
            if (end - start).days >= MAX_CUSTOM_DAYS:
                cut = Period("custom", start, start + timedelta(days=MAX_CUSTOM_DAYS - 1))
                return cut, "自定义区间过长，已截为三年。"
            return Period("custom", start, end), None
        year, _, month = value.partition("-")
        return containing("month", date(int(year), int(month), 1)), None
    except ValueError:
        return fallback, "统计期间无效，已改为本月。"


def change(current: float | None, before: float | None) -> float | None:
    """The relative change from `before` to `current` (0.25 = +25 %), None when `before` is zero or unknown."""
    if current is None or before is None or before == 0:
        return None
    return (current - before) / before
