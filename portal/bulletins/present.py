"""A 专报's contents as its page and its PDF print them: formatted figures, the summary sentence, tables and charts.

The page (templates/bulletins/show.html) and the PDF (templates/pdf/bulletin.html) include the same body
(templates/pdf/_bulletin_body.html) with this view, so the draft a person reads is what is issued.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup

from portal.bulletins.contents import BY_PLACE, BY_TIER, Contents
from portal.stats import charts
from portal.stats.service import Cell, HeadlineRow, Row, Table


def number(value: object, unit: str = "") -> str:
    """A count with thousands separators, a sum in 元 with two decimals, a rate as a percentage; — when unknown."""
    if value is None:
        return "—"
    if unit == "%":
        return f"{float(value) * 100:.1f}%"
    if unit == "元" or isinstance(value, Decimal):
        return f"{float(value):,.2f}"
    return f"{float(value):,.0f}"


def change(row: HeadlineRow, value: float | None) -> str:
    """环比/同比: a count's change in per cent, a rate's in percentage points."""
    if value is None:
        return "—"
    if row.indicator.is_rate:
        return f"{value * 100:+.1f} 个百分点"
    return f"{value * 100:+.1f}%"


def _said(row: HeadlineRow, value: float | None, what: str) -> str:
    if value is None:
        return f"{what}无可比数据"
    if abs(value) < 0.0005:
        return f"{what}持平"
    word = "上升" if value > 0 else "下降"
    amount = f"{abs(value) * 100:.1f} 个百分点" if row.indicator.is_rate else f"{abs(value) * 100:.1f}%"
    return f"{what}{word} {amount}"


@dataclass
class Line:
    cells: list[str]
    total: bool = False


@dataclass
class Grid:
    """A table as printed: its heading, column names and rows of formatted cells."""

    title: str
    columns: list[str]
    lines: list[Line]


def _grid(title: str, first: str, table: Table, keys: tuple[str, ...], extra=None, rows=None) -> Grid:  # noqa: ANN001
    shown = [i for i in table.indicators if i.key in keys]
    shown.sort(key=lambda i: keys.index(i.key))

    def cells(row: Row) -> list[str]:
        out = [row.label] + [number(row.cells[i.key].value, i.unit) for i in shown]
        return out + ([extra(row.cells)] if extra else [])

    columns = [first] + [i.name for i in shown] + (["占登记总数"] if extra else [])
    lines = [Line(cells(r)) for r in (rows or table.rows)] + [Line(cells(table.total), total=True)]
    return Grid(title, columns, lines)


def _fonted(svg: Markup, font: str | None) -> Markup:
    """The chart in the PDF's own fonts (PDF/A-1 may embed only TrueType ones)."""
    return Markup(str(svg).replace(charts.FONT, font.replace('"', "'"))) if font else svg


@dataclass
class View:
    summary: str
    headline: list[list[str]]
    grids: dict[str, Grid]
    charts: dict[str, Markup]
    contents: Contents


def view(contents: Contents, *, font: str | None = None) -> View:
    c = contents
    received, succeeded = c.row("received"), c.row("succeeded")
    summary = (
        f"{c.month.label}，{c.org.name}共登记矛盾纠纷 {number(received.current.value)} 件，"
        f"{_said(received, received.month_on_month, '环比')}，{_said(received, received.year_on_year, '同比')}；"
        f"受理 {number(c.value('accepted'))} 件；调解成功 {number(succeeded.current.value)} 件，"
        f"调解成功率 {number(c.row('success_rate').current.value, '%')}；"
        f"就地化解 {number(c.value('local'))} 件，就地化解率 {number(c.row('local_rate').current.value, '%')}；"
        f"群体性纠纷 {number(c.value('group'))} 件，防激化（风险）案件 {number(c.value('risk'))} 件；"
        f"本月预警 {len(c.alerts)} 条。"
    )
    headline = [
        [
            r.indicator.name,
            r.indicator.unit,
            number(r.current.value, r.indicator.unit),
            number(r.previous.value, r.indicator.unit),
            change(r, r.month_on_month),
            number(r.year_ago.value, r.indicator.unit),
            change(r, r.year_on_year),
        ]
        for r in c.headline
    ]

    def share(cells: dict[str, Cell]) -> str:
        value = c.share(cells["received"])
        return "—" if value is None else f"{value * 100:.1f}%"

    grids = {
        "type": _grid(
            "按纠纷类型", "纠纷类型", c.by_type, ("received", "succeeded", "success_rate"), share, c.top_types
        ),
        "place": _grid("按地区（机构）", "地区（机构）", c.by_place, BY_PLACE),
        "tier": _grid("按层级", "层级", c.by_tier, BY_TIER),
    }
    types = c.top_types
    label = f"（{c.month.label}）"
    made = {
        "type": charts.bars(
            "bulletin-type",
            f"按纠纷类型：登记数与调解成功数{label}",
            [r.label for r in types],
            [
                (n, [float(r.cells[k].value or 0) for r in types])
                for k, n in (("received", "登记数"), ("succeeded", "调解成功数"))
            ],
        ),
        "place": charts.bars(
            "bulletin-place",
            f"按地区：登记数{label}",
            [r.label for r in c.by_place.rows],
            [("登记数", [float(r.cells["received"].value or 0) for r in c.by_place.rows])],
        ),
        "tier": charts.bars(
            "bulletin-tier",
            f"按层级：登记数与就地化解数{label}",
            [r.label for r in c.by_tier.rows],
            [
                (n, [float(r.cells[k].value or 0) for r in c.by_tier.rows])
                for k, n in (("received", "登记数"), ("local", "就地化解数"))
            ],
        ),
        "trend": charts.lines(
            "bulletin-trend",
            f"近 {len(c.trend)} 个月走势",
            [r.label for r in c.trend],
            [(i.name, [float(r.cells[i.key].value or 0) for r in c.trend]) for i in c.trend_indicators],
        ),
    }
    return View(summary, headline, grids, {k: _fonted(v, font) for k, v in made.items()}, contents)


def paragraphs(text: str) -> list[list[str]]:
    """The editor's text as paragraphs (blank lines) of lines (line breaks), for autoescaped templates."""
    blocks = [b for b in text.replace("\r\n", "\n").split("\n\n") if b.strip()]
    return [[line for line in block.split("\n")] for block in blocks]
