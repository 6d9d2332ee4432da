"""Where a statistic is taken (the place) and what it is broken down by (the dimension).

A place is the viewer's whole scope, or one visible organisation's subtree (or the organisation alone). A breakdown
groups the same counts by one dimension in the database; the organisation dimension groups by the handling
organisation's path and folds the groups into the place's direct children in Python (a few hundred groups at most,
however many cases), so that a county drills down to its townships and a township to its villages.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import false
from sqlalchemy.sql.elements import ColumnElement

from portal.orgs.models import Organisation
from portal.scope import Principal, prefix_pattern

DIMENSIONS = {
    "org": "机构",
    "tier": "层级",
    "type": "纠纷类型",
    "subtype": "纠纷类型（含子类）",
    "channel": "来源渠道",
    "mediator": "调解员",
}
SELF = "self"  # the organisation's own row in its breakdown, beside its children


@dataclass(frozen=True)
class Place:
    """The viewer's whole scope (`org` None), an organisation's subtree, or (`only`) the organisation itself."""

    org: Organisation | None = None
    only: bool = False

    @property
    def key(self) -> tuple:
        return (self.org.path if self.org else None, self.only)

    def condition(
        self, principal: Principal, path: ColumnElement[str], org_id: ColumnElement[int]
    ) -> ColumnElement[bool]:
        """What lies in the place, within what the viewer may see, for a path and an organisation-id column."""
        conditions = [principal.path_filter(path)]
        if self.org is not None:
            if not principal.sees(self.org.path):
                return false()
            if not self.only:  # the subtree of a visible organisation lies inside the scope: one prefix says both
                return path.like(prefix_pattern(self.org.path))
            conditions.append(org_id == self.org.id)
        return conditions[0] if len(conditions) == 1 else conditions[0] & conditions[1]

    def params(self) -> dict[str, str]:
        """The case list's (and the other lists') filter for the place."""
        if self.org is None:
            return {}
        return {"org": str(self.org.id), **({"org_only": "1"} if self.only else {})}


@dataclass(frozen=True)
class Slot:
    """A row of the organisation dimension: a child's subtree, the place's own organisation, or a root of the scope."""

    key: str
    label: str
    place: Place


def org_slots(place: Place, children: list[Organisation], roots: list[Organisation]) -> list[Slot]:
    """The rows a place breaks down into: its own organisation and each child, or each root of the viewer's scope."""
    if place.org is None:
        return [Slot(str(o.id), o.name, Place(o)) for o in roots]
    if place.only:
        return [Slot(SELF, place.org.name, place)]
    return [Slot(SELF, f"{place.org.name}（本级）", Place(place.org, only=True))] + [
        Slot(str(o.id), o.name, Place(o)) for o in children
    ]


def fold_path(place: Place, roots: list[Organisation], path: str) -> str | None:
    """The slot key of a group's path (see org_slots); None when it lies outside the place."""
    if place.org is None:
        return next((str(o.id) for o in roots if path.startswith(o.path)), None)
    if path == place.org.path:
        return SELF
    if place.only or not path.startswith(place.org.path):
        return None
    return path[len(place.org.path) :].split("/", 1)[0]
