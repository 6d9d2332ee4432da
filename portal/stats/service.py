"""Statistics for a viewer, a place and periods: tables of cells, each with the link to exactly what it counts.

The reusable API (docs/statistics.md): `table` (one period, optionally broken down by a dimension), `headline`
(every indicator with 环比 and 同比) and `trend` (one row per period). A Cell carries its value and, for counts, the
list that shows the same items — the case list filtered by the indicator, its period and the row's filters — so a
report, an assessment or an export can cite the cases behind any number.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from sqlmodel import Session, select

from portal.cases.models import CHANNELS, DisputeType
from portal.orgs.models import TIER_ORDER, Organisation
from portal.people.models import Person
from portal.scope import Principal
from portal.stats import queries
from portal.stats.compute import PARTITIONS, Basis, compute, counted_from, dated
from portal.stats.dimensions import Place, Slot, fold_path, org_slots
from portal.stats.indicators import CASE_FAMILIES, INDICATORS, Indicator
from portal.stats.periods import Period, change
from portal.training import stats as training

Number = int | float | Decimal | None


@dataclass(frozen=True)
class Link:
    """A list that shows what a cell counts: a route name and its query parameters."""

    route: str
    params: tuple[tuple[str, str], ...]

    @property
    def query(self) -> str:
        return urlencode(self.params)


@dataclass(frozen=True)
class Cell:
    value: Number
    link: Link | None = None
    items: int | None = None  # how many items the link lists: the count itself, or the cases behind a sum
    parts: tuple[Number, Number] | None = None  # a rate's numerator and denominator


@dataclass
class Row:
    key: str
    label: str
    cells: dict[str, Cell] = field(default_factory=dict)
    place: Place | None = None  # organisation rows: the place to drill into


@dataclass
class Table:
    period: Period
    by: str | None
    indicators: list[Indicator]
    rows: list[Row]
    total: Row


@dataclass
class HeadlineRow:
    indicator: Indicator
    current: Cell
    previous: Cell
    year_ago: Cell

    @property
    def month_on_month(self) -> float | None:  # 环比
        return _compare(self.indicator, self.current.value, self.previous.value)

    @property
    def year_on_year(self) -> float | None:  # 同比
        return _compare(self.indicator, self.current.value, self.year_ago.value)


def _compare(indicator: Indicator, now: Number, before: Number) -> float | None:
    """Counts: the relative change; rates: the change in percentage points (as a fraction)."""
    if indicator.is_rate:
        return None if now is None or before is None else float(now) - float(before)
    return change(float(now) if now is not None else None, float(before) if before is not None else None)


def expand(keys: Iterable[str]) -> list[Indicator]:
    """The indicators asked for, and those their rates divide."""
    wanted = [INDICATORS[k] for k in keys if k in INDICATORS]
    needed = {k for i in wanted if i.is_rate for k in (i.numerator, i.denominator) if k is not None}
    return wanted + [INDICATORS[k] for k in needed if k not in {i.key for i in wanted}]


def _fold(groups: queries.Groups, key_of) -> queries.Groups:  # noqa: ANN001
    """Add up the groups that map to one row (None: outside every row)."""
    out: queries.Groups = {}
    for group, values in groups.items():
        row = key_of(group)
        if row is None:
            continue
        target = out.setdefault(row, {})
        for k, v in values.items():
            target[k] = (target.get(k) or 0) + (v or 0)
    return out


def _link(indicator: Indicator, period: Period, place: Place, params: dict[str, str]) -> Link | None:
    days = (period.start.isoformat(), period.end.isoformat())
    if indicator.family in CASE_FAMILIES:
        query = {"ind": indicator.key, "ind_from": days[0], "ind_to": days[1], **place.params(), **params}
        return Link("list_cases", tuple(query.items()))
    if params:  # screening, problems and training have no breakdown but by organisation
        return None
    if indicator.key in ("training_sessions", "training_attendees"):
        return Link("list_training", training.link_params(place, *days))
    if indicator.key in ("rounds_held", "findings"):
        return Link("list_screening", (*place.params().items(), ("held_from", days[0]), ("held_to", days[1])))
    if indicator.key == "problems_registered":
        return Link("list_problems", (*place.params().items(), ("found_from", days[0]), ("found_to", days[1])))
    if indicator.key == "problems_struck":
        extra = (("state", "struck_off"), ("struck_from", days[0]), ("struck_to", days[1]))
        return Link("list_problems", (*place.params().items(), *extra))
    return None


def _cells(
    values: dict, period_key: str, period: Period, indicators: list[Indicator], place: Place, params: dict[str, str]
) -> dict[str, Cell]:
    """The cells of one row and period; `params` are the row's list filters besides the place."""
    cells: dict[str, Cell] = {}
    for ind in indicators:
        if ind.is_rate:
            continue
        if ind.family not in CASE_FAMILIES and params:  # 排查 and 问题清单 break down by organisation only
            cells[ind.key] = Cell(None)
            continue
        value = values.get((period_key, ind.key)) or 0
        if ind.sums:  # the link lists the cases summed over
            items = values.get((period_key, ind.key, "cases")) or 0
        else:
            items = values.get((period_key, ind.lists)) or 0 if ind.lists else value
        link = _link(ind, period, place, params)
        cells[ind.key] = Cell(value, link, items if link else None)
    for ind in indicators:
        if ind.is_rate:
            assert ind.numerator is not None and ind.denominator is not None  # a rate divides two indicators
            top, bottom = cells[ind.numerator].value, cells[ind.denominator].value
            rate = float(top) / float(bottom) if top is not None and bottom else None
            cells[ind.key] = Cell(rate, parts=(top, bottom))
    return cells


def table(
    db: Session,
    principal: Principal,
    place: Place,
    period: Period,
    keys: Iterable[str],
    by: str | None = None,
    *,
    basis: Basis,
) -> Table:
    """One period's indicators for a place: a total row, and with `by` one row per value of that dimension."""
    indicators = expand(keys)
    totals = compute(db, principal, place, [({"p": period}, indicators)], None, basis)
    return _table(db, principal, place, period, indicators, by, totals.get(None, {}), "p", basis)


def _table(
    db: Session,
    principal: Principal,
    place: Place,
    period: Period,
    indicators: list[Indicator],
    by: str | None,
    totals: dict,
    key: str,
    basis: Basis,
    groups: queries.Groups | None = None,
) -> Table:
    """The table whose total row is `totals`' cells of period `key`: the ungrouped count, as a breakdown by mediator
    need not add up (a case may have two). `groups`: the breakdown's cells (period "p"), if already counted."""
    total = Row("total", "合计", _cells(totals, key, period, indicators, place, {}), place)
    if by is None:
        return Table(period, by, indicators, [], total)
    if groups is None:
        groups = compute(db, principal, place, [({"p": period}, indicators)], by, basis)
    return Table(period, by, indicators, _rows(db, principal, place, period, indicators, by, groups), total)


def _rows(
    db: Session,
    principal: Principal,
    place: Place,
    period: Period,
    indicators: list[Indicator],
    by: str,
    groups: queries.Groups,
) -> list[Row]:
    shown = {i.key for i in indicators}

    def row(key: str, label: str, values: dict, where: Place, params: dict[str, str]) -> Row:
        return Row(key, label, _cells(values, "p", period, indicators, where, params), where if by == "org" else None)

    if by == "org":
        roots = _roots(db, principal)
        slots: list[Slot] = org_slots(place, _children(db, principal, place), roots)
        folded = _fold(groups, lambda path: fold_path(place, roots, path) if isinstance(path, str) else None)
        return [row(s.key, s.label, folded.get(s.key, {}), s.place, {}) for s in slots]
    if by == "tier":  # grouped by organisation (see queries._group)
        tiers = dict(db.exec(select(Organisation.id, Organisation.tier)).all())
        order = {t.value: n for n, t in enumerate(TIER_ORDER)}
        folded = _fold(groups, lambda org_id: getattr(tiers.get(org_id), "value", None))
        keys = sorted(folded, key=lambda t: order.get(t, 99))
        labels = {t.value: t.label for t in TIER_ORDER}
        return [row(k, labels.get(k, k), folded[k], place, {"tier": k}) for k in keys if _any(folded[k], shown)]
    if by in ("type", "subtype"):
        names, parents = _types(db)
        fold = (lambda code: parents.get(code) or code) if by == "type" else (lambda code: code)
        folded = _fold(groups, fold)
        extra = {"type_exact": "1"} if by == "subtype" else {}

        def label(code: str) -> str:
            parent = parents.get(code)
            return f"{names.get(parent, parent)} · {names.get(code, code)}" if parent else names.get(code, code)

        return [
            row(c, label(c), folded[c], place, {"dispute_type": c, **extra})
            for c in sorted(folded)
            if _any(folded[c], shown)
        ]
    if by == "channel":
        folded = _fold(groups, lambda c: c)
        keys = sorted(folded, key=lambda c: (CHANNELS.index(c) if c in CHANNELS else 99, c))
        return [row(c, c, folded[c], place, {"channel": c}) for c in keys if _any(folded[c], shown)]
    if by == "mediator":
        folded = _fold(groups, lambda pid: str(pid))
        names = dict(db.exec(select(Person.id, Person.name).where(Person.id.in_([int(k) for k in folded]))).all())
        first = next((("p", i.key) for i in indicators if not i.is_rate), None)
        keys = sorted(folded, key=lambda k: (-(folded[k].get(first) or 0), names.get(int(k), ""), k))
        return [row(k, names.get(int(k), k), folded[k], place, {"mediator": k}) for k in keys if _any(folded[k], shown)]
    return []


def _any(values: dict, shown: set[str]) -> bool:
    """Whether a row has anything in the table's indicators (its groups may hold others: see `overview`)."""
    return any(v for k, v in values.items() if k[1] in shown)


def _roots(db: Session, principal: Principal) -> list[Organisation]:
    paths = principal.roots()
    seen = {g.org.path: g.org for g in principal.grants}
    return [seen[p] for p in paths if p in seen]


def _children(db: Session, principal: Principal, place: Place) -> list[Organisation]:
    if place.org is None or place.only:
        return []
    return list(
        db.exec(
            select(Organisation)
            .where(Organisation.parent_id == place.org.id)
            .order_by(Organisation.sort_order, Organisation.id)
        ).all()
    )


def _types(db: Session) -> tuple[dict[str, str], dict[str, str]]:
    rows = db.exec(select(DisputeType.code, DisputeType.name, DisputeType.parent_code)).all()
    return {c: n for c, n, _ in rows}, {c: p for c, _, p in rows if p}


def headline(
    db: Session, principal: Principal, place: Place, period: Period, keys: Iterable[str], *, basis: Basis
) -> list[HeadlineRow]:
    """Each indicator in the period, the one before (环比) and the same one a year earlier (同比)."""
    keys = list(keys)
    indicators = expand(keys)
    periods = _compared(period)
    values = compute(db, principal, place, [(periods, indicators)], None, basis).get(None, {})
    return _headline(values, periods, indicators, keys, place)


def _compared(period: Period) -> dict[str, Period]:
    return {"cur": period, "prev": period.previous(), "ago": period.year_ago()}


def _headline(
    values: dict, periods: dict[str, Period], indicators: list[Indicator], keys: list[str], place: Place
) -> list[HeadlineRow]:
    cells = {k: _cells(values, k, p, indicators, place, {}) for k, p in periods.items()}
    wanted = [i for i in indicators if i.key in set(keys)]
    return [HeadlineRow(i, cells["cur"][i.key], cells["prev"][i.key], cells["ago"][i.key]) for i in wanted]


def trend(
    db: Session, principal: Principal, place: Place, periods: list[Period], keys: Iterable[str], *, basis: Basis
) -> list[Row]:
    """One row per period, oldest first."""
    indicators = expand(keys)
    named = {f"t{n}": p for n, p in enumerate(periods)}
    values = compute(db, principal, place, [(named, indicators)], None, basis).get(None, {})
    return _trend(values, named, indicators, place)


def _trend(values: dict, named: dict[str, Period], indicators: list[Indicator], place: Place) -> list[Row]:
    return [Row(p.value, p.short_label, _cells(values, k, p, indicators, place, {})) for k, p in named.items()]


@dataclass
class Overview:
    headline: list[HeadlineRow]
    table: Table
    trend: list[Row]


def overview(
    db: Session,
    principal: Principal,
    place: Place,
    period: Period,
    by: str | None,
    *,
    keys: Iterable[str],
    breakdown: Iterable[str],
    trend_keys: Iterable[str],
    basis: Basis,
) -> Overview:
    """What the statistics page shows — `headline`, `table` and `trend` — with their totals counted together: one
    pass per date over the days of all their periods."""
    keys = list(keys)
    indicators, columns, lines = expand(keys), expand(breakdown), expand(trend_keys)
    compared = _compared(period)
    named = {f"t{n}": p for n, p in enumerate(period.trend())}
    groups, counted = None, None
    if by in PARTITIONS and period.kind != "custom":
        # The breakdown's passes over the case's dates count the headline's indicators too: its groups add up to the
        # current period, which the headline's and the trend's passes then skip (the other periods of a month, quarter
        # or year hold all of its days or none; a custom range's 同比 and trend months may hold part of it).
        both = columns + [i for i in indicators if i not in columns and dated(i)]
        groups = compute(db, principal, place, [({"p": period}, both)], by, basis)
        counted = counted_from(groups, "p", period, both)
    asked = [(compared, indicators), (named, lines)]
    values = compute(db, principal, place, asked, None, basis, counted=counted).get(None, {})
    return Overview(
        headline=_headline(values, compared, indicators, keys, place),
        table=_table(db, principal, place, period, columns, by, values, "cur", basis, groups),
        trend=_trend(values, named, lines, place),
    )
