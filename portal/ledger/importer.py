"""Importing a ledger file: all or nothing, with a line-numbered report in Chinese."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import case as when
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from portal.audit import service as audit
from portal.cases.models import Case, CaseEvent, CaseMediator, CaseSequence
from portal.cases.service import next_number
from portal.db import stored_id
from portal.ledger import flat
from portal.ledger.lines import Draft, LineReader, Lookup, Scope
from portal.orgs.models import Organisation
from portal.people.models import Membership, Person, Role
from portal.scope import Principal

IMPORT_ROLES = (Role.CLERK, Role.DIRECTOR)
MAX_ERRORS = 200
KINDS = {"jsonl": "JSON Lines 台账", "csv": "CSV 表格", "xlsx": "Excel 表格"}


class UnreadableFile(ValueError):
    """The upload is not a ledger file at all (wrong type, not text)."""


class TooLarge(ValueError):
    """The upload, or what its compressed parts unpack to, exceeds the configured limit."""


# An .xlsx is a zip: a few MB may unpack to a gigabyte of XML (shared strings repeated), which openpyxl would read
# into memory. A real ledger unpacks to a few times its size; more than this many times the upload limit is refused.
INFLATION_LIMIT = 4


@dataclass(frozen=True)
class Parsed:
    """A ledger file read into memory before any database work (parse): its kind, and its lines — (line number,
    JSON object or the error reading it) for JSON Lines, (row number, cells) for CSV and Excel."""

    kind: str
    items: list


def parse(content: bytes, *, max_bytes: int | None = None) -> Parsed:
    """Read the file: no database, so a caller does it before its transaction begins (a workbook can take seconds,
    and on SQLite a write transaction holds every other writer up). `max_bytes` bounds what a workbook unpacks to
    (INFLATION_LIMIT times it); an unreadable file raises UnreadableFile."""
    kind = detect(content)
    if kind == "xlsx":
        if max_bytes is not None:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                unpacked = sum(info.file_size for info in archive.infolist())  # zipfile reads no more than these
            if unpacked > INFLATION_LIMIT * max_bytes:
                raise TooLarge(
                    f"该 Excel 工作簿解压后为 {unpacked / 1048576:.0f} MB，超过了上限 "
                    f"{INFLATION_LIMIT * max_bytes / 1048576:g} MB（上传上限的 {INFLATION_LIMIT} 倍）。"
                    "请删去多余的工作表和格式，或拆分成几个文件分别导入。"
                )
        try:
            return Parsed(kind, list(flat.xlsx_rows(content)))
        except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a damaged workbook
            raise UnreadableFile("无法读取该 Excel 工作簿，文件可能已损坏。") from exc
    try:
        text = flat.decode(content)
    except UnicodeDecodeError as exc:
        raise UnreadableFile("无法识别文件的文字编码，请保存为 UTF-8 编码。") from exc
    return Parsed(kind, list(_jsonl(text) if kind == "jsonl" else flat.csv_rows(text)))


@dataclass
class Report:
    """What an import did or would do; `errors` are ready-to-show lines such as `第 12 行：title：…`."""

    kind: str = ""
    lines: int = 0
    imported: int = 0
    dry_run: bool = False
    errors: list[str] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def detect(content: bytes) -> str:
    """The file's kind from its bytes, never from its name: `jsonl`, `xlsx` or `csv`."""
    if content.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                if "xl/workbook.xml" in archive.namelist():
                    return "xlsx"
        except zipfile.BadZipFile:
            pass
        raise UnreadableFile("文件是压缩包，但不是 Excel 工作簿（.xlsx）。")
    head = content[:4096]
    if b"\x00" in head:
        raise UnreadableFile("文件不是文本文件，也不是 Excel 工作簿。请上传 .jsonl、.csv 或 .xlsx 文件。")
    try:
        text = flat.decode(head if len(content) <= 4096 else content[:4096].rsplit(b"\n", 1)[0])
    except UnicodeDecodeError as exc:
        raise UnreadableFile("无法识别文件的文字编码，请保存为 UTF-8 编码。") from exc
    return "jsonl" if text.lstrip().startswith("{") else "csv"


MAX_DEPTH = 8  # a line is an object of lists of objects (parties, records with their fields): never deeper


class TooDeep(ValueError):
    """A line nested deeper than any ledger line is."""


def _depth(value: Any) -> int:
    """How deeply lists and objects nest in `value`, counted without recursion (a hostile line nests thousands deep)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            if level > MAX_DEPTH:
                break
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _jsonl(text: str) -> Iterator[tuple[int, Any]]:
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw.strip():
            try:
                data = json.loads(raw)
            except json.JSONDecodeError as exc:
                yield number, exc
            except RecursionError:  # Python's parser gives up at ~1,000 levels
                yield number, TooDeep()
            else:
                yield number, TooDeep() if _depth(data) > MAX_DEPTH else data


def _objects(db: Session, parsed: Parsed) -> Iterator[tuple[int, Any]]:
    return iter(parsed.items) if parsed.kind == "jsonl" else flat.lines_of(db, iter(parsed.items))


def import_file(
    db: Session,
    content: bytes | Parsed,
    scope: Scope,
    *,
    dry_run: bool = False,
    actor: Person | None = None,
    actor_name: str = "",
    audit_org: Organisation | None = None,
    address: str = "",
) -> Report:
    """Check and (unless `dry_run` or any line is wrong) save every case of the file in the caller's transaction;
    `content` parsed already (parse), or its bytes."""
    parsed = content if isinstance(content, Parsed) else parse(content)
    report = Report(kind=KINDS[parsed.kind], dry_run=dry_run)
    reader = LineReader(Lookup(db, knows=scope.knows), scope)
    drafts: list[Draft] = []
    taken: dict[tuple[int, int, int], int] = {}
    try:
        for number, data in _objects(db, parsed):
            report.lines += 1
            errors: dict[str, str] = {}
            if isinstance(data, TooDeep):
                errors[""] = f"嵌套层级过深（超过 {MAX_DEPTH} 层），不是台账的格式。"
            elif isinstance(data, Exception) or not isinstance(data, dict):
                errors[""] = (
                    "不是有效的 JSON 对象"
                    + (f"（第 {data.colno} 列：{data.msg}）" if isinstance(data, json.JSONDecodeError) else "")
                    + "。"
                )
            else:
                draft = reader.read(number, data, errors)
                if draft is not None and draft.number is not None:
                    _check_number(db, draft, taken, errors)
                if draft is not None and not errors:
                    drafts.append(draft)
            for where, message in errors.items():
                report.errors.append(f"第 {number} 行：{where}：{message}" if where else f"第 {number} 行：{message}")
            if len(report.errors) >= MAX_ERRORS:
                report.errors.append(f"错误过多，只列出前 {MAX_ERRORS} 条。")
                break
    except flat.FlatError as exc:
        report.errors.append(str(exc))
    if not report.lines and not report.errors:
        report.errors.append("文件中没有案件。")
    if report.errors or dry_run:
        report.imported = 0
        report.numbers = [] if report.errors else [_preview(d) for d in drafts]
        if dry_run and not report.errors:
            audit.record(
                db,
                "import.checked",
                actor=actor,
                actor_name=actor_name,
                org=audit_org,
                object_type="organisation",
                object_id=audit_org.id if audit_org else "",
                summary=f"检查案件台账（{report.kind}，未保存）：{report.lines} 件无误",
                address=address,
            )
        return report
    # Cases with numbers first, so that numbers issued for the others never collide with them.
    for draft in sorted(drafts, key=lambda d: d.number is None):
        report.numbers.append(_save(db, draft).number)
    report.imported = len(drafts)
    audit.record(
        db,
        "import.cases",
        actor=actor,
        actor_name=actor_name,
        org=audit_org,
        object_type="organisation",
        object_id=audit_org.id if audit_org else "",
        summary=f"导入案件台账（{report.kind}）：{report.imported} 件",
        address=address,
    )
    return report


def record_refusal(
    db: Session,
    report: Report,
    *,
    actor: Person | None = None,
    actor_name: str = "",
    audit_org: Organisation | None = None,
    address: str = "",
) -> None:
    """Audit a refused import (call it after rolling the attempt back): who tried, what, and the first errors."""
    first = "；".join(report.errors[:3])
    audit.record(
        db,
        "import.refused",
        actor=actor,
        actor_name=actor_name,
        org=audit_org,
        object_type="organisation",
        object_id=audit_org.id if audit_org else "",
        summary=f"案件台账未导入（{report.kind}）：{len(report.errors)} 处错误。{first}"[:400],
        address=address,
    )


def _preview(draft: Draft) -> str:
    if draft.number is None:
        return "（导入时编号）"
    return draft.number[2]


def _check_number(db: Session, draft: Draft, taken: dict[tuple[int, int, int], int], errors: dict[str, str]) -> None:
    if draft.number is None:  # the caller asks only for a number given
        return
    org, parts, text = draft.number
    key = (org.id, parts.year, parts.seq)
    if key in taken:
        errors["number"] = f"案号与第 {taken[key]} 行重复。"
    elif db.exec(
        sa_select(Case.id).where(
            Case.number_org_id == org.id, Case.number_year == parts.year, Case.number_seq == parts.seq
        )
    ).first():
        errors["number"] = f"案号“{text}”已存在。"
    taken.setdefault(key, draft.line)


def _save(db: Session, draft: Draft) -> Case:
    case = draft.case
    if draft.number is None:
        org = db.get(Organisation, case.org_id)
        year = case.received_on.year
        parts, text = next_number(db, org, year), None
    else:
        org, parts, text = draft.number
        _raise_sequence(db, org.id, parts.year, parts.seq)
    case.number_org_id, case.number_year, case.number_prefix = stored_id(org.id), parts.year, parts.prefix
    case.number_word, case.number_seq, case.number = parts.word, parts.seq, text or parts.text  # kept as written
    db.add(case)
    db.flush()
    children: list[Any] = [*draft.parties, *draft.records, *draft.transfers]
    children += [CaseMediator(person_id=pid, lead=lead) for pid, lead in draft.mediators]  # type: ignore[call-arg]  # case_id: set below
    events = draft.events or [
        CaseEvent(  # type: ignore[call-arg]  # case_id: set with the other children below
            org_id=case.org_id,
            org_name=db.get(Organisation, case.org_id).name,
            actor_name="台账导入",
            kind="import",
            summary=f"由台账导入案件 {case.number}",
        )
    ]
    for row in [*children, *events]:
        row.case_id = case.id
        db.add(row)
    db.flush()
    return case


def _raise_sequence(db: Session, org_id: int, year: int, seq: int) -> None:
    """Keep the committee's counter at or above imported numbers, so later intakes do not collide: one upsert, as an
    intake may take the next number at the same moment (see portal.cases.service.next_number)."""
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(CaseSequence).values(org_id=org_id, year=year, last=seq)
    raised = when((CaseSequence.last < statement.excluded.last, statement.excluded.last), else_=CaseSequence.last)
    db.execute(statement.on_conflict_do_update(index_elements=["org_id", "year"], set_={"last": raised}))


def web_scope(principal: Principal, default_org: Organisation | None) -> Scope:
    """A signed-in person imports into organisations where they are 受理员 or 调委会主任 (of it or above it); the
    file may name people and numbers of what they can see, and routing in which one of their organisations took part."""

    def knows(db: Session, person: Person) -> bool:
        return (
            db.exec(
                sa_select(Membership.id)
                .join(Organisation, Organisation.id == Membership.org_id)
                .where(Membership.person_id == person.id, principal.path_filter(Organisation.path))
                .limit(1)
            ).first()
            is not None
        )

    return Scope(
        allows=lambda org: principal.has_role_over(org.path, *IMPORT_ROLES),
        default_org=default_org,
        importer=principal.person,
        sees=lambda org: principal.sees(org.path),
        knows=knows,
    )


def cli_scope(root: Organisation | None) -> Scope:
    """The command line imports anywhere, or only inside `root`'s subtree when one is given."""
    return Scope(allows=lambda org: root is None or org.path.startswith(root.path), default_org=root)
