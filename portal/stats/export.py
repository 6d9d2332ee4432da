"""The statistics page as an Excel workbook: what is shown, sheet by sheet, and a sheet of definitions.

Each table has a two-row header (a group over its columns, then the columns with their units), frozen panes below
the header and right of the row names, a total row, and number formats (counts, 0.0 % for rates, 元 with two
decimals); the 口径说明 sheet has every indicator's definition.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from portal.stats import indicators
from portal.stats.dimensions import DIMENSIONS
from portal.stats.indicators import Indicator
from portal.stats.report import Report
from portal.stats.service import Cell, Row

HEAD_FILL = PatternFill("solid", fgColor="DCE6F1")
TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
THIN = Side(style="thin", color="999999")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
BOLD = Font(bold=True)
CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _format(indicator: Indicator) -> str:
    if indicator.is_rate:
        return "0.0%"
    return "#,##0.00" if indicator.unit == "元" else "#,##0"


def _value(cell: Cell) -> float | int | None:
    return float(cell.value) if isinstance(cell.value, Decimal) else cell.value


def _head(sheet: Worksheet, title: str, groups: Sequence[tuple[str, int]], names: Sequence[str]) -> None:
    """Row 1 the title, rows 2–3 the two-row header: groups spanning their columns, then the column names."""
    sheet.cell(1, 1, title).font = Font(bold=True, size=13)
    column = 1
    for label, width in groups:
        sheet.cell(2, column, label)
        if width > 1:
            sheet.merge_cells(start_row=2, start_column=column, end_row=2, end_column=column + width - 1)
        column += width
    for n, name in enumerate(names, start=1):
        sheet.cell(3, n, name)
    for row in (2, 3):
        for n in range(1, len(names) + 1):
            cell = sheet.cell(row, n)
            cell.fill, cell.font, cell.alignment, cell.border = HEAD_FILL, BOLD, CENTRE, BOX
    sheet.freeze_panes = "B4"
    sheet.column_dimensions["A"].width = 28
    for n in range(2, len(names) + 1):
        sheet.column_dimensions[get_column_letter(n)].width = 13


def _write(sheet: Worksheet, at: int, values: Sequence, formats: Sequence[str | None], *, total: bool = False) -> None:
    for n, (value, number_format) in enumerate(zip(values, formats, strict=True), start=1):
        cell = sheet.cell(at, n, value)
        cell.border = BOX
        if number_format:
            cell.number_format = number_format
        if total:
            cell.fill, cell.font = TOTAL_FILL, BOLD


def _headline(book: Workbook, report: Report) -> None:
    sheet = book.active
    sheet.title = "指标总览"
    p = report.period
    _head(
        sheet,
        f"{report.place_name} {p.label} 人民调解统计",
        [
            ("指标", 1),
            ("单位", 1),
            ("本期", 1),
            (f"上期（{p.previous().label}）", 2),
            (f"去年同期（{p.year_ago().label}）", 2),
        ],
        ["指标", "单位", p.label, "数值", "环比", "数值", "同比"],
    )
    for at, h in enumerate(report.headline, start=4):
        f = _format(h.indicator)
        change = "0.0%" if not h.indicator.is_rate else '+0.0" 个百分点";-0.0" 个百分点"'
        values = [
            h.indicator.name,
            h.indicator.unit,
            _value(h.current),
            _value(h.previous),
            _points(h.indicator, h.month_on_month),
            _value(h.year_ago),
            _points(h.indicator, h.year_on_year),
        ]
        _write(sheet, at, values, [None, None, f, f, change, f, change])


def _points(indicator: Indicator, value: float | None) -> float | None:
    """Changes of rates are written in percentage points (the format says so), of counts as a percentage."""
    return None if value is None else (value * 100 if indicator.is_rate else value)


def _table(book: Workbook, name: str, title: str, first: str, rows: Sequence[Row], total: Row | None, shown) -> None:  # noqa: ANN001
    sheet = book.create_sheet(name)
    groups: list[tuple[str, int]] = [(first, 1)]
    for ind in shown:
        if groups[-1][0] == ind.section:
            groups[-1] = (ind.section, groups[-1][1] + 1)
        else:
            groups.append((ind.section, 1))
    _head(sheet, title, groups, [first] + [f"{i.name}（{i.unit}）" for i in shown])
    formats = [None] + [_format(i) for i in shown]
    at = 4
    for row in rows:
        _write(sheet, at, [row.label] + [_value(row.cells[i.key]) for i in shown], formats)
        at += 1
    if total is not None:
        _write(sheet, at, ["合计"] + [_value(total.cells[i.key]) for i in shown], formats, total=True)


def _definitions(book: Workbook) -> None:
    sheet = book.create_sheet("口径说明")
    _head(sheet, "指标与统计口径", [("指标", 1), ("口径", 3)], ["指标", "单位", "分组", "统计口径"])
    sheet.column_dimensions["D"].width = 100
    for at, ind in enumerate(indicators.INDICATORS.values(), start=4):
        _write(sheet, at, [ind.name, ind.unit, ind.section, ind.definition], [None] * 4)
        sheet.cell(at, 4).alignment = Alignment(wrap_text=True, vertical="top")


def workbook(report: Report, *, site: str) -> bytes:
    """The workbook's bytes."""
    book = Workbook()
    book.properties.creator = site
    book.properties.title = f"{report.place_name} {report.period.label} 统计分析"
    _headline(book, report)
    table = report.breakdown
    shown = [i for i in table.indicators if i.key in indicators.BREAKDOWN]
    label = DIMENSIONS.get(report.by, report.by)
    _table(
        book,
        f"按{label}",
        f"{report.place_name} {report.period.label} 按{label}",
        label,
        table.rows,
        table.total,
        shown,
    )
    _table(book, "走势", f"{report.place_name} 近 12 期走势", "期间", report.trend, None, report.trend_indicators)
    _definitions(book)
    out = BytesIO()
    book.save(out)
    return out.getvalue()
