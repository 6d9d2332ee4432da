"""How often each tier screens for disputes (村 weekly, 乡镇 half-monthly, 县 monthly; seeds 002/003).

Local practice differs [local]: this is the default, kept as data so a deployment can replace it.
"""

from __future__ import annotations

from portal.orgs.models import OrgKind, Tier

DEFAULT_CADENCE: dict[Tier, int | None] = {
    Tier.CITY: None,
    Tier.COUNTY: 31,
    Tier.TOWNSHIP: 15,
    Tier.VILLAGE: 7,
    Tier.GROUP: None,
}
# The bodies that screen their area; courts, petition bureaux and professional committees do not.
SCREENING_KINDS = (OrgKind.CENTRE, OrgKind.COMMITTEE)


def cadence_days(tier: Tier | str) -> int | None:
    """Days allowed between two rounds for this tier; None when the tier has no duty to screen."""
    try:
        return DEFAULT_CADENCE.get(Tier(tier))
    except ValueError:
        return None


def cadence_label(days: int | None) -> str:
    return {7: "每周", 15: "每半月", 31: "每月"}.get(days, f"每 {days} 天") if days else "不要求"
