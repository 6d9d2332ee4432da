"""The reading side of the index: search, suggest, similar, check, status — plain data in, plain data out
(writing and rebuilding are search.writing)."""

from __future__ import annotations

import math
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from whoosh import query as Q
from whoosh.index import FileIndex
from whoosh.searching import Searcher

from search import fast, highlight, store
from search.documents import (
    FACETS,
    CheckReport,
    FacetValue,
    Hit,
    IndexUnavailable,
    Scope,
    ScopeKey,
    SearchRequest,
    SearchResults,
    Snippet,
)
from search.nodes import EVERYTHING, Node, Sub, Term, any_of
from search.query import parse
from search.text import is_cjk, normalise, runs
from search.writing import LIST_SEP, from_day

SegmentHits = tuple[Searcher, int, fast.Segment, int, int]  # (leaf searcher, offset, its sets, matching bits, count)


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
        self._ix: FileIndex | None = None
        self._searcher: Searcher | None = None
        self._filters: dict[ScopeKey, set[int] | None] = {}
        self._segdata: dict[object, fast.Segment] = {}

    # -- the live searcher
    def _current(self) -> Searcher:
        name = store.current_name(self.root)
        if self._searcher is None or self._ix is None or name != self._name:
            self.close()
            self._ix = store.open_generation(self.root, name)
            self._searcher = _holding_files(self._ix.searcher())
            self._name = name
            self._filters.clear()
            self._segdata.clear()
        elif not self._searcher.up_to_date():
            # Not searcher.refresh(): in whoosh-reloaded 2.7.5 and whoosh3 it re-adds the segments it reuses, so
            # deleted or merged-away documents come back (bench/whoosh_forks.py). A fresh reader is cheap with
            # non-compound segments.
            self._searcher.close()
            self._searcher = _holding_files(self._ix.searcher())
            self._filters.clear()
        return self._searcher

    def close(self) -> None:
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
            self._searcher = self._ix = self._name = None
            self._filters.clear()
            self._segdata.clear()

    def warm(self) -> None:
        """Open the searcher and fill each segment's sets that every search uses — facet values, date order, live
        documents — so that the first searches do not pay for them (~0.5 s at 100,000 cases); the server calls this at
        start-up. Raises IndexUnavailable."""
        with self._lock:
            for sub, _offset, data in self._segments(self._current()):
                reader = sub.reader()
                data.live_bits(reader)
                data.received_order(reader)
                for name in FACETS:
                    data.facet(reader, name)

    def status(self) -> dict[str, object]:
        """{'ok', 'reason', 'generation', 'documents'} — never raises."""
        with self._lock:
            try:
                s = self._current()
                return {"ok": True, "reason": "", "generation": self._name, "documents": s.doc_count()}
            except IndexUnavailable as exc:
                return {
                    "ok": False,
                    "reason": exc.reason,
                    "generation": None,
                    "documents": 0,
                    "missing": exc.missing,
                    "outdated": exc.outdated,
                }

    def _scope_filter(self, s: Searcher, scope: Scope) -> set[int] | None:
        if scope.everything:
            return None
        if scope.key not in self._filters:
            parts = [Q.Term("scope", p) for p in scope.paths] + [Q.Term("cid", str(i)) for i in scope.case_ids]
            docs = set(s.docs_for_query(Q.Or(parts))) if parts else set()
            if len(self._filters) > 256:
                self._filters.clear()
            self._filters[scope.key] = docs
        return self._filters[scope.key]

    # -- per-segment sets (search/fast.py)
    def _segments(self, s: Searcher) -> list[tuple[Searcher, int, fast.Segment]]:
        """(leaf searcher, docnum offset, cached sets) for each segment of the live searcher."""
        out = []
        for sub, offset in _leaves(s):
            reader = sub.reader()
            seg = reader.segment() if hasattr(reader, "segment") else None
            key = seg.segment_id() if seg is not None else id(reader)
            data = self._segdata.get(key)
            if data is None or data.n != reader.doc_count_all():
                data = self._segdata[key] = fast.Segment(reader)
            out.append((sub, offset, data))
        keep = {k for k in self._segdata if any(d is self._segdata[k] for _, _, d in out)}
        for k in set(self._segdata) - keep:
            del self._segdata[k]
        return out

    def _scope_bits(self, sub: Searcher, data: fast.Segment, scope: Scope) -> int | None:
        if scope.everything:
            return None
        if scope.key not in data.scopes:
            reader = sub.reader()
            bits = 0
            for p in scope.paths:
                bits |= data.term(reader, "scope", p)
            for i in scope.case_ids:
                bits |= data.term(reader, "cid", str(i))
            if len(data.scopes) > 256:
                data.scopes.clear()
            data.scopes[scope.key] = bits
        return data.scopes[scope.key]

    # -- verbs
    def search(self, req: SearchRequest, scope: Scope) -> SearchResults:
        """Ranked, scoped, faceted, one page of hits with snippets; raises IndexUnavailable only.

        Matching, totals, scope and facets are set operations (search/fast.py); only hits that can be shown are scored.
        """
        parsed = parse(req.q, id_numbers=req.id_numbers)
        notes = list(parsed.notes)
        query = EVERYTHING if parsed.empty else parsed.query
        conditions = [(name, value) for name, value in req.filters.items() if name in FACETS and value]
        size = max(1, min(req.size, 100))
        by_date = req.sort == "date" or parsed.empty
        with self._lock:
            s = self._current()
            segs: list[SegmentHits] = []
            total, exact = 0, True
            for sub, offset, data in self._segments(s):
                reader = sub.reader()
                data.forget()
                bits, ok = data.evaluate(sub, query)
                for name, value in conditions:
                    bits &= data.term(reader, name, value)
                allowed = self._scope_bits(sub, data, scope)
                if allowed is not None:
                    bits &= allowed
                bits &= data.live_bits(reader) if bits else 0
                n = fast.count(bits)
                exact = exact and (ok or n == 0)
                total += n
                segs.append((sub, offset, data, bits, n))
            if not exact and total <= fast.VERIFY_LIMIT:  # check the phrases of every candidate
                segs = [
                    (
                        sub,
                        offset,
                        data,
                        fast.from_ids(fast.verify(sub, data, query, fast.ids_of(bits, data.n)), data.n),
                        0,
                    )
                    for sub, offset, data, bits, _n in segs
                ]
                segs = [(sub, offset, data, bits, fast.count(bits)) for sub, offset, data, bits, _n in segs]
                total, exact = sum(n for *_, n in segs), True
            pages = max(1, math.ceil(total / size))
            page = min(max(1, req.page), pages)
            features = [] if by_date else parsed.features
            ranked = self._rank(segs, query, features, page * size, exact=exact)
            hits = [
                self._hit(s.reader().stored_fields(docnum), score, parsed.terms if req.snippets else None)
                for docnum, score in ranked[(page - 1) * size : page * size]
            ]
            facets: dict[str, list[FacetValue]] = {}
            if req.facets:
                counts: dict[str, Counter[str]] = {f: Counter() for f in FACETS}
                for sub, _offset, data, bits, n in segs:
                    if n:
                        docs = fast.ids_of(bits, data.n) if n < data.n * fast.LIST_FACETS_BELOW else None
                        for f in FACETS:
                            counts[f] += data.facet_counts(sub.reader(), f, bits, docs)
                facets = {
                    f: [
                        FacetValue(v, c)
                        for v, c in sorted(counts[f].items(), key=lambda kv: (-kv[1], kv[0]))
                        if v not in ("-", "")
                    ]
                    for f in FACETS
                }
        if not exact:
            notes.append("词语较常见：总数与分类计数为约数（按词语中的字组估计），列出的结果均已逐条核对。")
        return SearchResults(
            total=total, hits=hits, page=page, pages=pages, facets=facets, notes=notes, plain=parsed.plain
        )

    def _rank(
        self, segs: list[SegmentHits], query: Node, features: list[tuple[Node, float]], want: int, *, exact: bool
    ) -> list[tuple[int, float]]:
        """The first `want` hits as (global docnum, score): by the weights of the query's ranking features each matches
        (search/query.py, search/fast.py), newest first.

        Each segment offers its best `want` (twice as many when phrases are still to be checked); the offers are
        merged, and phrases are checked in that order only until `want` real matches are found.
        """
        offer = want if exact else want * 2
        while True:
            candidates: list[tuple[float, int, int, int, int]] = []  # (score, received, global docnum, segment, docnum)
            more = False  # whether a segment had more documents than it offered
            for i, (sub, offset, data, bits, n) in enumerate(segs):
                if not n:
                    continue
                weights = data.weights(sub, features) if features else []
                rec, _order = data.received_order(sub.reader())
                best = data.best(sub.reader(), bits, n, weights, offer)
                more = more or len(best) < n
                candidates += [(sc, rec[d], offset + d, i, d) for d, sc in best.items()]
            candidates.sort(key=lambda t: (-t[0], -t[1], -t[2]))
            if exact:
                return [(g, sc) for sc, _r, g, _i, _d in candidates[:want]]
            ranked: list[tuple[int, float]] = []
            start = 0
            while len(ranked) < want and start < len(candidates):
                batch = candidates[start : start + want - len(ranked)]
                start += len(batch)
                per_segment: dict[int, list[int]] = {}
                for _sc, _r, _g, i, d in batch:
                    per_segment.setdefault(i, []).append(d)
                real = {
                    (i, d)
                    for i, docs in per_segment.items()
                    for d in fast.verify(segs[i][0], segs[i][2], query, sorted(docs))
                }
                ranked += [(g, sc) for sc, _r, g, i, d in batch if (i, d) in real]
            if len(ranked) >= want or not more:
                return ranked
            offer *= 4  # too many candidates were not real matches: offer more and look again

    def _hit(self, f: dict[str, Any], score: float, terms: set[str] | None) -> Hit:
        """A hit from its stored fields: snippets only from the stored short texts and the body, for the shown page only
        (`terms` None: no snippets)."""
        snippets = []
        if terms is not None:
            for name in ("dossier", "body"):
                found = highlight.best_window(f.get(name) or "", terms)
                if found:
                    html, offset = found
                    page = highlight.page_of(f[name], offset) if name == "dossier" else None
                    snippets.append(Snippet(name, html, page))
                    break
        if terms:
            for name in ("parties", "mediators", "orgs"):
                text = f.get(name) or ""
                if text and highlight._spans(normalise(text), terms):  # noqa: SLF001
                    snippets.append(Snippet(name, highlight.marked(text, terms)))
        return Hit(
            case_id=int(f["cid"]),
            number=f.get("numtext") or "",
            title=f.get("title", ""),
            score=float(score or 0),
            status=f.get("status", ""),
            dispute_type=f.get("dtype", ""),
            org_id=int(f.get("org") or 0),
            received_on=from_day(f.get("received")),
            parties=highlight.marked(f.get("parties", ""), terms or set()),
            snippets=snippets,
        )

    def title_html(self, hit: Hit, q: str) -> str:
        return highlight.marked(hit.title, parse(q).terms)

    def suggest(self, prefix: str, scope: Scope, limit: int = 8) -> list[Suggestion]:
        """Party names, case numbers and organisations in scope that contain what was typed (newest cases first)."""
        text = "".join(normalise(prefix).split())[:30]
        if not text or not any(True for _ in runs(text)):
            return []
        node = any_of([Term("numparts", text), Sub("numtext", text), Sub("parties", text), Sub("orgs", text)])
        found: list[tuple[int, dict[str, Any]]] = []
        with self._lock:
            s = self._current()
            for sub, _offset, data in self._segments(s):
                reader = sub.reader()
                data.forget()
                bits, exact = data.evaluate(sub, node)
                allowed = self._scope_bits(sub, data, scope)
                if allowed is not None:
                    bits &= allowed
                bits &= data.live_bits(reader) if bits else 0
                n = fast.count(bits)
                if not n:
                    continue
                docs = sorted(data.best(reader, bits, n, [], 40))
                if not exact:
                    docs = fast.verify(sub, data, node, docs)
                rec, _order = data.received_order(reader)
                found += [(rec[d], sub.reader().stored_fields(d)) for d in docs]
        found.sort(key=lambda item: -item[0])
        out: list[Suggestion] = []
        seen: set[tuple[str, str]] = set()
        for _received, f in found:
            values = (
                [("number", f.get("numtext") or "")]
                + [("party", n) for n in (f.get("parties") or "").split(LIST_SEP)]
                + [("org", n) for n in (f.get("orgs") or "").split(LIST_SEP)[:1]]
            )
            for kind, value in values:
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
            stored = s.reader().stored_fields(docnum)
            terms = [
                Q.Term("title", t, boost=2.0 * w)
                for t, w in s.key_terms_from_text("title", stored.get("title") or "", numterms=12)
                if _telling(t)
            ][:4]
            terms += [
                Q.Term("body", t, boost=w)
                for t, w in s.key_terms_from_text("body", stored.get("body") or "", numterms=30)
                if _telling(t)
            ][:10]
            terms.append(Q.Term("dtype", stored.get("dtype", "-"), boost=3.0))
            query = Q.AndNot(Q.Or(terms), Q.Term("cid", str(case_id)))
            results = s.search(query, limit=limit, filter=allowed, terms=False)
            return [self._hit(hit.fields(), hit.score, set()) for hit in results]

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


def _holding_files(searcher: Searcher) -> Searcher:
    """The searcher, with every segment's stored fields and field lengths opened now rather than on first use.

    whoosh3 opens those column files lazily, and an indexer commit that merges small segments deletes the merged
    ones' files: a searcher opened before such a commit then found a segment's stored fields gone (TypeError in
    whoosh, a 500 on 类似案件). A file that is open stays readable after it is deleted, so the searcher holds them
    from the start; the next request opens a new searcher on the new segments anyway."""
    for sub, _offset in _leaves(searcher):
        reader = sub.reader()
        if reader.doc_count_all():
            reader.stored_fields(0)
            for name, field in reader.schema.items():
                if field.scorable:
                    reader.doc_field_length(0, name)
    return searcher


def _leaves(searcher: Searcher) -> list[tuple[Searcher, int]]:
    """(leaf searcher, docnum offset) for each segment."""
    leaves: list[tuple[Searcher, int]] = searcher.leaf_searchers() if not searcher.is_atomic() else [(searcher, 0)]
    return leaves


def _telling(term: str) -> bool:
    """A key term worth matching for similar cases: a CJK bigram or a Latin/digit word of 3+ characters, not a single
    character, a junction or a piece of a number."""
    return (len(term) == 2 and is_cjk(term)) or (len(term) >= 3 and term.isalpha())
