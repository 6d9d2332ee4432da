"""Computing the statistics' cells: the passes over each date's index (portal.stats.queries), summed into periods.

`compute` answers (periods, indicators) pairs for a place, optionally grouped by a dimension; portal.stats.service
turns its cells into tables with links.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate
from typing import Any

from sqlmodel import Session

from portal.scope import Principal
from portal.stats import queries
from portal.stats.conditions import ANCHOR_COLUMNS
from portal.stats.dimensions import Place
from portal.stats.indicators import CASE_FAMILIES, Indicator
from portal.stats.periods import Period
from portal.stats.span import Span
from portal.training import stats as training


@dataclass(frozen=True)
class Basis:
    """What every period's SQL shares: today, the zone, the 重复访 window (PORTAL_RECENT_CASE_DAYS)."""

    today: date
    zone: str = "Asia/Shanghai"
    recent_days: int = 180

    def span(self, period: Period, dialect: str, name: str = "s") -> Span:
        return self.span_of(period.start, period.end, dialect, name)

    def span_of(self, start: date, end: date, dialect: str, name: str = "s") -> Span:
        return Span(start, end, self.today, dialect, self.zone, self.recent_days, name)


Asked = list[tuple[dict[str, Period], list[Indicator]]]  # (periods by key, indicators) pairs, keys distinct
# Days a date's indicators were counted on: date column → [(ranges of days, indicators' keys, {day: values})]
Counted = dict[Any, list[tuple[list[tuple[date, date]], set[str], dict[date, dict]]]]
# The dimensions that put each case in exactly one group (not `mediator`: a case may have two), so that their groups
# add up to the place's count.
PARTITIONS = ("org", "tier", "type", "subtype", "channel")


def compute(
    db: Session,
    principal: Principal,
    place: Place,
    asked: Asked,
    by: str | None,
    basis: Basis,
    *,
    counted: Counted | None = None,
) -> queries.Groups:
    """The cells of each (periods, indicators) pair: {group: {(period key, indicator key[, "cases"]): value}}.

    Indicators dated by a column of the case are counted per day over the days of a pair's periods (without a
    breakdown), one pass per pair and date, and each period adds up its days; with a breakdown, per period and
    group. `counted` (without a breakdown) holds days already counted (`counted_from`), which no pass reads again."""
    dialect = db.get_bind().dialect.name
    merged: queries.Groups = {}

    def put(groups: queries.Groups, rename) -> None:  # noqa: ANN001
        for group, values in groups.items():
            target = merged.setdefault(group, {})
            for k, v in values.items():
                target[rename(k)] = v

    if by is None:
        # One pass per pair and date: the trend's years need only its few indicators, the headline's all of them
        # over its three periods (one pass over the union of both would count every indicator over the trend's days).
        # A later pair reads only the days an earlier pass has not counted its indicators on: the trend's pass leaves
        # out the headline's periods (for a year, two of its five).
        given = counted or {}
        wholes = [r for passes in given.values() for ranges, _, _ in passes for r in ranges]
        # a period holding part of one counted as a whole would get all or none of it
        if any(_part(p, first, last) for periods, _ in asked for p in periods.values() for first, last in wholes):
            raise ValueError("a period holds part of a period counted as a whole")
        counted = {column: list(passes) for column, passes in given.items()}
        for periods, indicators in asked:
            ranges = _union(periods.values())
            for column, dated in _by_column(indicators).items():
                keys = {i.key for i in dated}
                known = [(r, days) for r, k, days in counted.get(column, []) if keys <= k]
                todo = _minus(ranges, [r for covered, _ in known for r in covered])
                days: dict[date, dict] = {}
                for covered, earlier in known:
                    days.update(
                        {
                            d: {k: x for k, x in v.items() if k[0] in keys}
                            for d, v in earlier.items()
                            if _inside(d, covered)
                        }
                    )
                days.update(_daily(db, principal, place, column, dated, todo, basis))
                counted.setdefault(column, []).append((ranges, keys, days))
                for key, values in _sum_days(days, periods).items():
                    put({None: values}, lambda k, key=key: (key, *k))  # (days hold only these indicators)
    else:
        columns = _by_column([i for _, indicators in asked for i in indicators])
        for key, period in {k: p for periods, _ in asked for k, p in periods.items()}.items():
            span = basis.span(period, dialect, "s0")
            for column, dated in columns.items():
                put(queries.grouped(db, principal, place, column, dated, span, by), lambda k, key=key: (key, *k))
    for periods, indicators in asked:
        put(_others(db, principal, place, periods, indicators, by, basis), lambda k: k)
    return merged


def counted_from(groups: queries.Groups, key: str, period: Period, indicators: Iterable[Indicator]) -> Counted:
    """A breakdown's groups of period `key` added up, per date column, as the period's days counted for `compute`:
    one value for the whole period, put on its first day. Only for a dimension of PARTITIONS, and for a later pass
    whose periods each hold the whole period or none of its days (the other periods of a month, a quarter or a year:
    the one before, the one a year ago and the trend's are)."""
    out: Counted = {}
    for column, dated in _by_column(indicators).items():
        keys = {i.key for i in dated}
        summed: dict = {}
        for values in groups.values():
            for k, v in values.items():
                if k[0] == key and k[1] in keys:
                    summed[k[1:]] = (summed.get(k[1:]) or 0) + (v or 0)
        out[column] = [([(period.start, period.end)], keys, {period.start: summed})]
    return out


def _daily(
    db: Session,
    principal: Principal,
    place: Place,
    column,  # noqa: ANN001
    indicators: list[Indicator],
    ranges: list[tuple[date, date]],
    basis: Basis,
) -> dict[date, dict]:
    """One date's indicators per day over these ranges. SQLite gets a statement per range: over an OR of ranges it
    collects the rows' ids and sorts them by day, over one range it counts each day as its index passes it."""
    dialect = db.get_bind().dialect.name
    if dialect == "sqlite":
        days: dict[date, dict] = {}
        for start, end in ranges:
            days.update(
                queries.daily(db, principal, place, column, indicators, [basis.span_of(start, end, dialect, "i0")])
            )
        return days
    spans = [basis.span_of(a, b, dialect, f"i{n}") for n, (a, b) in enumerate(ranges)]
    return queries.daily(db, principal, place, column, indicators, spans) if spans else {}


def _by_column(indicators: Iterable[Indicator]) -> dict:
    """{date column of the case: its indicators (once each, in order)}, for those dated by such a column."""
    columns: dict = {}
    for ind in indicators:
        if (column := _column(ind)) is not None and ind not in columns.setdefault(column, []):
            columns[column].append(ind)
    return columns


def dated(indicator: Indicator) -> bool:
    """Whether a column of the case places the indicator's cases in a period (counted in the passes over its index)."""
    return _column(indicator) is not None


def _column(indicator: Indicator):  # noqa: ANN202
    """The date column of the case that places the indicator's cases in a period (None: counted per cell)."""
    return ANCHOR_COLUMNS.get(indicator.anchor) if indicator.family == "case" else None


def _others(
    db: Session,
    principal: Principal,
    place: Place,
    periods: dict[str, Period],
    indicators: list[Indicator],
    by: str | None,
    basis: Basis,
) -> queries.Groups:
    """The cells counted one conditional sum per cell: 司法确认, transfers, 排查 and 问题清单."""
    dialect = db.get_bind().dialect.name
    # The statements know the periods by their place in the list (s0, s1 …), so that other dates reuse them.
    slots = {f"s{n}": key for n, key in enumerate(periods)}
    spans = {slot: basis.span(periods[key], dialect, slot) for slot, key in slots.items()}
    asks = {
        family: [
            queries.Ask(slot, i, s)
            for slot, s in spans.items()
            for i in indicators
            if i.family == family and _column(i) is None
        ]
        for family in CASE_FAMILIES
    }
    families = {i.family for i in indicators}
    results = [
        queries.per_cell(db, principal, place, asks["case"], by),
        queries.transfers(db, principal, place, asks["sent"], by, side="sent"),
        queries.transfers(db, principal, place, asks["answer"], by, side="answer"),
        queries.screening(db, principal, place, spans, by) if "screening" in families else {},
        queries.problems(db, principal, place, spans, by) if "problem" in families else {},
        training.groups(db, principal, place, spans, by, {i.key for i in indicators}) if "training" in families else {},
    ]
    merged: queries.Groups = {}
    for groups in results:
        for group, values in groups.items():
            merged.setdefault(group, {}).update({(slots[k[0]], *k[1:]): v for k, v in values.items()})
    if "screening" in families and by in (None, "org"):
        bodies = queries.screening_bodies(db, principal, place)
        for key, period in periods.items():
            for path, cadence in bodies:
                cell = merged.setdefault(path if by == "org" else None, {})
                cell[(key, "rounds_due")] = cell.get((key, "rounds_due"), 0) + max(1, round(period.days / cadence))
    return merged


def _union(periods: Iterable[Period]) -> list[tuple[date, date]]:
    """The days of these periods as few disjoint ranges, in order (adjacent ones joined)."""
    out: list[tuple[date, date]] = []
    for start, end in sorted((p.start, p.end) for p in periods):
        if out and start <= out[-1][1] + timedelta(days=1):
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _minus(ranges: list[tuple[date, date]], taken: list[tuple[date, date]]) -> list[tuple[date, date]]:
    """The days of `ranges` outside every range of `taken` (all closed ranges), as disjoint ranges in order."""
    out = ranges
    for first, last in taken:
        cut: list[tuple[date, date]] = []
        for start, end in out:
            if end < first or start > last:
                cut.append((start, end))
                continue
            if start < first:
                cut.append((start, first - timedelta(days=1)))
            if end > last:
                cut.append((last + timedelta(days=1), end))
        out = cut
    return out


def _part(period: Period, first: date, last: date) -> bool:
    """Whether the period holds some of the days first…last but not all."""
    overlaps = period.start <= last and first <= period.end
    return overlaps and not (period.start <= first and last <= period.end)


def _inside(day: date, ranges: list[tuple[date, date]]) -> bool:
    return any(start <= day <= end for start, end in ranges)


def _sum_days(days: dict[date, dict], periods: dict[str, Period]) -> dict[str, dict]:
    """Each period's values: the sums of its days' (running totals, so a year of days is added up once)."""
    ordered = sorted(days)
    keys = {k for values in days.values() for k in values}
    running = {k: list(accumulate((days[d].get(k) or 0 for d in ordered), initial=0)) for k in keys}
    out = {}
    for name, period in periods.items():
        first, last = bisect_left(ordered, period.start), bisect_right(ordered, period.end)
        out[name] = {k: totals[last] - totals[first] for k, totals in running.items()}
    return out
