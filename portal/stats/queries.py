"""The statistics' SQL: for each date that places cases in a period, one pass over that date's index.

Every indicator of the case family is a date column of the case (received_on, concluded_on …) and a condition on
columns of the case (portal.stats.conditions), all held by that date's index (portal.cases.models STAT_INDEXES): a
statement per date counts every indicator of that date at once, as ``SUM(CASE WHEN <condition> …)`` grouped by the
day (`daily`: the headline's periods, the trend's and a table's total are sums of days) or by a dimension over one
period (`grouped`). So the conditions that decide a number are the very ones the case list's drill-down applies.
司法确认 (dated by its ruling), transfers, 排查 and 问题清单 have one conditional sum per cell over their own, small,
tables (`per_cell`, `transfers`, `screening`, `problems`).

Each statement is built once per scope and shape (place, breakdown, indicators, number of periods: Principal.condition)
and run with the periods' dates as parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.sql.elements import ColumnElement, UnaryExpression
from sqlalchemy.sql.operators import custom_op
from sqlmodel import Session

from portal.cases.models import Case, CaseMediator, Transfer
from portal.orgs.models import Organisation, Tier
from portal.problems.models import Problem, ProblemState
from portal.scope import Principal
from portal.screening.cadence import SCREENING_KINDS, cadence_days
from portal.screening.models import ScreeningRound
from portal.stats.conditions import APART, SEEKS
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
    """The statement grouped by a dimension: (query, the group's column), or (query, None). Tiers are grouped by
    organisation and folded by the caller (service._rows): a join per case would cost more than the count."""
    if by == "org":
        return query, path
    if by == "tier":
        return query, org_id
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
    return path + "" if _wide(principal, place) else path


def _wide(principal: Principal, place: Place) -> bool:
    """Whether the place is a county or a city (or a scope holding one): most of the cases."""
    tiers = [place.org.tier] if place.org is not None else [g.org.tier for g in principal.grants]
    return any(t in (Tier.CITY, Tier.COUNTY) for t in tiers)


def _shape(family: str, place: Place, by: str | None, asks: Sequence[Ask]) -> Hashable:
    first = asks[0].span
    cells = tuple((a.period, a.span.name, a.indicator.key) for a in asks)
    return (family, place.key, by, first.zone, cells)


def _no_index(column: ColumnElement) -> ColumnElement:
    """`+column`: SQLite's way of saying that a term must not use an index (the value is unchanged)."""
    return UnaryExpression(column, operator=custom_op("+"), type_=column.type)


def _dated_cells(indicators: Sequence[Indicator], span: Span, *, apart: bool = False) -> list[tuple[Key, Any]]:
    """Each indicator's count (and sum) over the cases of a statement that are dated in the period already (and, when
    `apart`, hold the indicator's condition already: see conditions.APART)."""
    cells: list[tuple[Key, Any]] = []
    for ind in indicators:
        hit = ind.extra(span) if ind.extra is not None and not apart else None
        # FILTER rather than SUM(CASE …): the row is not handed to the aggregate at all (a quarter less CPU on SQLite).
        count = func.count().filter(hit) if hit is not None else func.count()
        if ind.sums:
            summed = func.coalesce(getattr(Case, ind.sums), 0)
            cells.append(((ind.key,), func.sum(summed).filter(hit) if hit is not None else func.sum(summed)))
            cells.append(((ind.key, "cases"), count))
        else:
            cells.append(((ind.key,), count))
    return cells


def _dated(
    db: Session,
    principal: Principal,
    place: Place,
    column: ColumnElement[date],
    indicators: Sequence[Indicator],
    spans: Sequence[Span],
    group: Callable[[Any], tuple[Any, Any]],
    shape: Hashable,
) -> dict[Any, dict[Key, Any]]:
    """{group value: {cell key: value}} of one date's indicators over the cases dated in any of `spans`: one statement
    for the indicators decided on the case's row, and one per indicator whose condition is counted apart (APART)."""
    sqlite = db.get_bind().dialect.name == "sqlite"

    def build(inds: Sequence[Indicator], apart: bool):  # noqa: ANN202
        def built():  # noqa: ANN202
            cells = _dated_cells(inds, spans[0], apart=apart)
            # SQLite: always the date's index (it holds the path too), never the path index, which is not covering. A
            # unary plus (a no-op) rather than `|| ''` keeps it off the path index: no string made per row (a third of
            # the CPU). Counted apart, nothing of the case offers an index: SQLite starts from the table of facts.
            path = _no_index(Case.org_path) if sqlite else Case.org_path
            day = _no_index(column) if sqlite and apart else column
            where = [place.condition(principal, path, Case.org_id), _within(day, spans, hull=not sqlite)]
            if apart:
                assert inds[0].extra is not None
                where.append(inds[0].extra(spans[0]))
            query, grouped_by = group(select(*[c for _, c in cells]).select_from(Case).where(*where))
            return [k for k, _ in cells], query.add_columns(grouped_by).group_by(grouped_by)

        return built

    params: dict[str, object] = {}
    for span in spans:
        params.update(span.params())
    # SQLite looks a village's few cases up in the table of facts within its one pass as cheaply as apart.
    apart = [i for i in indicators if i.extra in APART] if not sqlite or _wide(principal, place) else []
    statements = [(shape, build([i for i in indicators if i not in apart], False))]
    statements += [((shape, i.key), build([i], True)) for i in apart]
    out: dict[Any, dict[Key, Any]] = {}
    for key, built in statements:
        keys, statement = principal.condition(("stats", db.get_bind().dialect.name, key), built)
        if not keys:
            continue
        for row in db.exec(statement, params=params).all():
            values = tuple(row)
            out.setdefault(values[-1], {}).update(zip(keys, values[:-1], strict=True))
    return out


def _within(column: ColumnElement[date], spans: Sequence[Span], *, hull: bool) -> ColumnElement[bool]:
    """The date in one of the (disjoint, ordered) spans; with `hull` also between the first's start and the last's end:
    PostgreSQL answers an OR of ranges by reading the whole index, the hull as a range (SQLite reads each range)."""
    within = or_(*[s.days(column) for s in spans])
    if len(spans) == 1 or not hull:
        return within
    return and_(column >= spans[0].bound("start"), column <= spans[-1].bound("end"), within)


def daily(
    db: Session,
    principal: Principal,
    place: Place,
    column: ColumnElement[date],
    indicators: Sequence[Indicator],
    spans: Sequence[Span],
) -> dict[date, dict[Key, Any]]:
    """One date's indicators per day, over the days of `spans` (disjoint): {day: {(indicator[, "cases"]): value}}.
    The index is read in the order of the date, so the database counts each day as it passes it."""
    shape = ("daily", str(column), place.key, tuple(i.key for i in indicators), len(spans))
    return _dated(db, principal, place, column, indicators, spans, lambda q: (q, column), shape)


def grouped(
    db: Session,
    principal: Principal,
    place: Place,
    column: ColumnElement[date],
    indicators: Sequence[Indicator],
    span: Span,
    by: str,
) -> Groups:
    """One date's indicators in one period, per value of a dimension: {group: {(indicator[, "cases"]): value}}."""
    shape = ("grouped", str(column), place.key, by, tuple(i.key for i in indicators))

    def group(query):  # noqa: ANN001, ANN202
        return _group(by, query, Case.org_path, Case.org_id, Case.id)

    return _dated(db, principal, place, column, indicators, [span], group, shape)


def per_cell(db: Session, principal: Principal, place: Place, asks: Sequence[Ask], by: str | None) -> Groups:
    """One conditional sum per cell, for indicators dated by something else than a column of the case (司法确认)."""
    if not asks:
        return {}

    def build():  # noqa: ANN202
        columns: list = []
        seeks: dict = {}
        for ask in asks:
            condition = ask.indicator.condition(ask.span)
            seeks.setdefault(ask.indicator.anchor, {})[ask.span.name] = ask.span
            counted = func.sum(case((condition, 1), else_=0))
            if ask.indicator.sums:
                summed = func.sum(case((condition, func.coalesce(getattr(Case, ask.indicator.sums), 0)), else_=0))
                columns.append(((ask.period, ask.indicator.key), summed))
                columns.append(((ask.period, ask.indicator.key, "cases"), counted))
            else:
                columns.append(((ask.period, ask.indicator.key), counted))
        where = and_(
            place.condition(principal, _unindexed(db, principal, place, Case.org_path), Case.org_id),
            or_(*[_seek(anchor, list(spans.values())) for anchor, spans in seeks.items()]),
        )
        query, group = _group(
            by, select(*[c for _, c in columns]).select_from(Case).where(where), Case.org_path, Case.org_id, Case.id
        )
        return columns, query, group

    return _run(db, principal, _shape("case", place, by, asks), build, [a.span for a in asks])


def _seek(anchor: Any, spans: list[Span]) -> ColumnElement[bool]:  # noqa: ANN401
    """The cases an anchor places in any of the spans: one list of ids where the anchor has one (SEEKS)."""
    if anchor in SEEKS:
        return SEEKS[anchor](spans)
    return or_(*[anchor(span) for span in spans])


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
