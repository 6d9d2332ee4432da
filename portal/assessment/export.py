"""A 考核 result as Excel (the statistics' sheet style) and as a printable PDF (the dossiers' renderer): exactly the
rows the viewer may read, with their items, reasons and evidence numbers."""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook

from archive.render import Renderer, cn_date
from portal.assessment.views import RunView
from portal.stats.export import _head, _write


def _title(view: RunView) -> str:
    run = view.run
    year, month = run.month.split("-")
    return f"{run.rubric_name} {year}年{int(month)}月考核结果"


def workbook(view: RunView, *, site: str) -> bytes:
    book = Workbook()
    book.properties.creator = site
    book.properties.title = _title(view)
    sheet = book.active
    sheet.title = "排名"
    _head(sheet, _title(view), [("机构", 1), ("结果", 3)], ["机构", "总分", "等次", "名次"])
    at = 4
    for row in view.rows:
        s = row.score
        _write(sheet, at, [s.org_name, s.total, s.grade, f"{s.rank}/{view.ranked}"], [None, "0.00", None, None])
        at += 1
    items = book.create_sheet("得分明细")
    _head(
        items,
        f"{_title(view)} 得分明细",
        [("机构", 1), ("考核项目", 3), ("得分", 3), ("依据", 1)],
        ["机构", "项目", "分值", "计分规则", "指标值", "计算得分", "最终得分", "调整原因与统计依据"],
    )
    at = 4
    for row in view.rows:
        for line in row.lines:
            i = line.item
            basis = "；".join(f"{e['label']} {e['value']}{e['unit']}" for e in line.evidence)
            note = "；".join(x for x in (f"调整原因：{i.reason}" if i.reason else "", basis) if x)
            _write(
                items,
                at,
                [row.score.org_name, i.name, i.weight, i.rule, i.value, i.computed, i.points, note],
                [None, None, "0.00", None, None, "0.00", "0.00", None],
            )
            at += 1
    for column, width in (("B", 22), ("D", 26), ("E", 18), ("H", 60)):
        items.column_dimensions[column].width = width
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def pdf(view: RunView, *, issued_by: str) -> bytes:
    """The ranking and each readable body's items, in the dossiers' page frame and fonts (PDF/A)."""
    run = view.run
    return Renderer().single(
        "assessment.html",
        title=_title(view),
        doc_title=_title(view),
        authors=[issued_by],
        heading=_title(view),
        assessed=run.assessed_name,
        issuer=run.org_name,
        revision=run.revision,
        reason=run.reason,
        published=cn_date(run.published_at.date()) if run.published_at else "",
        state=run.state.label,
        ranked=view.ranked,
        rows=[
            {
                "name": r.score.org_name,
                "total": str(r.score.total),
                "grade": r.score.grade,
                "rank": r.score.rank,
                "items": [
                    {
                        "name": ln.item.name,
                        "weight": str(ln.item.weight),
                        "value": ln.item.value,
                        "points": str(ln.item.points),
                        "reason": ln.item.reason,
                    }
                    for ln in r.lines
                ],
            }
            for r in view.rows
        ],
    )
