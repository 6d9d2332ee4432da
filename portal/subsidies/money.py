"""Subsidy arithmetic in exact decimals: never a float, rounded to the fen once, and split so the parts add up."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")
ZERO = Decimal("0.00")


def claim_amount(base: Decimal, ratio: Decimal) -> Decimal:
    """The grade's amount times the tariff's ratio (1 for a written agreement), rounded half up to the fen."""
    return (Decimal(base) * Decimal(ratio)).quantize(FEN, rounding=ROUND_HALF_UP)


def split(amount: Decimal, parts: int) -> list[Decimal]:
    """`amount` in `parts` equal shares to the fen; the fen left over go one each to the first shares (the lead
    mediator first), so the shares always add up to `amount` exactly."""
    if parts < 1:
        raise ValueError("at least one share")
    each = (amount / parts).quantize(FEN, rounding=ROUND_DOWN)
    left = int((amount - each * parts) / FEN)
    return [each + FEN if n < left else each for n in range(parts)]


def capped(share: Decimal, paid_this_year: Decimal, cap: Decimal | None) -> Decimal:
    """What may be paid of `share` when `paid_this_year` was paid already and the yearly cap is `cap` (None: none)."""
    if cap is None:
        return share
    return max(ZERO, min(share, cap - paid_this_year))


def yuan(value: Decimal | None) -> str:
    """ "1,234.50" — as the pages and the 发放表 show sums."""
    return "—" if value is None else f"{Decimal(value):,.2f}"
