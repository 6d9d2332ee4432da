"""Calendar months: what a case's received date (收到日期) puts it in, and the month an alert speaks of."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @classmethod
    def parse(cls, text: str) -> Month | None:
        """'2026-03' (as in the page's month field), or None when it is not a month between 2000 and 2999."""
        found = re.fullmatch(r"(2\d{3})-(0[1-9]|1[0-2])", text.strip())
        return cls(int(found[1]), int(found[2])) if found else None

    @property
    def index(self) -> int:
        """Months since year 0: months subtract and add as numbers."""
        return self.year * 12 + self.month - 1

    @classmethod
    def at(cls, index: int) -> Month:
        return cls(index // 12, index % 12 + 1)

    def shift(self, months: int) -> Month:
        return Month.at(self.index + months)

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last(self) -> date:
        return self.shift(1).first - timedelta(days=1)

    @property
    def label(self) -> str:
        return f"{self.year}年{self.month}月"

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"
