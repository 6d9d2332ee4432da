"""Who reads which 考核 results: the assessing body's managers everything, each assessed body its own.

A published result is shown to the bodies assessed: a viewer sees a body's row (its total, grade, rank and items)
when the body lies in their scope (a 司法所 reading its township, the county) or their scope lies inside the body
(the body's own people and those of its villages). Other bodies' rows are not shown at all; the viewer learns their
own rank and how many bodies were ranked. Drafts are seen only by those who may publish them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, select

from portal.assessment import rubric as rubrics
from portal.assessment.models import Assessment, Rubric, RunState, Score, ScoreItem
from portal.orgs.models import Organisation
from portal.scope import OutOfScope, Principal


def concerns(principal: Principal, path: str) -> bool:
    """Whether the viewer may read a body's score: it lies in their scope, or their scope lies inside it."""
    return principal.sees(path) or any(root.startswith(path) for root in principal.roots())


@dataclass
class Line:
    item: ScoreItem

    @property
    def evidence(self) -> list[dict]:
        return self.item.evidence_list()

    @property
    def adjusted(self) -> bool:
        return self.item.points != self.item.computed


@dataclass
class Row:
    score: Score
    path: str
    lines: list[Line] = field(default_factory=list)


@dataclass
class RunView:
    run: Assessment
    rubric: Rubric
    rows: list[Row]  # the rows the viewer may read, by rank
    ranked: int  # how many bodies were ranked
    manager: bool


def read(db: Session, principal: Principal, run_id: int) -> RunView:
    run = db.get(Assessment, run_id)
    missing = OutOfScope("考核结果不存在或您无权查看。", object_type="assessment", object_id=run_id)
    if run is None:
        raise missing
    rubric = db.get(Rubric, run.rubric_id)
    assert rubric is not None
    manager = rubrics.can_manage(principal, rubrics.owner_of(db, rubric))
    if run.state is RunState.DRAFT and not manager:
        raise missing
    found = db.exec(
        select(Score, Organisation.path)
        .join(Organisation, Organisation.id == Score.org_id)
        .where(Score.assessment_id == run.id)
        .order_by(Score.rank, Score.id)
    ).all()
    rows = [Row(s, path) for s, path in found if manager or concerns(principal, path)]
    if not rows and not manager:
        raise missing
    items = db.exec(
        select(ScoreItem)
        .where(ScoreItem.score_id.in_([r.score.id for r in rows]))
        .order_by(ScoreItem.position, ScoreItem.id)
    ).all()
    by_score: dict[int, list[Line]] = {}
    for item in items:
        by_score.setdefault(item.score_id, []).append(Line(item))
    for row in rows:
        row.lines = by_score.get(row.score.id, [])
    return RunView(run, rubric, rows, len(found), manager)


@dataclass
class Listed:
    run: Assessment
    shown: list[Score]  # the rows the viewer may read
    ranked: int


def listing(db: Session, principal: Principal, *, limit: int = 60) -> list[Listed]:
    """The results the viewer may read, newest month first: every revision for managers, published ones for others."""
    managed = {r.id for r, _, _ in rubrics.managed_rubrics(db, principal)}
    runs = db.exec(
        select(Assessment).order_by(Assessment.month.desc(), Assessment.rubric_id, Assessment.revision.desc())
    ).all()
    out: list[Listed] = []
    for run in runs:
        manager = run.rubric_id in managed
        if run.state is not RunState.PUBLISHED and not manager:
            continue
        found = db.exec(
            select(Score, Organisation.path)
            .join(Organisation, Organisation.id == Score.org_id)
            .where(Score.assessment_id == run.id)
            .order_by(Score.rank, Score.id)
        ).all()
        shown = [s for s, path in found if manager or concerns(principal, path)]
        if shown or manager:
            out.append(Listed(run, shown, len(found)))
        if len(out) >= limit:
            break
    return out
