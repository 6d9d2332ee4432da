"""The statistics report as API data (msgspec Structs, which also make its OpenAPI schema)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import msgspec

from portal.stats import service
from portal.stats.report import Report


class CellOut(msgspec.Struct):
    value: float | int | None
    href: str = ""  # the list of what the number counts (a page of the portal); empty for rates and targets


class HeadlineOut(msgspec.Struct):
    key: str
    name: str
    unit: str
    definition: str
    current: CellOut
    previous: CellOut
    year_ago: CellOut
    month_on_month: float | None  # 环比: relative change; for rates the change in percentage points (0.05 = 5 points)
    year_on_year: float | None  # 同比, likewise


class RowOut(msgspec.Struct):
    key: str
    label: str
    cells: dict[str, CellOut]


class PeriodOut(msgspec.Struct):
    kind: str
    value: str
    label: str
    start: date
    end: date


class StatsOut(msgspec.Struct):
    org_id: int | None
    org_name: str
    period: PeriodOut
    by: str
    headline: list[HeadlineOut]
    columns: list[str]  # the breakdown's indicators, in order
    rows: list[RowOut]
    total: RowOut
    trend: list[RowOut]


def _cell(cell: service.Cell, href: Callable[[service.Link | None], str]) -> CellOut:
    value = float(cell.value) if isinstance(cell.value, Decimal) else cell.value
    return CellOut(value=value, href=href(cell.link))


def _row(row: service.Row, href: Callable[[service.Link | None], str]) -> RowOut:
    return RowOut(key=row.key, label=row.label, cells={k: _cell(c, href) for k, c in row.cells.items()})


def encode(report: Report, href: Callable[[service.Link | None], str]) -> StatsOut:
    p = report.period
    return StatsOut(
        org_id=report.place.org.id if report.place.org else None,
        org_name=report.place_name,
        period=PeriodOut(kind=p.kind, value=p.value, label=p.label, start=p.start, end=p.end),
        by=report.by,
        headline=[
            HeadlineOut(
                key=h.indicator.key,
                name=h.indicator.name,
                unit=h.indicator.unit,
                definition=h.indicator.definition,
                current=_cell(h.current, href),
                previous=_cell(h.previous, href),
                year_ago=_cell(h.year_ago, href),
                month_on_month=h.month_on_month,
                year_on_year=h.year_on_year,
            )
            for h in report.headline
        ],
        columns=[i.key for i in report.breakdown.indicators],
        rows=[_row(r, href) for r in report.breakdown.rows],
        total=_row(report.breakdown.total, href),
        trend=[_row(r, href) for r in report.trend],
    )
