"""Bodies ranked last several months running (seed 002): N months → 提醒谈话, one more → 约谈问责.

Read from published results only, month after month back from the latest published month of a rubric; a month
without a published result ends the run. "Last" is the lowest rank of the month (ties share it); a month in which
every body shares one rank has no last place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, select

from portal.assessment.models import Assessment, RunState, Score
from portal.stats import periods


@dataclass(frozen=True)
class Streak:
    org_id: int
    org_name: str
    months: tuple[str, ...]  # newest first

    def action(self, n: int) -> str:
        return "约谈问责" if len(self.months) > n else "提醒谈话"


def last_places(db: Session, rubric_id: int, *, until: str | None = None) -> dict[str, dict[int, str]]:
    """month → {org_id: name} of the bodies ranked last in that month's published result."""
    query = select(Assessment).where(Assessment.rubric_id == rubric_id, Assessment.state == RunState.PUBLISHED)
    if until:
        query = query.where(Assessment.month <= until)
    out: dict[str, dict[int, str]] = {}
    for run in db.exec(query).all():
        lowest, distinct = db.exec(
            select(func.max(Score.rank), func.count(func.distinct(Score.rank))).where(Score.assessment_id == run.id)
        ).one()
        if lowest is None or distinct < 2:
            out[run.month] = {}
            continue
        rows = db.exec(select(Score.org_id, Score.org_name).where(Score.assessment_id == run.id, Score.rank == lowest))
        out[run.month] = dict(rows.all())
    return out


def running(db: Session, rubric_id: int, n: int, *, until: str | None = None) -> list[Streak]:
    """The bodies last in each of at least `n` consecutive published months ending at the latest one (or `until`)."""
    places = last_places(db, rubric_id, until=until)
    if not places:
        return []
    month = max(places)
    streaks: dict[int, list[str]] = {}
    names: dict[int, str] = {}
    alive: set[int] | None = None
    while month in places:
        last = places[month]
        alive = set(last) if alive is None else alive & set(last)
        if not alive:
            break
        for org_id in alive:
            streaks.setdefault(org_id, []).append(month)
            names[org_id] = last[org_id]
        month = periods.containing("month", _first(month)).previous().value
    found = [Streak(org_id, names[org_id], tuple(m)) for org_id, m in streaks.items() if len(m) >= n]
    return sorted(found, key=lambda s: (-len(s.months), s.org_name))


def _first(month: str) -> date:
    year, mon = month.split("-")
    return date(int(year), int(mon), 1)
