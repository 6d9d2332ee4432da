"""One page of a filtered list: its rows, the total, and where it stands (filtered first, then paginated)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode


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

    def links(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        """What the pagination macro reads: where this page stands, and the neighbours' URLs under the same filter."""

        def link(number: int) -> str:
            return f"{path}?{urlencode({**params, 'page': number})}"

        return {
            "number": self.number,
            "total": self.total,
            "has_prev": self.has_prev,
            "has_next": self.has_next,
            "prev_url": link(self.number - 1),
            "next_url": link(self.number + 1),
        }
