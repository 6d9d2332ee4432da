"""One page of a filtered list: its rows, the total, and where it stands (filtered first, then paginated)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Page:
    rows: list[Any]
    total: int
    number: int
    size: int

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number * self.size < self.total
