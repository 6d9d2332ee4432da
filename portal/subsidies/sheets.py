"""The 发放表 of a batch as an Excel workbook (the house style of portal/stats/export.py) and as a PDF/A with
signature lines (templates/pdf/sheets/subsidy_batch.html). Both are made from the same lines and the same totals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from archive.render import Renderer
from portal.orgs.models import Organisation
from portal.stats.export import BOLD, BOX, CENTRE, HEAD_FILL, TOTAL_FILL
from portal.subsidies import money
from portal.subsidies.batches import Line, money_sum
from portal.subsidies.models import PaymentBatch

COLUMNS = [
    ("序号", 6),
    ("案号", 30),
    ("案件名称", 26),
    ("调解组织", 28),
    ("难易程度", 9),
    ("协议形式", 10),
    ("核定补贴（元）", 14),
    ("调解员", 10),
    ("应发（元）", 12),
    ("实发（元）", 12),
    ("领取人签字", 14),
]
YUAN = "#,##0.00"
SIGNERS = ("制表人", "审核人", "单位负责人")


@dataclass
class Sheet:
    title: str
    org: str
    month: str
    lines: list[Line]
    claims: int
    due: object  # Decimal: the shares as approved
    paid: object  # Decimal: after the yearly caps
    made_by: str
    made_on: date
    paid_on: date | None


def sheet_of(batch: PaymentBatch, org: Organisation, lines: list[Line]) -> Sheet:
    year, month = batch.month.split("-")
    return Sheet(
        title=f"{org.name}{int(year)}年{int(month)}月人民调解个案补贴发放表",
        org=org.name,
        month=batch.month,
        lines=lines,
        claims=batch.claims,
        due=money_sum(line.share for line in lines),
        paid=money_sum(line.paid for line in lines),
        made_by=batch.created_by_name,
        made_on=batch.created_at.date(),
        paid_on=batch.paid_on,
    )


def excel(sheet: Sheet) -> bytes:
    book = Workbook()
    ws = book.active
    ws.title = "发放表"
    width = len(COLUMNS)
    ws.cell(1, 1, sheet.title).font = Font(bold=True, size=13)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws.cell(2, 1, f"发放单位：{sheet.org}　　发放月份：{sheet.month}　　件数：{sheet.claims}")
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    for n, (name, col_width) in enumerate(COLUMNS, start=1):
        cell = ws.cell(3, n, name)
        cell.fill, cell.font, cell.alignment, cell.border = HEAD_FILL, BOLD, CENTRE, BOX
        ws.column_dimensions[cell.column_letter].width = col_width
    row = 4
    for n, line in enumerate(sheet.lines, start=1):
        values = [
            n,
            line.number,
            line.title,
            line.org,
            line.grade,
            line.outcome,
            line.claim_amount,
            line.person,
            line.share,
            line.paid,
            "",
        ]
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row, col, value)  # Decimal amounts are written as they are: exact, no float
            cell.border = BOX
            if col in (7, 9, 10):
                cell.number_format = YUAN
        row += 1
    ws.cell(row, 1, "合计")
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=8)
    ws.cell(row, 9, sheet.due).number_format = YUAN
    ws.cell(row, 10, sheet.paid).number_format = YUAN
    for col in range(1, width + 1):
        cell = ws.cell(row, col)
        cell.fill, cell.font, cell.border = TOTAL_FILL, BOLD, BOX
    ws.cell(row, 1).alignment = Alignment(horizontal="center")
    row += 2
    ws.cell(row, 1, "　　".join(f"{who}（签字）：＿＿＿＿＿＿" for who in SIGNERS))
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
    ws.cell(row + 1, 1, f"编制：{sheet.made_by}　{sheet.made_on}")
    ws.freeze_panes = "A4"
    ws.print_title_rows = "3:3"
    ws.page_setup.orientation = "landscape"
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def pdf(sheet: Sheet, *, variant: str, position: str) -> bytes:
    return Renderer(variant, position).single(
        "sheets/subsidy_batch.html",
        title=sheet.title,
        doc_title=sheet.title,
        authors=[sheet.org],
        sheet=sheet,
        signers=SIGNERS,
        yuan=money.yuan,
    )
