"""The facade: index, remove, search, suggest, similar, check, rebuild — plain data in, plain data out."""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from whoosh import query as Q
from whoosh import sorting

from search import highlight, store
from search.documents import FACETS, CaseDoc, CheckReport, FacetValue, Hit, IndexUnavailable, Scope, SearchRequest, SearchResults, Snippet
from search.query import Builder, parse
from search.text import normalise

ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])")
LIST_SEP = "、"


def mask_ids(text: str) -> str:
    """Identity numbers inside free text are never stored in the index (so never in a snippet)."""
    return ID_NUMBER.sub(lambda m: m.group(1) + "********" + m.group(3), text)


def _day(d: date | None) -> int | None:
    return d.year * 10000 + d.month * 100 + d.day if d else None


def _from_day(n: int | None) -> date | None:
    return date(n // 10000, n // 100 % 100, n % 100) if n else None


def fields_of(doc: CaseDoc) -> dict:
    """A CaseDoc as Whoosh fields."""
    seq3 = f"{doc.number_seq:03d}" if doc.number_seq else ""
    numparts = {normalise(doc.number), str(doc.number_year or ""), normalise(doc.number_prefix), str(doc.number_seq or ""), seq3,
                f"{seq3}号" if seq3 else "", f"第{seq3}号" if seq3 else "", f"{normalise(doc.number_prefix)}人调字" if doc.number_prefix else "",
                f"{normalise(doc.number_prefix)}人调字第{seq3}号" if doc.number_prefix and seq3 else ""}
    names = [p for p in doc.parties if p]
    return {
        "cid": str(doc.id), "version": doc.version, "number": normalise(doc.number),
        "numparts": " ".join(sorted(p.replace(" ", "") for p in numparts if p)),
        "idnums": " ".join(normalise(n).replace(" ", "") for n in doc.id_numbers if n),
        "title": doc.title, "parties": LIST_SEP.join(names), "mediators": LIST_SEP.join(doc.mediators),
        "types": LIST_SEP.join(doc.dispute_type_names), "orgs": LIST_SEP.join(doc.org_names),
        "labels": " ".join(x for x in (doc.status_label, doc.channel, doc.outcome_label) if x),
        "body": mask_ids(doc.text), "dossier": highlight.PAGE_BREAK.join(mask_ids(p) for p in doc.dossier_pages),
        "chars": LIST_SEP.join([doc.title, *names, *doc.mediators, *doc.org_names[:1], *doc.dispute_type_names]),
        "scope": ",".join(doc.org_paths),
        "dtype": doc.dispute_type or "-", "status": doc.status or "-", "tier": doc.tier or "-", "org": str(doc.org_id),
        "year": str(doc.received_on.year) if doc.received_on else "-", "mediator": doc.mediators[0] if doc.mediators else "-",
        "outcome": doc.outcome or "-", "received": _day(doc.received_on) or 0, "closed": _day(doc.closed_on) or 0,
        "filed": _day(doc.filed_on) or 0, "extra": {"org_name": doc.org_name, "number": doc.number}, "numtext": doc.number,
    }


# --- writing: only the indexer calls these ------------------------------------------------------------
def apply(root: Path, docs: Iterable[CaseDoc], remove_ids: Iterable[int] = ()) -> int:
    """Add or replace `docs` and delete `remove_ids` in the live index, in one commit; returns documents written."""
    ix = store.open_generation(root)
    return _write(ix, list(docs), list(remove_ids))


def _write(ix, docs: list[CaseDoc], remove_ids: list[int], *, merge: bool = True) -> int:  # noqa: ANN001
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
    writer.commit(merge=merge)
    return len(docs)


class Rebuild:
    """A new generation filled in chunks (each its own commit: bounded memory), swapped in by `finish`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.name, self.ix = store.new_generation(root)
        self.count = 0

    def add(self, docs: list[CaseDoc], remove_ids: Iterable[int] = ()) -> None:
        self.count += _write(self.ix, docs, list(remove_ids), merge=False)

    def finish(self) -> str:
        """Merge the chunks into one segment (fast queries), then make this generation live."""
        self.ix.optimize()
        self.ix.close()
        store.swap(self.root, self.name)
        return self.name

    def abort(self) -> None:
        self.ix.close()
        store.discard(self.root, self.name)


def merge(root: Path) -> None:
    """Merge small segments (updates pile them up); run by the indexer when idle, never on a request."""
    ix = store.open_generation(root)
    writer = ix.writer(timeout=30, compound=False)
    writer.commit(merge=True)


def segment_count(root: Path) -> int:
    ix = store.open_generation(root)
    return len(ix._segments())  # noqa: SLF001 - Whoosh has no public segment count


# --- reading ------------------------------------------------------------------------------------------
@dataclass
class Suggestion:
    kind: str  # party | number | org
    text: str
    case_id: int | None = None


class SearchIndex:
    """The reading side: one long-lived searcher per process, refreshed when the indexer commits or a rebuild swaps."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._lock = threading.RLock()
        self._name: str | None = None
        self._ix = None
        self._searcher = None
        self._filters: dict[tuple, set[int] | None] = {}

    # -- the live searcher
    def _current(self):  # noqa: ANN202
        name = store.current_name(self.root)
        if self._searcher is None or name != self._name:
            self.close()
            self._ix = store.open_generation(self.root, name)
            self._searcher = self._ix.searcher()
            self._name = name
            self._filters.clear()
        elif not self._searcher.up_to_date():
            # Not searcher.refresh(): in whoosh-reloaded 2.7.5 and whoosh3 it re-adds the segments it reuses, so
            # deleted or merged-away documents come back (bench/whoosh_forks.py). A fresh reader is cheap with
            # non-compound segments.
            self._searcher.close()
            self._searcher = self._ix.searcher()
            self._filters.clear()
        return self._searcher

    def close(self) -> None:
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
            self._searcher = self._ix = self._name = None
            self._filters.clear()

    def status(self) -> dict:
        """{'ok', 'reason', 'generation', 'documents'} — never raises."""
        with self._lock:
            try:
                s = self._current()
                return {"ok": True, "reason": "", "generation": self._name, "documents": s.doc_count()}
            except IndexUnavailable as exc:
                return {"ok": False, "reason": exc.reason, "generation": None, "documents": 0, "missing": exc.missing,
                        "outdated": exc.outdated}

    def _scope_filter(self, s, scope: Scope) -> set[int] | None:  # noqa: ANN001
        if scope.everything:
            return None
        if scope.key not in self._filters:
            parts = [Q.Term("scope", p) for p in scope.paths] + [Q.Term("cid", str(i)) for i in scope.case_ids]
            docs = set(s.docs_for_query(Q.Or(parts))) if parts else set()
            if len(self._filters) > 256:
                self._filters.clear()
            self._filters[scope.key] = docs
        return self._filters[scope.key]

    # -- verbs
    def search(self, req: SearchRequest, scope: Scope) -> SearchResults:
        """Ranked, scoped, faceted, one page of hits with snippets; raises IndexUnavailable only."""
        parsed = parse(req.q, id_numbers=req.id_numbers)
        notes = list(parsed.notes)
        query = Q.Every() if parsed.empty else parsed.query
        conditions = [Q.Term(name, value) for name, value in req.filters.items() if name in FACETS and value]
        if conditions:
            query = Q.And([query, *conditions])
        size = max(1, min(req.size, 100))
        with self._lock:
            s = self._current()
            allowed = self._scope_filter(s, scope)
            if allowed is not None and not allowed:
                return SearchResults(total=0, hits=[], page=1, pages=1, notes=notes, plain=parsed.plain,
                                     facets={f: [] for f in FACETS} if req.facets else {})
            groupedby = {f: sorting.FieldFacet(f, maptype=sorting.Count) for f in FACETS} if req.facets else None
            sortedby = sorting.FieldFacet("received", reverse=True) if req.sort == "date" or parsed.empty else None
            page = max(1, req.page)
            limit = page * size
            results = s.search(query, limit=limit, filter=allowed, groupedby=groupedby, sortedby=sortedby,
                               terms=False, optimize=True)
            total = len(results)
            pages = max(1, math.ceil(total / size))
            if page > pages:
                page = pages
                results = s.search(query, limit=page * size, filter=allowed, groupedby=groupedby, sortedby=sortedby)
            hits = [self._hit(hit, parsed.terms) for hit in results[(page - 1) * size: page * size]]
            facets = {}
            if req.facets:
                for f in FACETS:
                    counts = results.groups(f)
                    facets[f] = [FacetValue(str(v), int(c)) for v, c in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
                                 if v not in ("-", None, "")]
        return SearchResults(total=total, hits=hits, page=page, pages=pages, facets=facets, notes=notes, plain=parsed.plain)

    def _hit(self, hit, terms: set[str]) -> Hit:  # noqa: ANN001
        f = hit.fields()
        snippets = []
        for name in ("dossier", "body"):
            found = highlight.best_window(f.get(name) or "", terms)
            if found:
                html, offset = found
                page = highlight.page_of(f[name], offset) if name == "dossier" else None
                snippets.append(Snippet(name, html, page))
                break
        for name in ("parties", "mediators", "orgs"):
            text = f.get(name) or ""
            if text and terms and highlight._spans(normalise(text), terms):  # noqa: SLF001
                snippets.append(Snippet(name, highlight.marked(text, terms)))
        return Hit(case_id=int(f["cid"]), number=(f.get("extra") or {}).get("number") or f.get("number", ""), title=f.get("title", ""), score=float(hit.score or 0),
                   status=f.get("status", ""), dispute_type=f.get("dtype", ""), org_id=int(f.get("org") or 0),
                   received_on=_from_day(f.get("received")), parties=highlight.marked(f.get("parties", ""), terms), snippets=snippets)

    def title_html(self, hit: Hit, q: str) -> str:
        return highlight.marked(hit.title, parse(q).terms)

    def suggest(self, prefix: str, scope: Scope, limit: int = 8) -> list[Suggestion]:
        """Party names, case numbers and organisations in scope that contain what was typed."""
        text = normalise(prefix.strip())[:30]
        if not text:
            return []
        builder = Builder(id_numbers=False)
        options = [Q.Prefix("number", text), Q.Term("numparts", text)]
        word = builder.word_query(text, ["parties", "orgs", "numtext"], exact=True)
        if word is not None:
            options.append(word)
        out: list[Suggestion] = []
        seen: set[tuple[str, str]] = set()
        with self._lock:
            s = self._current()
            allowed = self._scope_filter(s, scope)
            if allowed is not None and not allowed:
                return []
            for hit in s.search(Q.Or(options), limit=40, filter=allowed, terms=False):
                f = hit.fields()
                found = [("number", (f.get("extra") or {}).get("number") or f.get("number", ""))] + [("party", n) for n in (f.get("parties") or "").split(LIST_SEP)] + \
                        [("org", n) for n in (f.get("orgs") or "").split(LIST_SEP)[:1]]
                for kind, value in found:
                    if value and text in normalise(value) and (kind, value) not in seen:
                        seen.add((kind, value))
                        out.append(Suggestion(kind, value, int(f["cid"]) if kind == "number" else None))
                if len(out) >= limit:
                    break
        return out[:limit]

    def similar(self, case_id: int, scope: Scope, limit: int = 5) -> list[Hit]:
        """Cases in scope most like this one: its rarest words, its type."""
        with self._lock:
            s = self._current()
            docnum = s.document_number(cid=str(case_id))
            if docnum is None:
                return []
            allowed = self._scope_filter(s, scope)
            if allowed is not None and not allowed:
                return []
            stored = s.stored_fields(docnum)
            terms = [Q.Term("title", t, boost=2.0 * w) for t, w in s.key_terms([docnum], "title", numterms=4)]
            terms += [Q.Term("body", t, boost=w) for t, w in s.key_terms([docnum], "body", numterms=10)]
            terms.append(Q.Term("dtype", stored.get("dtype", "-"), boost=3.0))
            query = Q.AndNot(Q.Or(terms), Q.Term("cid", str(case_id)))
            results = s.search(query, limit=limit, filter=allowed, terms=False)
            return [self._hit(hit, set()) for hit in results]

    def versions(self) -> dict[int, int]:
        """Case id → indexed version, for every live document."""
        with self._lock:
            s = self._current()
            out: dict[int, int] = {}
            for sub, _offset in _leaves(s):
                reader = sub.reader()
                if reader.doc_count_all() == 0:
                    continue
                cids = reader.column_reader("cid")
                versions = reader.column_reader("version")
                for docnum in range(reader.doc_count_all()):
                    if not reader.is_deleted(docnum):
                        out[int(cids[docnum])] = int(versions[docnum])
            return out

    def check(self, expected: dict[int, int]) -> CheckReport:
        """Compare the index with the database's ids and versions."""
        indexed = self.versions()
        report = CheckReport()
        for case_id, version in expected.items():
            if case_id not in indexed:
                report.missing.append(case_id)
            elif indexed[case_id] != version:
                report.stale.append(case_id)
        report.extra = sorted(set(indexed) - set(expected))
        report.missing.sort(), report.stale.sort()
        return report


def _leaves(searcher):  # noqa: ANN001, ANN202
    return searcher.leaf_searchers() if not searcher.is_atomic() else [(searcher, 0)]
