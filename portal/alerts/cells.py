"""The cells of the early warning: dispute type × place × month, counted in the database over what the viewer sees.

An area is the organisation whose subtree is watched; its places are its direct children (a county's townships and
the bodies beside them, a township's villages, a village's groups), each with everything below it, and the area
itself for the cases handled at its own level (本级). A dispute type is counted with its sub-types. A case belongs to
the month of its received date (收到日期).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlalchemy.sql.elements import SQLCoreOperations
from sqlmodel import Session, col, select

from portal.alerts.months import Month
from portal.cases.access import visible_condition
from portal.cases.models import Case, DisputeType
from portal.orgs.models import Organisation
from portal.scope import Principal, prefix_pattern

HISTORY_MONTHS = 37  # the seasonal baseline looks back three years and one month


@dataclass(frozen=True)
class Place:
    org_id: int
    name: str
    own: bool  # the area's own organisation: the cases handled at its level, not below it

    @property
    def label(self) -> str:
        return f"{self.name}（本级）" if self.own else self.name

    def case_filter(self) -> dict[str, str]:
        """The case list's filter for this place's cases."""
        return {"org": str(self.org_id), "org_only": "1"} if self.own else {"org": str(self.org_id)}


@dataclass(frozen=True)
class Area:
    """An organisation's subtree and its places (plain values: a process keeps them between requests)."""

    org_id: int
    path: str
    name: str
    places: dict[int, Place]

    @classmethod
    def of(cls, db: Session, org: Organisation) -> Area:
        children = db.exec(
            select(Organisation.id, Organisation.name)
            .where(Organisation.parent_id == org.id)
            .order_by(Organisation.sort_order, Organisation.id)
        ).all()
        places = {org.id: Place(org.id, org.name, True)}
        places.update({cid: Place(cid, name, False) for cid, name in children})
        return cls(org.id, org.path, org.name, places)

    def place_of(self, path: str) -> Place:
        """The place of a case handled by the organisation at `path` (inside the area)."""
        return self.place_at(path[len(self.path) :].split("/", 1)[0])

    def place_at(self, text: str) -> Place:
        """The place of the text place_column gives: a child's id, or '' for the area's own level."""
        own = self.places[self.org_id]
        return self.places.get(int(text), own) if text else own

    def cases(self, db: Session, principal: Principal, *, narrower: bool = False):  # noqa: ANN201
        """SQL: the area's cases that the viewer may see. `narrower`: the statement has a condition that selects fewer
        cases than the path (a month, a state); on SQLite the path is then tested on an expression, which keeps the
        planner on that condition's index (a county's path range is all its cases)."""
        path = Case.org_path + "" if narrower and is_sqlite(db) else Case.org_path
        return visible_condition(principal, db, path_column=path) & path.like(prefix_pattern(self.path))

    def place_column(self, db: Session):  # noqa: ANN201
        """SQL: the id of the place of a case's organisation, as text ('' for the area's own level)."""
        rest = func.substr(Case.org_path, len(self.path) + 1)
        if is_sqlite(db):
            return func.substr(rest, 1, func.instr(rest, "/") - 1)
        return func.split_part(rest, "/", 1)


def is_sqlite(db: Session) -> bool:
    return db.get_bind().dialect.name == "sqlite"


def month_column(db: Session):  # noqa: ANN201
    """SQL: a case's received month as 'YYYY-MM'."""
    if is_sqlite(db):
        return func.substr(Case.received_on, 1, 7)  # dates are stored as 'YYYY-MM-DD'
    return func.to_char(Case.received_on, "YYYY-MM")


def dispute_tops(db: Session) -> tuple[dict[str, str], dict[str, str]]:
    """Each dispute type's top-level type, and the names of the top-level types."""
    rows = db.exec(select(DisputeType.code, DisputeType.name, DisputeType.parent_code)).all()
    return {code: parent or code for code, _, parent in rows}, {code: name for code, name, parent in rows if not parent}


@dataclass
class Counts:
    """Monthly counts per (top-level type, place id), by Month.index; `start` is the area's first month with a case."""

    cells: dict[tuple[str, int], dict[int, int]]
    start: Month | None


def monthly_counts(db: Session, principal: Principal, area: Area, month: Month) -> Counts:
    """The counts of the months up to `month` that a baseline may need, in one GROUP BY by type, place and month."""
    first = month.shift(-HISTORY_MONTHS)
    earliest = db.exec(
        select(func.min(Case.received_on)).where(
            area.cases(db, principal, narrower=True), Case.received_on <= month.last
        )
    ).one()
    if earliest is None:
        return Counts({}, None)
    # On SQLite the date is tested on an expression too: the three years are most of the table, and the type index
    # holds every column the count needs (a scan of it reads no table rows).
    received: SQLCoreOperations[Any]
    since: str | date
    until: str | date
    if is_sqlite(db):
        received, since, until = func.date(Case.received_on), str(first.first), str(month.last)
    else:
        received, since, until = col(Case.received_on), first.first, month.last
    place, month_of = area.place_column(db), month_column(db)
    rows = db.exec(
        select(Case.dispute_type, place, month_of, func.count())
        .where(area.cases(db, principal, narrower=True), received >= since, received <= until)
        .group_by(Case.dispute_type, place, month_of)
    ).all()
    tops, _ = dispute_tops(db)
    cells: dict[tuple[str, int], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for code, place_id, text, n in rows:
        cells[(tops.get(code, code), area.place_at(place_id).org_id)][int(text[:4]) * 12 + int(text[5:7]) - 1] += n
    return Counts(cells, max(Month.of(earliest), first))
