"""A month's 考核: compute every assessed body's score from the rubric and the statistics, adjust, publish.

Computing reads the indicator registry through `portal.stats.service.table` for the rubric's assessed organisation,
broken down by organisation, so each item keeps the links of the cells it came from: the list behind each number
(the case list's drill-down, the 排查 or training list) shows exactly what was counted. A draft may be computed again
and adjusted (each adjustment with a reason, audited); publishing freezes it. After publication nothing of it changes:
computing again makes a new revision with its reason, and publishing that revision supersedes the old one. Every step
holds the rubric's row (portal.db.lock), and the revision number is unique per rubric and month, so two supervisors
at once get a clear refusal instead of two drafts or a lost adjustment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import delete, update
from sqlmodel import Session, select

from portal.assessment import rubric as rubrics
from portal.assessment.models import Assessment, ItemMode, Rubric, RubricItem, RunState, Score, ScoreItem
from portal.assessment.scoring import Measure, cents, grade_of, parse_grades, points, ranks
from portal.audit import service as audit
from portal.db import flush_once, lock, utcnow
from portal.errors import Conflict, Forbidden, Invalid
from portal.orgs.models import Organisation
from portal.scope import OutOfScope, Principal
from portal.stats import periods
from portal.stats import service as stats
from portal.stats.dimensions import Place
from portal.stats.indicators import INDICATORS
from portal.stats.periods import Period

PUBLISHED_ALREADY = "该月考核结果已发布，不能再修改。如需更正，请填写原因后重新计算，生成新版本。"


def month_of(value: str, today: date) -> Period:
    """A month that has begun ('YYYY-MM'); Invalid otherwise."""
    period, note = periods.parse("month", value, today)
    if note or not value.strip():
        raise Invalid({"month": "请选择考核月份（如 2025-03）。"})
    if period.start > today:
        raise Invalid({"month": "不能考核尚未开始的月份。"})
    return period


def revisions(db: Session, rubric_id: int, month: str) -> list[Assessment]:
    return list(
        db.exec(
            select(Assessment)
            .where(Assessment.rubric_id == rubric_id, Assessment.month == month)
            .order_by(Assessment.revision.desc())
        ).all()
    )


def compute(
    db: Session,
    principal: Principal,
    rubric_id: int,
    month_value: str,
    *,
    reason: str = "",
    basis: stats.Basis,
    address: str = "",
) -> Assessment:
    """Compute (or compute again) a month: the draft's rows are replaced; after publication a new revision."""
    rubric = rubrics.get_rubric(db, principal, rubric_id)
    owner = rubrics.owner_of(db, rubric)
    if not rubrics.can_manage(principal, owner):
        raise Forbidden("只有考核机构的督导和管理员可以计算考核得分。")
    month = month_of(month_value, basis.today)
    assessed = db.get(Organisation, rubric.assessed_id)
    assert assessed is not None
    if not principal.sees(assessed.path):
        raise Forbidden("您看不到被考核的机构，不能计算该细则的考核得分。")
    lock(db, Rubric, rubric.id)  # one computation of a rubric at a time
    existing = revisions(db, rubric.id, month.value)
    latest = existing[0] if existing else None
    reason = reason.strip()[:1000]
    if latest is not None and latest.state is RunState.DRAFT:
        run = latest
        run.version += 1
        run.computed_at, run.computed_by = utcnow(), principal.person.id
        scores = select(Score.id).where(Score.assessment_id == run.id)
        db.execute(delete(ScoreItem).where(ScoreItem.score_id.in_(scores)))
        db.execute(delete(Score).where(Score.assessment_id == run.id))
    else:
        if latest is not None and not reason:
            raise Invalid({"reason": "该月考核结果已发布。重新计算将生成新版本，请填写原因。"})
        run = Assessment(
            rubric_id=rubric.id,
            month=month.value,
            revision=(latest.revision + 1) if latest else 1,
            reason=reason if latest else "",
            rubric_name=rubric.name,
            org_name=owner.name,
            assessed_name=assessed.name,
            computed_by=principal.person.id,
        )
    db.add(run)
    flush_once(db, "该月考核刚刚已由他人计算。请刷新页面查看。")
    _score(db, principal, rubric, run, assessed, month, basis)
    audit.record(
        db,
        "assessment.compute",
        actor=principal.person,
        org=owner,
        object_type="assessment",
        object_id=run.id,
        summary=f"计算考核得分：{rubric.name} {month.label}（第 {run.revision} 版）"
        + (f"，原因：{reason}" if reason else ""),
        address=address,
    )
    return run


def _score(
    db: Session,
    principal: Principal,
    rubric: Rubric,
    run: Assessment,
    assessed: Organisation,
    month: Period,
    basis: stats.Basis,
) -> None:
    items = rubrics.items(db, rubric.id)
    keys = {i.indicator for i in items if i.indicator} | {i.baseline for i in items if i.baseline}
    table = stats.table(db, principal, Place(assessed), month, sorted(keys), "org", basis=basis) if keys else None
    rows = {r.key: r for r in table.rows} if table else {}
    grades = parse_grades(rubric.grades)
    bodies = rubrics.assessed_bodies(db, rubric)
    scores: list[Score] = []
    for body in bodies:
        row = rows.get(str(body.id))
        cells = row.cells if row else {}
        score = Score(assessment_id=run.id, org_id=body.id, org_name=body.name, total=Decimal(0), grade="")
        db.add(score)
        db.flush()
        total = Decimal(0)
        for item in items:
            measure, evidence = _measure(item, cells)
            earned, rule = points(item.mode, item.weight, measure, target=item.target, per_unit=item.per_unit)
            db.add(
                ScoreItem(
                    score_id=score.id,
                    item_id=item.id,
                    position=item.position,
                    name=item.name,
                    mode=item.mode,
                    weight=item.weight,
                    value=measure.shown() if item.mode is not ItemMode.MANUAL else "",
                    rule=rule[:200],
                    evidence=json.dumps(evidence, ensure_ascii=False),
                    computed=earned,
                    points=earned,
                )
            )
            total += earned
        score.total = cents(total)
        score.grade = grade_of(score.total, grades, rubric.below)
        scores.append(score)
    for score, rank in zip(scores, ranks([s.total for s in scores]), strict=True):
        score.rank = rank
        db.add(score)
    db.flush()


def _evidence(key: str, cell: stats.Cell | None) -> dict:
    indicator = INDICATORS[key]
    link = cell.link if cell else None
    value = cell.value if cell else 0
    return {
        "key": key,
        "label": indicator.name,
        "unit": indicator.unit,
        "value": str(value if value is not None else 0),
        "items": cell.items if cell and cell.items is not None else None,
        "route": link.route if link else "",
        "query": link.query if link else "",
    }


def _measure(item: RubricItem, cells: dict[str, stats.Cell]) -> tuple[Measure, list[dict]]:
    """What the statistics say for one item of one body, and the cells (with their lists) it came from."""
    if item.mode is ItemMode.MANUAL or not item.indicator:
        return Measure(), []
    indicator = INDICATORS[item.indicator]
    if indicator.is_rate:
        top, bottom = cells.get(indicator.numerator), cells.get(indicator.denominator)
        evidence = [_evidence(indicator.numerator, top), _evidence(indicator.denominator, bottom)]
        return Measure(top=int(top.value or 0) if top else 0, bottom=int(bottom.value or 0) if bottom else 0), evidence
    cell = cells.get(item.indicator)
    value = Decimal(str(cell.value or 0)) if cell else Decimal(0)
    evidence = [_evidence(item.indicator, cell)]
    if item.baseline:  # a shortfall: e.g. 应排查轮次 − 排查轮次
        base = cells.get(item.baseline)
        evidence.append(_evidence(item.baseline, base))
        value = max(Decimal(0), (Decimal(str(base.value or 0)) if base else Decimal(0)) - value)
    return Measure(count=value), evidence


def get_run(db: Session, run_id: int) -> Assessment | None:
    return db.get(Assessment, run_id)


def _managed_run(db: Session, principal: Principal, run_id: int) -> tuple[Assessment, Rubric, Organisation]:
    run = db.get(Assessment, run_id)
    if run is None:
        raise OutOfScope("考核结果不存在或您无权查看。", object_type="assessment", object_id=run_id)
    rubric = rubrics.get_rubric(db, principal, run.rubric_id)
    owner = rubrics.owner_of(db, rubric)
    if not rubrics.can_manage(principal, owner):
        raise Forbidden("只有考核机构的督导和管理员可以调整或发布考核结果。")
    return run, rubric, owner


@dataclass
class AdjustForm:
    points: str = ""
    reason: str = ""
    version: str = ""


def adjust(
    db: Session, principal: Principal, run_id: int, score_item_id: int, form: AdjustForm, *, address: str = ""
) -> ScoreItem:
    """Set one item's points for one body, with a reason; only in a draft (audited, before and after)."""
    run, rubric, owner = _managed_run(db, principal, run_id)
    lock(db, Rubric, rubric.id)
    db.refresh(run)
    if run.state is not RunState.DRAFT:
        raise Conflict(PUBLISHED_ALREADY)
    item = db.get(ScoreItem, score_item_id)
    score = db.get(Score, item.score_id) if item else None
    if item is None or score is None or score.assessment_id != run.id:
        raise Conflict("该考核项目已不在本次考核中（可能已重新计算）。请刷新页面。")
    errors: dict[str, str] = {}
    raw = form.points.strip()
    value = Decimal(raw) if raw and raw.isascii() and raw.replace(".", "", 1).isdigit() else None
    if value is None or value > item.weight or value != cents(value):
        errors["points"] = f"得分应在 0 到 {item.weight} 之间（最多两位小数）。"
    reason = form.reason.strip()
    if not reason:
        errors["reason"] = "请填写调整原因。"
    elif len(reason) > 1000:
        errors["reason"] = "调整原因不能超过 1000 个字符。"
    if errors:
        raise Invalid(errors)
    if form.version != str(item.version):
        raise Conflict("该项得分刚刚已被他人调整。请刷新页面核对后再操作。")
    before = item.points
    item.points, item.reason = cents(value), reason
    item.adjusted_by, item.adjusted_at = principal.person.id, utcnow()
    item.version += 1
    db.add(item)
    db.flush()
    _retotal(db, run, rubric)
    audit.record(
        db,
        "assessment.adjust",
        actor=principal.person,
        org=owner,
        object_type="assessment",
        object_id=run.id,
        summary=f"调整考核得分：{score.org_name} {run.month}“{item.name}” {before} → {item.points}，原因：{reason}",
        changes={"points": [str(before), str(item.points)], "reason": ["", reason]},
        address=address,
    )
    return item


def _retotal(db: Session, run: Assessment, rubric: Rubric) -> None:
    grades = parse_grades(rubric.grades)
    scores = list(db.exec(select(Score).where(Score.assessment_id == run.id).order_by(Score.id)).all())
    for score in scores:
        earned = db.exec(select(ScoreItem.points).where(ScoreItem.score_id == score.id)).all()
        score.total = cents(sum(earned, Decimal(0)))
        score.grade = grade_of(score.total, grades, rubric.below)
    for score, rank in zip(scores, ranks([s.total for s in scores]), strict=True):
        score.rank = rank
        db.add(score)
    db.flush()


def publish(db: Session, principal: Principal, run_id: int, version: str, *, address: str = "") -> Assessment:
    """Freeze a draft; the revision it corrects (if any) is superseded."""
    run, rubric, owner = _managed_run(db, principal, run_id)
    lock(db, Rubric, rubric.id)
    db.refresh(run)
    if run.state is not RunState.DRAFT:
        raise Conflict("该考核结果已发布。")
    if version != str(run.version):
        raise Conflict("该月考核刚刚已重新计算或调整。请刷新页面核对后再发布。")
    db.execute(
        update(Assessment)
        .where(
            Assessment.rubric_id == run.rubric_id,
            Assessment.month == run.month,
            Assessment.state == RunState.PUBLISHED,
        )
        .values(state=RunState.SUPERSEDED, version=Assessment.version + 1)
        .execution_options(synchronize_session=False)
    )
    run.state, run.published_by, run.published_at = RunState.PUBLISHED, principal.person.id, utcnow()
    run.version += 1
    db.add(run)
    db.flush()
    audit.record(
        db,
        "assessment.publish",
        actor=principal.person,
        org=owner,
        object_type="assessment",
        object_id=run.id,
        summary=f"发布考核结果：{rubric.name} {run.month}（第 {run.revision} 版）",
        address=address,
    )
    return run
