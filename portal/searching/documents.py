"""The search document of a case, read from the database in batches (the portal side of search/)."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from sqlmodel import Session, select

from portal.cases.models import OUTCOMES, Case, CaseFile, CaseMediator, CaseRecord, DisputeType, Party, Transfer
from portal.cases.record_kinds import RECORD_KINDS
from portal.orgs.models import Organisation
from portal.people.models import Person
from search import CaseDoc

log = logging.getLogger(__name__)
MAX_FILE_TEXT = 200_000  # characters of one uploaded PDF that are indexed


class Lookup:
    """Organisations and dispute types, read once per batch run (small tables)."""

    def __init__(self, db: Session) -> None:
        self.orgs = {o.id: o for o in db.exec(select(Organisation)).all()}
        self.types = {t.code: t for t in db.exec(select(DisputeType)).all()}

    def type_names(self, code: str) -> list[str]:
        names, t = [], self.types.get(code)
        while t is not None and len(names) < 3:
            names.append(t.name)
            t = self.types.get(t.parent_code) if t.parent_code else None
        return names

    def chain(self, org_id: int) -> list[Organisation]:
        """The organisation and its ancestors, nearest first."""
        org = self.orgs.get(org_id)
        if org is None:
            return []
        return [org] + [self.orgs[i] for i in reversed(org.ancestor_ids) if i in self.orgs]


def pdf_text(path: Path) -> list[str]:
    """The text of each page of a PDF; [] when it cannot be read (a scan, a damaged file)."""
    try:
        from pypdf import PdfReader

        reader = PdfReader(str(path))
        return [(page.extract_text() or "") for page in reader.pages]
    except Exception as exc:  # noqa: BLE001 - one unreadable file must not stop indexing
        log.warning("cannot extract text from %s: %s", path, exc)
        return []


def _record_text(record: CaseRecord) -> str:
    kind = RECORD_KINDS.get(record.kind)
    label = kind.label if kind else record.kind
    values = [str(v) for v in (record.fields or {}).values() if v not in (None, "") and not isinstance(v, (list, dict))]
    return label + "：" + "；".join(values)


def build(db: Session, case_ids: Iterable[int], *, uploads_dir: Path | None = None, lookup: Lookup | None = None) -> tuple[list[CaseDoc], list[int]]:
    """(documents of the cases that exist, ids of those that no longer do)."""
    ids = sorted(set(case_ids))
    if not ids:
        return [], []
    lookup = lookup or Lookup(db)
    cases = {c.id: c for c in db.exec(select(Case).where(Case.id.in_(ids))).all()}
    parties: dict[int, list[Party]] = defaultdict(list)
    for p in db.exec(select(Party).where(Party.case_id.in_(ids)).order_by(Party.case_id, Party.sort_order, Party.id)).all():
        parties[p.case_id].append(p)
    records: dict[int, list[CaseRecord]] = defaultdict(list)
    for r in db.exec(select(CaseRecord).where(CaseRecord.case_id.in_(ids)).order_by(CaseRecord.case_id, CaseRecord.id)).all():
        records[r.case_id].append(r)
    mediators: dict[int, list[str]] = defaultdict(list)
    for m, name in db.exec(select(CaseMediator, Person.name).join(Person, Person.id == CaseMediator.person_id)
                           .where(CaseMediator.case_id.in_(ids)).order_by(CaseMediator.case_id, CaseMediator.lead.desc(), CaseMediator.id)).all():
        mediators[m.case_id].append(name)
    letters: dict[int, list[str]] = defaultdict(list)
    for t in db.exec(select(Transfer).where(Transfer.case_id.in_(ids)).order_by(Transfer.case_id, Transfer.id)).all():
        letters[t.case_id].append("；".join(x for x in (t.kind, t.letter, t.answer_reason, t.feedback) if x))
    files: dict[int, list[CaseFile]] = defaultdict(list)
    if uploads_dir is not None:
        for f in db.exec(select(CaseFile).where(CaseFile.case_id.in_(ids), CaseFile.removed == False,  # noqa: E712
                                                CaseFile.media_type == "application/pdf")).all():
            files[f.case_id].append(f)
    docs = []
    for case_id in ids:
        case = cases.get(case_id)
        if case is None:
            continue
        chain = lookup.chain(case.org_id)
        text = [case.summary, case.requests, *(_record_text(r) for r in records[case_id]), *letters[case_id]]
        for f in files[case_id]:
            pages = pdf_text(uploads_dir / f.storage_key) if uploads_dir else []
            if pages:
                text.append(f"{f.doc_type}《{f.filename}》：" + "\n".join(pages)[:MAX_FILE_TEXT])
        docs.append(CaseDoc(
            id=case.id, version=case.version, number=case.number, number_year=case.number_year, number_prefix=case.number_prefix,
            number_seq=case.number_seq, title=case.title, parties=[p.name for p in parties[case_id]],
            id_numbers=[p.id_number for p in parties[case_id] if p.id_number], dispute_type=case.dispute_type,
            dispute_type_names=lookup.type_names(case.dispute_type), channel=case.channel, status=case.state.value,
            status_label=case.state.label, outcome=case.outcome or "", outcome_label=OUTCOMES.get(case.outcome or "", ""),
            org_id=case.org_id, org_name=chain[0].name if chain else "", org_paths=[o.path for o in chain],
            org_names=[o.name for o in chain], tier=chain[0].tier.value if chain else "", mediators=mediators[case_id],
            received_on=case.received_on, closed_on=case.closed_on, filed_on=None,
            text="\n".join(t for t in text if t),
        ))
    return docs, [i for i in ids if i not in cases]


def place_names(db: Session) -> list[str]:
    """Organisation names and short names for the query dictionary."""
    return [n for o in db.exec(select(Organisation)).all() for n in (o.name, o.short_name) if n]
