"""保管期限: the default rule (DOMAIN §6) and when a term ends. No national rule fixes it for
mediation, so this is only the default the archivist sees; it stays editable."""

from __future__ import annotations

from datetime import date

TERMS = ("永久", "30年", "10年")
LONG_TYPES = ("03", "07", "08")  # 房屋宅基地、山林土地、征地拆迁 (dispute type code prefixes)


def default_retention(
    *,
    dispute_code: str,
    dispute_name: str = "",
    judicial_confirmation: bool = False,
    group_dispute: bool = False,
    major: bool = False,
) -> str:
    """10年; 30年 for land, house and expropriation cases and those with judicial confirmation; 永久 for major group
    disputes."""
    if group_dispute and major:
        return "永久"
    words = ("土地", "宅基地", "房屋", "征地", "拆迁", "征收", "山林")
    if judicial_confirmation or dispute_code[:2] in LONG_TYPES or any(w in dispute_name for w in words):
        return "30年"
    return "10年"


def ends_on(retention: str, filed_on: date) -> date | None:
    """The last day of the term; None for 永久."""
    if not retention.endswith("年") or not retention[:-1].isdigit():
        return None
    years = int(retention[:-1])
    try:
        return filed_on.replace(year=filed_on.year + years)
    except ValueError:  # 29 February
        return filed_on.replace(year=filed_on.year + years, day=28)
