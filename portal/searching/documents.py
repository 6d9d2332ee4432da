"""The search document of a case, read from the database in batches (the portal side of search/)."""

from __future__ import annotations

import io
import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

from sqlmodel import Session, select

from archive import storage
from portal import clock
from portal.cases.models import OUTCOMES, Case, CaseFile, CaseMediator, CaseRecord, DisputeType, Party, Transfer
from portal.cases.record_kinds import RECORD_KINDS
from portal.dossiers.models import DossierVersion
from portal.orgs.models import Organisation
from portal.people.models import Person
from search import CaseDoc

log = logging.getLogger(__name__)
MAX_FILE_TEXT = 200_000  # characters of one uploaded PDF that are indexed
MAX_DOSSIER_TEXT = 400_000  # characters of one bound dossier that are indexed
# Identity and phone numbers in every text (titles, records, uploads, dossier pages) are masked by search/ before
# anything is stored in the index, as the pages mask them (search.numbers): no snippet shows a full number to anyone.


class Lookup:
    """Organisations and dispute types, read once per batch run (small tables)."""

    def __init__(self, db: Session) -> None:
        self.orgs = {o.id: o for o in db.exec(select(Organisation)).all()}
        self.types = {t.code: t for t in db.exec(select(DisputeType)).all()}

    def type_names(self, code: str) -> list[str]:
        names: list[str] = []
        t = self.types.get(code)
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


def _extract(source: Path | io.BytesIO | Callable[[], io.BytesIO]) -> list[str] | None:
    """The text of each page of a PDF (a scan's pages are empty); None when it cannot be read."""
    try:
        from pypdf import PdfReader

        source = source() if callable(source) else source
        reader = PdfReader(source if isinstance(source, io.BytesIO) else str(source))
        return [(page.extract_text() or "") for page in reader.pages]
    except Exception as exc:  # noqa: BLE001 - one unreadable file must not stop indexing
        log.warning("cannot extract text from %s: %s", source, exc)
        return None


def kept_text(texts_dir: Path | None, sha256: str, source: Path | Callable[[], io.BytesIO]) -> list[str]:
    """The text of each page of a stored PDF, extracted once per file: kept under `texts_dir` by its SHA-256 (what
    is stored by checksum never changes). A large PDF takes seconds to read, and every change to its case indexes
    the case again. A file that could not be read is tried again next time."""
    kept = texts_dir / sha256[:2] / f"{sha256}.json" if texts_dir is not None and sha256 else None
    if kept is not None and kept.is_file():
        try:
            return json.loads(kept.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass  # a damaged copy: read the file again
    pages = _extract(source)
    if pages is None:
        return []
    if kept is not None:
        storage.write_once(kept, json.dumps(pages, ensure_ascii=False).encode(), read_only=False)
    return pages


def dossier_pages(archive_dir: Path, version: DossierVersion, texts_dir: Path | None = None) -> list[str]:
    """The text of each page of a filed dossier (read through its checksum), capped; [] when unreadable."""

    def verified() -> io.BytesIO:
        return io.BytesIO(storage.read(archive_dir, version.storage_key, version.sha256))

    try:
        found = kept_text(texts_dir, version.sha256, verified)
    except Exception as exc:  # noqa: BLE001 - a missing or changed file is fixity's business, not the indexer's
        log.warning("cannot read dossier %s of case %s: %s", version.id, version.case_id, exc)
        return []
    pages, used = [], 0
    for text in found:
        text = text[: max(0, MAX_DOSSIER_TEXT - used)]
        used += len(text)
        pages.append(text)
    return pages


def _record_text(record: CaseRecord) -> str:
    kind = RECORD_KINDS.get(record.kind)
    label = kind.label if kind else record.kind
    values = [str(v) for v in (record.fields or {}).values() if v not in (None, "") and not isinstance(v, (list, dict))]
    return label + "：" + "；".join(values)


def _labels(case: Case, org: Organisation | None) -> list[str]:
    """Words for what the facets show as codes, so that people can type them: the handling body's tier and kind, the
    case's flags (state, channel and outcome go in as they are)."""
    words = [org.tier.label, org.kind.label] if org else []
    if case.group_dispute:
        words.append("群体性纠纷")
    if case.risk_flag:
        words.append("重大风险")
    if case.in_transfer:
        words.append("移送中")
    return words


def build(
    db: Session,
    case_ids: Iterable[int],
    *,
    uploads_dir: Path | None = None,
    archive_dir: Path | None = None,
    lookup: Lookup | None = None,
    texts_dir: Path | None = None,
) -> tuple[list[CaseDoc], list[int]]:
    """(documents of the cases that exist, ids of those that no longer do).

    With `archive_dir`, the newest filed dossier of each case is indexed page by page (hits link to the page).
    With `texts_dir`, the text of every PDF is read from there once extracted (kept_text)."""
    ids = sorted(set(case_ids))
    if not ids:
        return [], []
    lookup = lookup or Lookup(db)
    cases = {c.id: c for c in db.exec(select(Case).where(Case.id.in_(ids))).all()}
    parties: dict[int, list[Party]] = defaultdict(list)
    for p in db.exec(
        select(Party).where(Party.case_id.in_(ids)).order_by(Party.case_id, Party.sort_order, Party.id)
    ).all():
        parties[p.case_id].append(p)
    records: dict[int, list[CaseRecord]] = defaultdict(list)
    for r in db.exec(
        select(CaseRecord).where(CaseRecord.case_id.in_(ids)).order_by(CaseRecord.case_id, CaseRecord.id)
    ).all():
        records[r.case_id].append(r)
    mediators: dict[int, list[str]] = defaultdict(list)
    for m, name in db.exec(
        select(CaseMediator, Person.name)
        .join(Person, Person.id == CaseMediator.person_id)
        .where(CaseMediator.case_id.in_(ids))
        .order_by(CaseMediator.case_id, CaseMediator.lead.desc(), CaseMediator.id)
    ).all():
        mediators[m.case_id].append(name)
    letters: dict[int, list[str]] = defaultdict(list)
    for t in db.exec(select(Transfer).where(Transfer.case_id.in_(ids)).order_by(Transfer.case_id, Transfer.id)).all():
        letters[t.case_id].append("；".join(x for x in (t.kind, t.letter, t.answer_reason, t.feedback) if x))
    files: dict[int, list[CaseFile]] = defaultdict(list)
    if uploads_dir is not None:
        for f in db.exec(
            select(CaseFile).where(
                CaseFile.case_id.in_(ids),
                CaseFile.removed == False,  # noqa: E712
                CaseFile.media_type == "application/pdf",
            )
        ).all():
            files[f.case_id].append(f)
    filed: dict[int, DossierVersion] = {}
    if archive_dir is not None:
        for v in db.exec(
            select(DossierVersion)
            .where(DossierVersion.case_id.in_(ids), DossierVersion.status == "filed")
            .order_by(DossierVersion.case_id, DossierVersion.version)
        ).all():
            filed[v.case_id] = v  # the newest filed version wins
    docs = []
    for case_id in ids:
        case = cases.get(case_id)
        if case is None:
            continue
        chain = lookup.chain(case.org_id)
        text = [case.summary, case.requests, *(_record_text(r) for r in records[case_id]), *letters[case_id]]
        for f in files[case_id]:
            pages = kept_text(texts_dir, f.sha256, uploads_dir / f.storage_key) if uploads_dir else []
            if pages:
                text.append(f"{f.doc_type}《{f.filename}》：" + "\n".join(pages)[:MAX_FILE_TEXT])
        version = filed.get(case_id)
        docs.append(
            CaseDoc(
                id=case.id,
                version=case.version,
                number=case.number,
                number_year=case.number_year,
                number_prefix=case.number_prefix,
                number_seq=case.number_seq,
                number_word=case.number_word,
                title=case.title,
                parties=[p.name for p in parties[case_id]],
                id_numbers=[p.id_number for p in parties[case_id] if p.id_number],
                phones=[p.phone for p in parties[case_id] if p.phone],
                dispute_type=case.dispute_type,
                dispute_type_names=lookup.type_names(case.dispute_type),
                channel=case.channel,
                status=case.state.value,
                status_label=case.state.label,
                outcome=case.outcome or "",
                outcome_label=OUTCOMES.get(case.outcome or "", ""),
                labels=_labels(case, chain[0] if chain else None),
                org_id=case.org_id,
                org_name=chain[0].name if chain else "",
                org_paths=[o.path for o in chain],
                org_names=[o.name for o in chain],
                tier=chain[0].tier.value if chain else "",
                mediators=mediators[case_id],
                received_on=case.received_on,
                closed_on=case.closed_on,
                filed_on=clock.local_date(version.filed_at) if version and version.filed_at else None,
                text="\n".join(t for t in text if t),
                dossier_pages=dossier_pages(archive_dir, version, texts_dir) if version and archive_dir else [],
            )
        )
    return docs, [i for i in ids if i not in cases]


def place_names(db: Session) -> list[str]:
    """Organisation names and short names for the query dictionary."""
    return [n for o in db.exec(select(Organisation)).all() for n in (o.name, o.short_name) if n]
