"""The statistics' SQL: one GROUP BY statement per family of indicators, every cell a conditional sum or count.

A statement covers several indicators and periods at once (the headline's three periods, the trend's twelve):
each cell is ``SUM(CASE WHEN <the indicator's condition in that period> …)``, and the WHERE clause only narrows the
rows to those any cell can count — the place, and one of the cells' dates in its period, which the date indexes
answer. So the conditions that decide a number are the very ones the case list's drill-down applies.

Building and keying a statement of a hundred conditions costs more than running it on a month of cases, so each
statement is built once per scope and shape (place, breakdown, indicators, number of periods: Principal.condition)
and run with the periods' dates as parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, literal_column, or_, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from portal.cases.models import Case, CaseMediator, Transfer
from portal.orgs.models import Organisation, Tier
from portal.problems.models import Problem, ProblemState
from portal.scope import Principal
from portal.screening.cadence import SCREENING_KINDS, cadence_days
from portal.screening.models import ScreeningRound
from portal.stats.conditions import ANCHOR_COLUMNS
from portal.stats.dimensions import Place
from portal.stats.indicators import Indicator
from portal.stats.span import Span

Key = tuple[Hashable, ...]  # a cell's key: (period key, indicator key[, "cases"])
Groups = dict[Any, dict[Key, Any]]  # group value (None without a breakdown) → cell key → value


@dataclass(frozen=True)
class Ask:
    """One cell of a statement: an indicator in a period."""

    period: str
    indicator: Indicator
    span: Span


def _group(by: str | None, query, path: ColumnElement, org_id: ColumnElement, case_id: ColumnElement):  # noqa: ANN001, ANN202
    """The statement grouped by a dimension: (query, the group's column), or (query, None)."""
    if by == "org":
        return query, path
    if by == "tier":
        return query.join(Organisation, Organisation.id == org_id), Organisation.tier
    if by in ("type", "subtype"):
        return query, Case.dispute_type
    if by == "channel":
        return query, Case.channel
    if by == "mediator":
        return query.join(CaseMediator, CaseMediator.case_id == case_id), CaseMediator.person_id
    return query, None


def _run(
    db: Session,
    principal: Principal,
    shape: Hashable,
    build: Callable[[], tuple[list[tuple[Key, Any]], Any, Any]],
    spans: Sequence[Span],
) -> Groups:
    """Run the statement of a shape (built once per scope) for these spans, into {group: {key: value}}.

    `build` gives the labelled cell columns, the statement with them, and its group column (None without one).
    """

    def prepared() -> tuple[list[Key], Any, bool]:
        columns, query, group = build()
        if group is not None:
            query = query.add_columns(group).group_by(group)
        return [key for key, _ in columns], query, group is not None

    keys, statement, grouped = principal.condition(("stats", db.get_bind().dialect.name, shape), prepared)
    params: dict[str, object] = {}
    for span in spans:
        params.update(span.params())
    out: Groups = {}
    for row in db.exec(statement, params=params).all():
        values = tuple(row)
        out[values[-1] if grouped else None] = dict(zip(keys, values[: len(keys)], strict=True))
    return out


def _unindexed(db: Session, principal: Principal, place: Place, path: ColumnElement[str]) -> ColumnElement[str]:
    """On SQLite, the path column as an expression when the place is a county or a city: its planner would walk the
    whole path index (every case of the county) rather than the date indexes of the period (a month's cases). A
    township or a village holds a small share of the cases: there the path index is the narrow way in, whatever the
    period. PostgreSQL weighs both itself."""
    if db.get_bind().dialect.name != "sqlite":
        return path
    tiers = [place.org.tier] if place.org is not None else [g.org.tier for g in principal.grants]
    return path + "" if any(t in (Tier.CITY, Tier.COUNTY) for t in tiers) else path


def _shape(family: str, place: Place, by: str | None, asks: Sequence[Ask]) -> Hashable:
    first = asks[0].span
    cells = tuple((a.period, a.span.name, a.indicator.key) for a in asks)
    return (family, place.key, by, first.zone, cells)


def cases(db: Session, principal: Principal, place: Place, asks: Sequence[Ask], by: str | None) -> Groups:
    """Case family: every cell counts (or sums over) the cases its condition holds for.

    Indicators dated by one column of the case (received_on, concluded_on …) are counted together, one statement per
    column, grouped by the period the date falls in: each case is then read once per date it is counted by and tested
    only against that date's indicators. The rest (a record's date, or periods that overlap) take one conditional sum
    per cell.
    """
    if not asks:
        return {}
    by_column: dict = {}
    rest: list[Ask] = []
    for ask in asks:
        column = ANCHOR_COLUMNS.get(ask.indicator.anchor)
        (by_column.setdefault(column, []) if column is not None else rest).append(ask)
    out: Groups = {}
    for column, group in by_column.items():
        spans = {(a.span.start, a.span.end): a.span for a in group}
        ordered = sorted(spans.values(), key=lambda sp: sp.start)
        if any(a.end >= b.start for a, b in zip(ordered, ordered[1:], strict=False)):
            rest += group  # overlapping periods: a case may count in two of them
            continue
        _merge(out, _bucketed(db, principal, place, column, group, by))
    _merge(out, _per_cell(db, principal, place, rest, by))
    return out


def _merge(out: Groups, more: Groups) -> None:
    for group, values in more.items():
        out.setdefault(group, {}).update(values)


def _bucketed(
    db: Session, principal: Principal, place: Place, column: ColumnElement, asks: Sequence[Ask], by: str | None
) -> Groups:
    """One date column's indicators in all their periods: GROUP BY the period the date falls in (and `by`)."""
    spans = sorted({a.span.name: a.span for a in asks}.values(), key=lambda sp: sp.name)
    # The statement names its periods s0, s1 … in date order, whichever slots asked for them.
    distinct = [
        Span(sp.start, sp.end, sp.today, sp.dialect, sp.zone, sp.recent_days, f"s{n}")
        for n, sp in enumerate(sorted({(sp.start, sp.end): sp for sp in spans}.values(), key=lambda sp: sp.start))
    ]
    indicators = list({a.indicator.key: a.indicator for a in asks}.values())

    def build():  # noqa: ANN202
        first = distinct[0]
        bucket = case(*[(sp.days(column), literal_column(str(n))) for n, sp in enumerate(distinct)], else_=-1)
        cells: list = []
        for ind in indicators:
            hit = ind.extra(first) if ind.extra is not None else None
            cells.append(func.sum(case((hit, 1), else_=0)) if hit is not None else func.count())
            if ind.sums:
                summed = func.coalesce(getattr(Case, ind.sums), 0)
                cells.append(func.sum(case((hit, summed), else_=0)) if hit is not None else func.sum(summed))
        where = and_(
            place.condition(principal, _unindexed(db, principal, place, Case.org_path), Case.org_id),
            or_(*[sp.days(column) for sp in distinct]),
        )
        query, group = _group(by, select(*cells).select_from(Case).where(where), Case.org_path, Case.org_id, Case.id)
        query = query.add_columns(bucket).group_by(bucket)
        if group is not None:
            query = query.add_columns(group).group_by(group)
        return query, group is not None

    shape = ("bucketed", str(column), place.key, by, tuple(i.key for i in indicators), len(distinct), distinct[0].zone)
    statement, grouped = principal.condition(("stats", db.get_bind().dialect.name, shape), build)
    params: dict[str, object] = {}
    for sp in distinct:
        params.update(sp.params())
    slots = {n: [sp.name for sp in spans if (sp.start, sp.end) == (d.start, d.end)] for n, d in enumerate(distinct)}
    out: Groups = {}
    for row in db.exec(statement, params=params).all():
        values = list(row)
        group_value = values.pop() if grouped else None
        bucket_value = values.pop()
        if bucket_value not in slots:
            continue
        target = out.setdefault(group_value, {})
        for ind in indicators:
            count = values.pop(0)
            for slot in slots[bucket_value]:
                target[(slot, ind.key, "cases") if ind.sums else (slot, ind.key)] = count
            if ind.sums:
                total = values.pop(0)
                for slot in slots[bucket_value]:
                    target[(slot, ind.key)] = total
    return out


def _per_cell(db: Session, principal: Principal, place: Place, asks: Sequence[Ask], by: str | None) -> Groups:
    """One conditional sum per cell (see cases)."""
    if not asks:
        return {}

    def build():  # noqa: ANN202
        columns: list = []
        seeks: dict = {}
        for ask in asks:
            condition = ask.indicator.condition(ask.span)
            seeks.setdefault((ask.indicator.anchor, ask.span.name), ask.indicator.anchor(ask.span))
            counted = func.sum(case((condition, 1), else_=0))
            if ask.indicator.sums:
                summed = func.sum(case((condition, func.coalesce(getattr(Case, ask.indicator.sums), 0)), else_=0))
                columns.append(((ask.period, ask.indicator.key), summed))
                columns.append(((ask.period, ask.indicator.key, "cases"), counted))
            else:
                columns.append(((ask.period, ask.indicator.key), counted))
        where = and_(
            place.condition(principal, _unindexed(db, principal, place, Case.org_path), Case.org_id),
            or_(*seeks.values()),
        )
        query, group = _group(
            by, select(*[c for _, c in columns]).select_from(Case).where(where), Case.org_path, Case.org_id, Case.id
        )
        return columns, query, group

    return _run(db, principal, _shape("case", place, by, asks), build, [a.span for a in asks])


def transfers(
    db: Session, principal: Principal, place: Place, asks: Sequence[Ask], by: str | None, *, side: str
) -> Groups:
    """Sent and answer families: the distinct cases of the transfers each cell's condition holds for."""
    if not asks:
        return {}
    path, org_id = (
        (Transfer.from_path, Transfer.from_org_id) if side == "sent" else (Transfer.to_path, Transfer.to_org_id)
    )

    def build():  # noqa: ANN202
        columns = [
            (
                (ask.period, ask.indicator.key),
                func.count(func.distinct(case((ask.indicator.transfers(ask.span), Transfer.case_id)))),
            )
            for ask in asks
        ]
        where = and_(
            place.condition(principal, _unindexed(db, principal, place, path), org_id),
            or_(*[a.indicator.transfers(a.span) for a in asks]),
        )
        query = select(*[c for _, c in columns]).select_from(Transfer).join(Case, Case.id == Transfer.case_id)
        query, group = _group(by, query.where(where), path, org_id, Transfer.case_id)
        return columns, query, group

    return _run(db, principal, _shape(side, place, by, asks), build, [a.span for a in asks])


def screening(db: Session, principal: Principal, place: Place, spans: dict[str, Span], by: str | None) -> Groups:
    """排查: rounds held and disputes found per period, grouped by the round's organisation path for `org`."""
    if by not in (None, "org") or not spans:
        return {}

    def build():  # noqa: ANN202
        columns = []
        for key, span in spans.items():
            held = span.days(ScreeningRound.held_on)
            columns.append(((key, "rounds_held"), func.sum(case((held, 1), else_=0))))
            columns.append(((key, "findings"), func.sum(case((held, ScreeningRound.findings_count), else_=0))))
        where = and_(
            place.condition(principal, ScreeningRound.org_path, ScreeningRound.org_id),
            or_(*[s.days(ScreeningRound.held_on) for s in spans.values()]),
        )
        return columns, select(*[c for _, c in columns]).where(where), ScreeningRound.org_path if by else None

    shape = ("screening", place.key, by, tuple((k, s.name) for k, s in spans.items()))
    return _run(db, principal, shape, build, list(spans.values()))


def screening_bodies(db: Session, principal: Principal, place: Place) -> list[tuple[str, int]]:
    """(path, cadence in days) of the active bodies in the place that must screen (for 应排查轮次)."""
    rows = db.exec(
        select(Organisation.path, Organisation.tier).where(
            place.condition(principal, Organisation.path, Organisation.id),
            Organisation.active == True,  # noqa: E712
            Organisation.kind.in_(SCREENING_KINDS),
        )
    ).all()
    return [(path, days) for path, tier in rows if (days := cadence_days(tier))]


def problems(db: Session, principal: Principal, place: Place, spans: dict[str, Span], by: str | None) -> Groups:
    """问题清单: items found, and items struck off, per period."""
    if by not in (None, "org") or not spans:
        return {}

    def build():  # noqa: ANN202
        columns = []
        for key, span in spans.items():
            struck = and_(Problem.state == ProblemState.STRUCK_OFF, span.days(Problem.struck_off_on))
            columns.append(((key, "problems_registered"), func.sum(case((span.days(Problem.found_on), 1), else_=0))))
            columns.append(((key, "problems_struck"), func.sum(case((struck, 1), else_=0))))
        where = and_(
            place.condition(principal, Problem.org_path, Problem.org_id),
            or_(*[or_(s.days(Problem.found_on), s.days(Problem.struck_off_on)) for s in spans.values()]),
        )
        return columns, select(*[c for _, c in columns]).where(where), Problem.org_path if by else None

    shape = ("problems", place.key, by, tuple((k, s.name) for k, s in spans.items()))
    return _run(db, principal, shape, build, list(spans.values()))
