"""The issued 专报 as files: the PDF/A (the dossiers' Renderer, fonts and XMP) and its Excel annex (same numbers)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime

from openpyxl import Workbook

from archive.render import FONTS, Renderer, cn_date, render_slot
from portal.bulletins import present
from portal.bulletins.contents import BY_PLACE, BY_TIER, BY_TYPE, Contents
from portal.stats.export import _definitions, _format, _head, _value, _write


@dataclass(frozen=True)
class Signed:
    """What the title block and the 版记 say."""

    number: str  # 〔2026〕第3期
    title: str
    issuer: str  # 签发人
    issued_on: date  # the local day
    issued_at: datetime
    version: int


def pdf(contents: Contents, analysis: str, advice: str, signed: Signed, *, variant: str) -> tuple[bytes, int]:
    """The PDF/A bytes and the page count."""
    renderer = Renderer(variant)
    view = present.view(contents, font=FONTS[variant])
    with render_slot():
        html = renderer.html(
            "bulletin.html",
            title=signed.title,
            heading=f"{contents.month.label}{contents.org.name}矛盾纠纷研判预警情况",
            number=signed.number,
            org_name=contents.org.name,
            issued_on=cn_date(signed.issued_on),
            issuer=signed.issuer,
            created=signed.issued_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            version=signed.version,
            v=view,
            taken_on=cn_date(contents.taken_on),
            analysis=present.paragraphs(analysis),
            advice=present.paragraphs(advice),
        )
        document = renderer.document(html)
        data = renderer.write(document, properties={"bulletin": signed.number})
    return data, len(document.pages)


def annex(contents: Contents, signed: Signed, *, site: str) -> bytes:
    """The Excel annex: the headline with 环比/同比, the three breakdowns, the trend, the alerts, the definitions."""
    c = contents
    book = Workbook()
    book.properties.creator = site
    book.properties.title = f"{signed.title} {signed.number} 附件"
    sheet = book.active
    sheet.title = "总体情况"
    prev, ago = c.period.previous().label, c.period.year_ago().label
    _head(
        sheet,
        f"{signed.title}（{signed.number}）总体情况",
        [("指标", 1), ("单位", 1), ("本月", 1), (f"上月（{prev}）", 2), (f"去年同月（{ago}）", 2)],
        ["指标", "单位", c.month.label, "数值", "环比", "数值", "同比"],
    )
    for at, row in enumerate(c.headline, start=4):
        f = _format(row.indicator)
        points = '+0.0" 个百分点";-0.0" 个百分点"' if row.indicator.is_rate else "0.0%"

        def scaled(value: float | None, rate: bool = row.indicator.is_rate) -> float | None:
            return None if value is None else (value * 100 if rate else value)

        values = [
            row.indicator.name,
            row.indicator.unit,
            _value(row.current),
            _value(row.previous),
            scaled(row.month_on_month),
            _value(row.year_ago),
            scaled(row.year_on_year),
        ]
        _write(sheet, at, values, [None, None, f, f, points, f, points])
    for name, table, first, keys in (
        ("按纠纷类型", c.by_type, "纠纷类型", BY_TYPE),
        ("按地区", c.by_place, "地区（机构）", BY_PLACE),
        ("按层级", c.by_tier, "层级", BY_TIER),
    ):
        _breakdown(book, name, f"{signed.title} {name}", first, table, keys)
    _trend(book, c, signed)
    _alerts(book, c)
    _definitions(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _breakdown(book: Workbook, name: str, title: str, first: str, table, keys: tuple[str, ...]) -> None:  # noqa: ANN001
    sheet = book.create_sheet(name)
    shown = sorted((i for i in table.indicators if i.key in keys), key=lambda i: keys.index(i.key))
    _head(sheet, title, [(first, 1), ("本月", len(shown))], [first] + [f"{i.name}（{i.unit}）" for i in shown])
    formats = [None] + [_format(i) for i in shown]
    at = 4
    for row in table.rows:
        _write(sheet, at, [row.label] + [_value(row.cells[i.key]) for i in shown], formats)
        at += 1
    _write(sheet, at, ["合计"] + [_value(table.total.cells[i.key]) for i in shown], formats, total=True)


def _trend(book: Workbook, c: Contents, signed: Signed) -> None:
    sheet = book.create_sheet("走势")
    shown = c.trend_indicators
    _head(sheet, f"{signed.title} 近 {len(c.trend)} 个月走势", [("月份", 1), ("指标", len(shown))],
          ["月份"] + [f"{i.name}（{i.unit}）" for i in shown])  # fmt: skip
    for at, row in enumerate(c.trend, start=4):
        _write(sheet, at, [row.label] + [_value(row.cells[i.key]) for i in shown], [None] + [_format(i) for i in shown])


def _alerts(book: Workbook, c: Contents) -> None:
    sheet = book.create_sheet("预警")
    names = ["级别", "规则", "对象", "观测", "基线", "判定"]
    _head(sheet, f"{c.org.name}{c.month.label}预警", [("预警", len(names))], names)
    for at, a in enumerate(c.alerts, start=4):
        _write(sheet, at, [a.level_label, a.rule_label, a.subject, a.observed_text, a.baseline_text, a.rule_text],
               [None] * 6)  # fmt: skip
