"""Repeat visits (重复访) told apart from skip-level visits (越级访).

The same party (by ID number) in two cases is a repeat visit. It is a skip-level visit when the dispute reached a
tier above — a body whose area takes in the lower case's body — while the lower tier had not finished with it, or
when it went up past a tier (a village's case taken to the county, the petition bureau or the court without the
township in between). Bodies beside a tier (信访局, 法院, 派出所, professional committees) cover their parent's area.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from portal.cases.models import CaseState
from portal.orgs.models import OrgKind, Tier

RANK = {Tier.CITY: 0, Tier.COUNTY: 1, Tier.TOWNSHIP: 2, Tier.VILLAGE: 3, Tier.GROUP: 4}  # higher tiers rank lower
FINISHED = (CaseState.REFUSED, CaseState.FAILED, CaseState.CLOSED, CaseState.FOLLOWED_UP, CaseState.EVALUATED)
SKIP, REPEAT = "越级访", "重复访"
TIER_BODIES = (OrgKind.CENTRE, OrgKind.COMMITTEE, OrgKind.GRID)  # the tier's own bodies; the others sit beside it


@dataclass(frozen=True)
class Visit:
    """What the comparison needs of one case."""

    tier: Tier
    received_on: date
    state: CaseState
    closed_on: date | None
    org_path: str = ""
    org_kind: OrgKind = OrgKind.COMMITTEE

    @property
    def area(self) -> str:
        """The subtree the handling body answers for: its own, or its parent's for a body beside the tier."""
        if self.org_kind in TIER_BODIES or self.org_path.count("/") <= 2:
            return self.org_path
        return self.org_path.rsplit("/", 2)[0] + "/"


def _finished_by(case: Visit, day: date) -> bool:
    """Whether the case was done with by `day` (refused and failed cases carry no date: taken as done)."""
    if case.state not in FINISHED:
        return False
    return case.closed_on is None or case.closed_on <= day


def kind_of(one: Visit, other: Visit) -> str:
    """越级访 or 重复访, the same whichever of the two cases is asked about."""
    if RANK[one.tier] == RANK[other.tier]:
        return REPEAT
    low, high = (one, other) if RANK[one.tier] > RANK[other.tier] else (other, one)
    if not low.org_path.startswith(high.area):
        return REPEAT  # a higher tier, but not one above this dispute (another county, another township)
    if RANK[low.tier] - RANK[high.tier] >= 2:
        return SKIP  # a tier passed over
    if high.received_on >= low.received_on and not _finished_by(low, high.received_on):
        return SKIP  # taken up while the tier below still had it
    return REPEAT
