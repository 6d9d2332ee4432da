"""From an indicator's value to an item's points, and from points to a grade and a rank: plain, exact arithmetic.

Points are Decimals rounded half up to 0.01; a rate is compared as numerator ÷ denominator (never a float).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from portal.assessment.models import ItemMode

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Measure:
    """What the statistics say for one body and item: a count, or a rate's parts."""

    count: Decimal | None = None  # a count (or, for a deduction with a baseline, the shortfall)
    top: int | None = None  # a rate's numerator
    bottom: int | None = None  # … and denominator

    @property
    def is_rate(self) -> bool:
        return self.top is not None or self.bottom is not None

    def shown(self) -> str:
        if self.is_rate:
            if not self.bottom:
                return "—（无应计事项）"
            return f"{cents(HUNDRED * Decimal(self.top or 0) / Decimal(self.bottom))}%（{self.top}/{self.bottom}）"
        return "—" if self.count is None else f"{self.count.normalize():f}"


def points(
    mode: ItemMode, weight: Decimal, measure: Measure, *, target: Decimal | None, per_unit: Decimal | None
) -> tuple[Decimal, str]:
    """The points an item earns, and the rule that gave them in words."""
    if mode is ItemMode.MANUAL:
        return cents(weight), "人工评分，未录入前按满分计"
    if mode is ItemMode.DEDUCT:
        units = measure.count or Decimal(0)
        per = per_unit or Decimal(0)
        return cents(max(Decimal(0), weight - per * units)), f"每件扣 {per.normalize():f} 分，扣完为止"
    # TARGET: weight × min(1, value ÷ target); a rate with nothing to count earns full points.
    goal = target or Decimal(0)
    if measure.is_rate:
        if not measure.bottom:
            return cents(weight), "无应计事项，得满分"
        value = HUNDRED * Decimal(measure.top or 0) / Decimal(measure.bottom)
        rule = f"目标 {goal.normalize():f}%，按达成比例得分"
    else:
        value = measure.count or Decimal(0)
        rule = f"目标 {goal.normalize():f}，按达成比例得分"
    if goal <= 0:
        return cents(weight), rule
    return cents(weight * min(Decimal(1), value / goal)), rule


def parse_grades(text: str) -> list[tuple[Decimal, str]]:
    """'90 优秀' lines → [(90, 优秀), …], highest first; ValueError with a Chinese reason."""
    grades: list[tuple[Decimal, str]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 2:
            raise ValueError(f"等次“{line.strip()}”应写作“分数 名称”，如“90 优秀”。")
        try:
            low = Decimal(parts[0])
        except ArithmeticError as exc:
            raise ValueError(f"等次“{line.strip()}”的分数不是数字。") from exc
        if not low.is_finite() or not 0 <= low <= 1000 or not parts[0].replace(".", "", 1).isdigit():
            raise ValueError(f"等次“{line.strip()}”的分数应在 0 到 1000 之间。")
        grades.append((low, parts[1][:20]))
    if not grades:
        raise ValueError("请至少填写一个等次，如“90 优秀”。")
    return sorted(grades, key=lambda g: -g[0])


def grade_of(total: Decimal, grades: list[tuple[Decimal, str]], below: str) -> str:
    return next((name for low, name in grades if total >= low), below)


def ranks(totals: list[Decimal]) -> list[int]:
    """Competition ranking, highest first: equal totals share a rank (1, 2, 2, 4)."""
    return [1 + sum(other > t for other in totals) for t in totals]
