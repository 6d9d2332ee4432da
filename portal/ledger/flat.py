"""Flat tables (CSV, XLSX): one row per case with the case's own fields and the parties' names."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, select

from portal.cases.models import STATE_LABELS, DisputeType

# Column → ledger field; each column may be headed in Chinese or in English.
COLUMNS: dict[str, str] = {
    "案号": "number",  # kept as written when well formed (portal.cases.numbers); empty: numbered at import
    "number": "number",
    "机构": "org",
    "org": "org",
    "案件名称": "title",
    "title": "title",
    "来源渠道": "channel",
    "channel": "channel",
    "纠纷类型": "dispute_type",
    "dispute_type": "dispute_type",
    "纠纷简要情况": "summary",
    "summary": "summary",
    "请求事项": "requests",
    "requests": "requests",
    "涉及金额": "amount",
    "amount": "amount",
    "涉及人数": "people_involved",
    "people_involved": "people_involved",
    "群体性纠纷": "group_dispute",
    "group_dispute": "group_dispute",
    "重大风险": "risk_flag",
    "risk_flag": "risk_flag",
    "状态": "state",
    "state": "state",
    "收到日期": "received_on",
    "received_on": "received_on",
    "受理日期": "accepted_on",
    "accepted_on": "accepted_on",
    "结案日期": "closed_on",
    "closed_on": "closed_on",
    "申请人": "applicants",
    "applicants": "applicants",
    "被申请人": "respondents",
    "respondents": "respondents",
}
_NAMES = re.compile(r"[、，,；;]")
_STATE_BY_LABEL = {label: state.value for state, label in STATE_LABELS.items()}


class FlatError(ValueError):
    """The table itself cannot be read (no header, unknown columns)."""


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def decode(content: bytes) -> str:
    """UTF-8 (with or without BOM) or, as Excel on Chinese Windows saves it, GB18030."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("gb18030")


def csv_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        yield number, [_cell(c) for c in row]


def xlsx_rows(content: bytes) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [_cell(c) for c in row]
    finally:
        book.close()


def lines_of(db: Session, rows: Iterator[tuple[int, list[str]]]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(row number, ledger object) for every non-empty row after the header."""
    header: list[str | None] | None = None
    types = {t.name: t.code for t in db.exec(select(DisputeType)).all()}
    for number, row in rows:
        if not any(row):
            continue
        if header is None:
            header = [COLUMNS.get(c.strip().lower()) or COLUMNS.get(c.strip()) for c in row]
            unknown = [c for c, f in zip(row, header, strict=True) if c and f is None]
            if unknown:
                raise FlatError(f"第 {number} 行（表头）：无法识别的列：{'、'.join(unknown)}。可用的列见导入格式说明。")
            if "title" not in header:
                raise FlatError(f"第 {number} 行（表头）：缺少“案件名称”列。")
            continue
        values = {f: v for f, v in zip(header, row, strict=False) if f and v}  # a short row leaves the rest empty
        yield number, _ledger_object(values, types)


def _ledger_object(values: dict[str, str], types: dict[str, str]) -> dict[str, Any]:
    line: dict[str, Any] = {k: v for k, v in values.items() if k not in ("applicants", "respondents")}
    if line.get("dispute_type") in types:
        line["dispute_type"] = types[line["dispute_type"]]
    if line.get("state") in _STATE_BY_LABEL:
        line["state"] = _STATE_BY_LABEL[line["state"]]
    parties = [{"role": "申请人", "name": n.strip()} for n in _NAMES.split(values.get("applicants", "")) if n.strip()]
    parties += [
        {"role": "被申请人", "name": n.strip()} for n in _NAMES.split(values.get("respondents", "")) if n.strip()
    ]
    line["parties"] = parties
    return line
