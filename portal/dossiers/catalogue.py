"""The catalogue (著录) of a filing: 档号 proposed by the county's rule and reserved once, and the fields a correction
carries into the next version (卷名, 档号, 卷号, 检查人, 备注, 保管期限).

档号 defaults to 全宗号-年度-保管期限代码-件号 (DA/T 22: 永久 Y, 30年 D30, 10年 D10), PORTAL_ARCHIVE_NUMBER_PATTERN
gives a county its own. The number is unique (the primary key of archive_number): two filings proposing the
same number at once cannot both take it; the second is told which number is free.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from portal.cases.models import Case
from portal.dossiers.models import ArchiveNumber, DossierVersion
from portal.errors import Invalid
from portal.orgs.models import Organisation
from portal.settings import Settings

TERM_CODES = {"永久": "Y", "30年": "D30", "10年": "D10", "长期": "C", "短期": "D"}


@dataclass(frozen=True)
class Rule:
    pattern: str
    fields: dict

    @property
    def series(self) -> str:
        return f"{self.fields['fonds']}-{self.fields['year']}-{self.fields['term']}"[:60]

    def number(self, seq: int) -> str:
        return self.pattern.format(**self.fields, seq=seq)

    def seq_of(self, number: str) -> int | None:
        """The 件号 of `number` when it follows this rule, else None (a number the archivist wrote)."""
        parts = []
        for literal, name, spec, _ in string.Formatter().parse(self.pattern):
            parts.append(re.escape(literal))
            if name == "seq":
                parts.append(r"(\d+)")
            elif name is not None:
                parts.append(re.escape(format(self.fields[name], spec or "")))
        match = re.fullmatch("".join(parts), number)
        return int(match.group(1)) if match else None


def rule(db: Session, case: Case, retention: str, settings: Settings) -> Rule:
    org = db.get(Organisation, case.org_id)
    year = (case.closed_on or case.accepted_on or case.received_on).year
    return Rule(
        settings.archive_number_pattern,
        {
            "fonds": settings.archive_fonds_code or (org.short_name if org else "") or "Q",
            "year": year,
            "term": TERM_CODES.get(retention, retention or "D10"),
            "prefix": case.number_prefix,
            "case_seq": case.number_seq,
        },
    )


def held(db: Session, case: Case) -> str:
    """The 档号 this case already has (kept through corrections), or ''."""
    row = db.exec(
        select(ArchiveNumber.number).where(ArchiveNumber.case_id == case.id).order_by(ArchiveNumber.created_at.desc())
    ).first()
    return row or ""


def propose(db: Session, case: Case, retention: str, settings: Settings) -> str:
    """The case's own 档号 if it has one, else the next free number of its series."""
    mine = held(db, case)
    if mine:
        return mine
    numbering = rule(db, case, retention, settings)
    seq = (db.exec(select(func.max(ArchiveNumber.seq)).where(ArchiveNumber.series == numbering.series)).one() or 0) + 1
    while db.get(ArchiveNumber, numbering.number(seq)) is not None:
        seq += 1
    return numbering.number(seq)


def reserve(db: Session, case: Case, number: str, retention: str, settings: Settings) -> None:
    """Give `number` to the case (a no-op when it has it); Invalid when another case holds it."""
    existing = db.get(ArchiveNumber, number)
    if existing is not None and existing.case_id == case.id:
        return
    if existing is None:
        numbering = rule(db, case, retention, settings)
        seq = numbering.seq_of(number)
        try:
            with db.begin_nested():
                db.add(
                    ArchiveNumber(
                        number=number,
                        case_id=case.id,
                        series=numbering.series if seq is not None else "",
                        seq=seq or 0,
                    )
                )
            return
        except IntegrityError:
            pass  # taken at this very moment by another filing
    free = propose(db, case, retention, settings)
    raise Invalid({"archive_number": f"档号“{number}”已用于另一卷，请改用 {free}（或另拟档号）。"})


@dataclass(frozen=True)
class Carried:
    """What the last filed version said, offered again when a corrected case is filed anew."""

    title: str = ""
    archive_number: str = ""
    volume_number: str = ""
    checked_by: str = ""
    notes: str = ""
    retention: str = ""


def carried(db: Session, case: Case) -> Carried | None:
    last = db.exec(
        select(DossierVersion)
        .where(DossierVersion.case_id == case.id, DossierVersion.status.in_(["filed", "superseded"]))
        .order_by(DossierVersion.version.desc())
    ).first()
    if last is None:
        return None
    return Carried(
        title=last.title,
        archive_number=last.archive_number,
        volume_number=last.volume_number,
        checked_by=last.checker_name,
        notes=last.notes,
        retention=last.retention,
    )
