"""The writing side of the index: a case's fields, updates and removals, small-segment merges, and the
full rebuild into a new generation that is swapped in (the reading side is search.engine)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from whoosh import writing as whoosh_writing
from whoosh.codec.base import Segment
from whoosh.filedb.filestore import Storage
from whoosh.index import FileIndex

from search import highlight, numbers, store
from search.documents import CaseDoc
from search.schema import match_text
from search.text import normalise

LIST_SEP = "、"


def mask_ids(text: str) -> str:
    """Identity and phone numbers inside free text are never stored in the index (so never in a snippet)."""
    return numbers.mask(text)


def _day(d: date | None) -> int | None:
    return d.year * 10000 + d.month * 100 + d.day if d else None


def from_day(n: int | None) -> date | None:
    return date(n // 10000, n // 100 % 100, n % 100) if n else None


def number_parts(doc: CaseDoc) -> set[str]:
    """The case number's parts and the forms people type for them, normalised: each is matched exactly (and lifts the
    case itself above cases that only cite its number). Any substring of the number is found anyway (it is text)."""
    if not doc.number:
        return set()
    number = normalise(doc.number).replace(" ", "")
    year, prefix, word = str(doc.number_year or ""), normalise(doc.number_prefix), normalise(doc.number_word)
    written = re.search(r"\)(.*?)第([0-9]+)号", number)  # the prefix and 字号, and the sequence, as written
    heads = {prefix + word, prefix, word} | ({written.group(1)} if written else set())
    seqs = {written.group(2)} if written else set()
    if doc.number_seq:
        seqs |= {str(doc.number_seq), f"{doc.number_seq:03d}"}
    parts = {number, year} | heads
    for seq in seqs:
        parts |= {seq, f"{seq}号", f"第{seq}号"} | {f"{head}第{seq}号" for head in heads}
    if year:
        parts |= {f"{year}{head}" for head in heads} | {f"({year}){head}" for head in heads}
    return {p for p in parts if p}


def fields_of(doc: CaseDoc) -> dict[str, Any]:
    """A CaseDoc as Whoosh fields: every free text masked (identity and phone numbers), the numbers kept apart."""
    names = [p for p in doc.parties if p]
    labels = [doc.status_label, doc.channel, doc.outcome_label, *doc.labels]
    title, body = mask_ids(doc.title), mask_ids(doc.text)
    dossier = highlight.PAGE_BREAK.join(mask_ids(p) for p in doc.dossier_pages)
    hidden = {numbers.key(n) for n in (*doc.id_numbers, *doc.phones) if n}
    for text in (doc.title, doc.text, *doc.dossier_pages):
        hidden.update(numbers.found(text))
    fields: dict[str, Any] = {
        "cid": str(doc.id),
        "version": doc.version,
        "number": normalise(doc.number).replace(" ", ""),
        "numparts": " ".join(sorted(p.replace(" ", "") for p in number_parts(doc))),
        "numtext": doc.number,
        "idnums": " ".join(sorted(h for h in hidden if h)),
        "title": title,
        "parties": LIST_SEP.join(names),
        "mediators": LIST_SEP.join(doc.mediators),
        "types": LIST_SEP.join(doc.dispute_type_names),
        "orgs": LIST_SEP.join(doc.org_names),
        "labels": " ".join(dict.fromkeys(x for x in labels if x)),
        "body": body,
        "dossier": dossier,
        "scope": ",".join(doc.org_paths),
        "dtype": doc.dispute_type or "-",
        "status": doc.status or "-",
        "tier": doc.tier or "-",
        "org": str(doc.org_id),
        "year": str(doc.received_on.year) if doc.received_on else "-",
        "mediator": doc.mediators[0] if doc.mediators else "-",
        "outcome": doc.outcome or "-",
        "received": _day(doc.received_on) or 0,
        "closed": _day(doc.closed_on) or 0,
        "filed": _day(doc.filed_on) or 0,
        "extra": {"org_name": doc.org_name},
    }
    return fields


def indexed_text(doc: CaseDoc) -> str:
    """What a plain word is looked up in, as stored (masked; not yet normalised): for tests and tools."""
    return match_text(fields_of(doc))


# --- writing: only the indexer calls these ------------------------------------------------------------
def apply(root: Path, docs: Iterable[CaseDoc], remove_ids: Iterable[int] = ()) -> int:
    """Add or replace `docs` and delete `remove_ids` in the live index, in one commit; returns documents written."""
    ix = store.open_generation(root)
    return _write(ix, list(docs), list(remove_ids))


def _write(ix: FileIndex, docs: list[CaseDoc], remove_ids: list[int], *, merge: bool = True) -> int:
    if not docs and not remove_ids:
        return 0
    writer = ix.writer(timeout=30, compound=False)
    try:
        for case_id in remove_ids:
            writer.delete_by_term("cid", str(case_id))
        for doc in docs:
            writer.update_document(**fields_of(doc))
    except BaseException:
        writer.cancel()
        raise
    if merge:
        writer.commit(mergetype=_merge_small)
    else:
        writer.commit(merge=False)
    return len(docs)


def _merge_small(writer: whoosh_writing.SegmentWriter, segments: list[Segment]) -> list[Segment]:
    """Merge policy: combine the small segments once there are several, never the rebuild's large ones.

    Whoosh's MERGE_SMALL (whoosh3) merges *every* segment once enough similar ones pile up — with the rebuild's
    twenty 5,000-document segments the second update after a rebuild rewrote all 100,000 documents (minutes,
    holding the indexer's database transaction).
    """
    from whoosh.reading import SegmentReader

    small = [seg for seg in segments if seg.doc_count_all() < SMALL_SEGMENT]
    if len(small) <= MAX_SMALL_SEGMENTS:
        return segments
    for seg in small:
        reader = SegmentReader(writer.storage, writer.schema, seg)
        writer.add_reader(reader)
        reader.close()
    return [seg for seg in segments if seg.doc_count_all() >= SMALL_SEGMENT]


class _PostingPool(whoosh_writing.PostingPool):
    """Whoosh's posting pool, spilling to its on-disk sort only when `limitmb` is reached. Whoosh's own also spills
    every 1,000,000 postings, whatever the byte limit: with cases that carry their records (~5 per case, a few
    hundred characters each) a rebuild's 10,000-document segment holds several million, and the external sort —
    pickling each posting to a run file and heap-merging them back — took 44 % of the rebuild (py-spy)."""

    def __init__(self, tempstore: Storage, segment: Segment, limitmb: int = 128, **kwargs: Any) -> None:
        kwargs.setdefault("maxsize", 1 << 62)
        # Whoosh's PostingPool.__init__ is unannotated, and untyped_calls_exclude does not reach a super() call
        super().__init__(tempstore, segment, limitmb=limitmb, **kwargs)  # type: ignore[no-untyped-call]


# SegmentWriter makes its pool by this module-level name (in each writer process too): replaced on purpose
whoosh_writing.PostingPool = _PostingPool  # type: ignore[misc]

REBUILD_PROCS = 2  # writer processes for a full rebuild (DOMAIN §7: ~1.5–2× on 2 cores)
REBUILD_LIMIT_MB = 400  # per writer process; a segment's postings stay under it, so they are sorted in memory
REBUILD_SEGMENT_DOCS = 10_000  # commit a segment this often: memory stays bounded without Whoosh's on-disk sort runs
SMALL_SEGMENT = 2_000  # segments below this many documents are what `merge` combines
MAX_SMALL_SEGMENTS = 4  # an update's commit merges the small segments when there are more than this


class Rebuild:
    """A new generation filled through one open writer (postings spill to disk beyond `limitmb`: bounded memory),
    committed and swapped in by `finish`.

    Documents go in with `add_document` (the generation is new: nothing to replace), a segment committed every
    REBUILD_SEGMENT_DOCS (py-spy: Whoosh's external sort — pickling every posting to a run file and heap-merging
    them back — took about half of the rebuild; a segment small enough for `limitmb` is sorted in memory).
    Replacements and removals (changes made while the rebuild ran) first commit what is pending, then update the
    committed segments. The
    generation is left with a few segments (one per writer process, plus the late changes) rather than merged into
    one: the merge cost more than the whole indexing (py-spy), and queries work per segment anyway (search/fast.py).
    """

    def __init__(self, root: Path, *, procs: int | None = None) -> None:
        self.root = root
        self.name, self.ix = store.new_generation(root)
        self.count = 0
        self.procs = procs or REBUILD_PROCS
        self._writer: whoosh_writing.IndexWriter | None = None
        self._pending: set[int] = set()

    def _open(self) -> whoosh_writing.IndexWriter:
        if self._writer is None:
            if self.procs > 1:
                self._writer = self.ix.writer(
                    procs=self.procs, multisegment=True, limitmb=REBUILD_LIMIT_MB, batchsize=200, compound=False
                )
            else:
                self._writer = self.ix.writer(limitmb=REBUILD_LIMIT_MB, compound=False)
        return self._writer

    def _commit(self) -> None:
        if self._writer is not None:
            writer, self._writer = self._writer, None
            writer.commit(merge=False)
            self._pending.clear()

    def add(self, docs: list[CaseDoc], remove_ids: Iterable[int] = ()) -> None:
        docs, remove_ids = list(docs), list(remove_ids)
        if remove_ids or any(doc.id in self._pending for doc in docs):
            self._commit()
            self.count += _write(self.ix, docs, remove_ids, merge=False)
            return
        writer = self._open()
        try:
            for doc in docs:
                writer.add_document(**fields_of(doc))
                self._pending.add(doc.id)
        except BaseException:
            self._writer = None
            writer.cancel()
            raise
        self.count += len(docs)
        if len(self._pending) >= REBUILD_SEGMENT_DOCS:
            self._commit()

    def finish(self) -> str:
        """Commit, then make this generation live."""
        self._commit()
        self.ix.close()
        store.swap(self.root, self.name)
        return self.name

    def abort(self) -> None:
        if self._writer is not None:
            writer, self._writer = self._writer, None
            with contextlib.suppress(Exception):  # the generation is discarded anyway
                writer.cancel()
        self.ix.close()
        store.discard(self.root, self.name)


def merge(root: Path) -> None:
    """Merge small segments (updates pile them up); run by the indexer when idle, never on a request."""
    ix = store.open_generation(root)
    writer = ix.writer(timeout=30, compound=False)
    writer.commit(mergetype=_merge_small)


def segment_count(root: Path) -> int:
    """Small segments (what `merge` combines): the rebuild's large ones are left as they are."""
    ix = store.open_generation(root)
    return sum(1 for seg in ix._segments() if seg.doc_count_all() < SMALL_SEGMENT)  # noqa: SLF001 - no public list
