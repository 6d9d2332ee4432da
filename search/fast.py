"""Set algebra over postings, per segment: what a query matches, counted and faceted without scoring every hit.

Whoosh scores every matching document in Python, so a word found in half of 100,000 cases cost seconds
(README, Full-text search). Here the matching set of a query is computed as a bitset — a Python int with
one *byte* per document (bit 8·d set for document d), so that `&`, `|`, `bit_count()` run in C and
`to_bytes()[d]` tests membership — from the posting lists of its terms, read block by block:

* the postings are read from fields without positions (search/schema.py: MATCH_FIELD and SET_FIELDS);
* totals, the scope filter and facet counts are bitset operations (facets: one cached bitset per value, or
  each listed document's value when few match);
* a phrase (a word of three or more characters) is first the AND of its bigrams — exact for the count
  only after a check of the stored text, which is done for every candidate when there are few
  (≤ VERIFY_LIMIT) and otherwise only for the hits shown (the total is then marked approximate);
* ranking is by set membership, not BM25 (Whoosh's scorer costs ~1 ms per document with phrases): the
  sum of the boosts of the short fields (title, names, mediators, type, organisations, labels), the case
  number and identity number in which the query's words are found, summed as bitsets; ties newest first.

Per-segment data (term bitsets of common terms, facet bitsets, the date order) is cached by segment id, so
an indexer commit that adds a small segment leaves the big segment's caches intact.
"""

from __future__ import annotations

from collections import Counter, OrderedDict, deque
from collections.abc import Iterable, Iterator, Sequence
from itertools import repeat
from typing import Any

from whoosh import query as Q
from whoosh.reading import IndexReader, TermInfo, TermNotFound
from whoosh.searching import Searcher

from search.documents import ScopeKey
from search.nodes import All, AnyOf, Node, Range, Sub, Term, Without
from search.text import normalise

VERIFY_LIMIT = 300  # look words up in the stored text of every candidate up to this many
FEW = 24  # a word's candidates this few: its commoner terms are not read (the text settles it)
TERM_CACHE = 192  # common terms' bitsets kept per segment (one byte per document each)
CACHE_MIN_DF = 512  # rarer terms are cheap to read again
INFO_CACHE = 20_000  # term-table entries kept per segment (a few dozen bytes each)
LIST_FACETS_BELOW = 1 / 8  # count facets document by document when fewer than this share of a segment's documents match


def from_ids(ids: Iterable[int], n: int) -> int:
    ba = bytearray(n)
    deque(map(ba.__setitem__, ids, repeat(1)), maxlen=0)
    return int.from_bytes(ba, "little")


def ids_of(bits: int, n: int) -> list[int]:
    """Docnums in a bitset, ascending."""
    return positions(bits.to_bytes(n, "little"), 1) if bits else []


def positions(raw: bytes, value: int) -> list[int]:
    """Where `value` is in `raw` (docnums of the documents with that byte), ascending."""
    out, find, pos = [], raw.find, raw.find(value)
    while pos != -1:
        out.append(pos)
        pos = find(value, pos + 1)
    return out


def count(bits: int) -> int:
    return bits.bit_count()


class Segment:
    """Cached sets of one segment (valid as long as the segment exists: its postings never change)."""

    def __init__(self, reader: IndexReader) -> None:
        self.n = reader.doc_count_all()
        self.ones = int.from_bytes(b"\x01" * self.n, "little") if self.n else 0
        self.terms: OrderedDict[tuple[str, str], int] = OrderedDict()
        self.facets: dict[str, dict[str, int]] = {}
        self.facet_values: dict[str, list[str]] = {}  # facet → each document's value
        self.scopes: dict[ScopeKey, int] = {}  # Scope.key → its documents
        self.live_key: tuple[int] | None = None
        self.live = self.ones
        self.received: list[int] | None = None
        self.newest: list[int] | None = None
        self.memo: dict[Node, tuple[int, bool]] = {}  # one search's evaluated conditions (cleared per search)
        self.infos: dict[tuple[str, str | bytes], TermInfo | None] = {}  # term → its term-table entry (see info)
        self.texts: dict[tuple[int, str], str] = {}  # one search's normalised stored texts (see text)
        self.stored: dict[int, dict[str, Any]] = {}  # one search's stored fields

    # -- base sets
    def live_bits(self, reader: IndexReader) -> int:
        deleted = (
            reader.deleted_docs_set
            if hasattr(reader, "deleted_docs_set")
            else frozenset(d for d in range(self.n) if reader.is_deleted(d))
        )
        key = (len(deleted),)
        if key != self.live_key:
            self.live = self.ones & ~from_ids(deleted, self.n) if deleted else self.ones
            self.live_key = key
        return self.live

    def term(self, reader: IndexReader, field: str, text: str) -> int:
        key = (field, text)
        hit = self.terms.get(key)
        if hit is not None:
            self.terms.move_to_end(key)
            return hit
        bits, df = self._read(reader, field, text)
        if df >= CACHE_MIN_DF:
            self.terms[key] = bits
            if len(self.terms) > TERM_CACHE:
                self.terms.popitem(last=False)
        return bits

    def info(self, reader: IndexReader, field: str, text: str | bytes) -> TermInfo | None:
        """The term's entry in the segment's term table (its document frequency, where its postings are), kept: a
        word's terms are looked up to order them by frequency and then read, and the lookup is most of a rare term's
        cost. None when the segment does not have the term."""
        key = (field, text)
        if key in self.infos:
            return self.infos[key]
        try:
            info: TermInfo | None = _term_table(reader).term_info(field, reader._text_to_bytes(field, text))  # noqa: SLF001
        except (TermNotFound, KeyError, ValueError):
            info = None
        if len(self.infos) >= INFO_CACHE:
            self.infos.clear()
        self.infos[key] = info
        return info

    def _read(self, reader: IndexReader, field: str, text: str | bytes) -> tuple[int, int]:
        if field not in reader.schema:
            return 0, 0
        btext = reader._text_to_bytes(field, text)  # noqa: SLF001 - idempotent on bytes (FieldType.to_bytes)
        try:
            terms = _term_table(reader)
        except AttributeError:  # not a segment reader: the slow, general way
            ids = list(reader.postings(field, btext).all_ids()) if (field, btext) in reader else []
            return from_ids(ids, self.n), len(ids)
        info = self.info(reader, field, text)
        if info is None:
            return 0, 0
        raw = terms._codec.postings_reader(  # noqa: SLF001 - what terms.matcher does, without looking the term up again
            terms._postfile,  # noqa: SLF001
            info,
            reader.schema[field].format,
            term=(field, btext),
            scorer=None,
        )
        ba = bytearray(self.n)
        setter, df = ba.__setitem__, 0
        while raw.is_active():
            raw._read_ids()  # noqa: SLF001 - a whole block of ids at once
            ids = raw._ids  # noqa: SLF001
            df += len(ids)
            deque(map(setter, ids, repeat(1)), maxlen=0)
            raw._next_block()  # noqa: SLF001
        return int.from_bytes(ba, "little"), df

    def facet(self, reader: IndexReader, field: str) -> dict[str, int]:
        """Value → the set of documents with it."""
        if field not in self.facets:
            values: dict[str, int] = {}
            for btext in reader.lexicon(field):
                value = btext.decode("utf-8") if isinstance(btext, bytes) else str(btext)
                values[value] = self._read(reader, field, btext)[0]
            self.facets[field] = values
            of_doc = [""] * self.n
            for value, bits in values.items():
                for d in ids_of(bits, self.n):
                    of_doc[d] = value
            self.facet_values[field] = of_doc
        return self.facets[field]

    def facet_counts(self, reader: IndexReader, field: str, bits: int, docs: list[int] | None) -> Counter[str]:
        """Value → how many documents of `bits` have it: from each document's value when they are listed (`docs`, a
        few), otherwise by intersecting `bits` with each value's set (two operations over the segment per value)."""
        values = self.facet(reader, field)
        if docs is not None:
            return Counter(map(self.facet_values[field].__getitem__, docs))
        return Counter({value: (bits & vbits).bit_count() for value, vbits in values.items()})

    def received_order(self, reader: IndexReader) -> tuple[list[int], list[int]]:
        """(`received` by docnum, docnums newest first — ties: higher docnum first)."""
        if self.newest is None or self.received is None:
            try:
                col = reader.column_reader("received")
                self.received = [int(col[d] or 0) for d in range(self.n)]
            except Exception:  # noqa: BLE001
                self.received = [0] * self.n
            rec = self.received
            self.newest = sorted(range(self.n), key=lambda d: (rec[d], d), reverse=True)
        return self.received, self.newest

    def best(
        self, reader: IndexReader, bits: int, n: int, weights: list[tuple[int, float]], want: int
    ) -> dict[int, float]:
        """The `want` best of the `n` documents in `bits` → score: the sum of the weights of the sets each is in, ties
        newest first.

        The scores are summed as bitsets too: one byte per document holds 1 + its boosts in half points (every boost is
        a multiple of 0.5; scaled down when a long query's boosts could overflow a byte). Then only the documents of the
        best score levels are listed — no Python loop over every hit.
        """
        rec, order = self.received_order(reader)
        total = sum(w for _b, w in weights)
        scale = 2.0 if 2 * total < 255 else 254 / total
        levels = bits
        for b, w in weights:
            if int(w * scale):
                levels += (b & bits) * int(w * scale)
        raw = levels.to_bytes(self.n, "little")
        out: dict[int, float] = {}
        for level in sorted(set(raw) - {0}, reverse=True) if weights else (1,):
            need = want - len(out)
            if need <= 0:
                break
            count = n if not weights else raw.count(level)
            # Dense: walking the date order meets `need` of them after ~need·n/count steps, fewer than sorting them all.
            if 3 * count * count > need * self.n:
                docs = []
                for d in order:
                    if raw[d] == level:
                        docs.append(d)
                        if len(docs) == need:
                            break
            else:
                docs = sorted(positions(raw, level), key=lambda d: (rec[d], d), reverse=True)[:need]
            out.update(dict.fromkeys(docs, (level - 1) / scale))
        return out

    # -- a query (search.nodes) as a set: (bits, exact)
    def evaluate(self, searcher: Searcher, node: Node) -> tuple[int, bool]:
        """The documents of `node` as a bitset, and whether that is exact; when it is not, it holds every document that
        matches (and some that may not: `verify` settles those). Under an exclusion, only what surely matches is
        subtracted."""
        if isinstance(node, Term):
            return self.term(searcher.reader(), node.field, node.text), True
        found = self.memo.get(node)
        if found is None:
            found = self.memo[node] = self._evaluate(searcher, node)
        return found

    def _evaluate(self, searcher: Searcher, node: Node) -> tuple[int, bool]:
        if isinstance(node, Sub):
            return self.substring(searcher.reader(), node)
        if isinstance(node, All):
            bits, exact = self.ones, True
            for sub in node.items:
                b, e = self.evaluate(searcher, sub)
                bits &= b
                exact = exact and e
                if not bits:
                    return 0, True
            return bits, exact
        if isinstance(node, AnyOf):
            bits, exact = 0, True
            for sub in node.items:
                b, e = self.evaluate(searcher, sub)
                bits |= b
                exact = exact and e
            return bits, exact
        if isinstance(node, Without):
            keep, exact = self.evaluate(searcher, node.keep)
            if not keep:
                return 0, True
            drop, drop_exact = self.evaluate(searcher, node.drop)
            if drop_exact:
                return keep & ~drop, exact
            maybe = keep & drop  # documents that may have to go: look at them when they are few
            if maybe.bit_count() <= VERIFY_LIMIT:
                drop = from_ids(verify(searcher, self, node.drop, ids_of(maybe, self.n)), self.n)
                return keep & ~drop, exact
            return keep, False
        if isinstance(node, Range):
            query = Q.NumericRange(node.field, node.lo, node.hi)
            return from_ids(query.docs(searcher), self.n), True
        raise TypeError(f"not a query node: {node!r}")

    def substring(self, reader: IndexReader, node: Sub) -> tuple[int, bool]:
        """The AND of the word's terms, rarest first; when few candidates are left, the commoner terms are not read at
        all (the text is looked at anyway)."""
        if node.prefix is not None:
            return self.prefixed(reader, node.field, node.prefix), node.exact
        terms: Sequence[str] = node.terms
        if len(terms) > 1:
            terms = sorted(terms, key=lambda t: self.frequency(reader, node.field, t))
        bits = self.ones
        for i, text in enumerate(terms):
            bits &= self.term(reader, node.field, text)
            if not bits:
                return 0, True
            if i + 1 < len(terms) and bits.bit_count() <= FEW:
                return bits, False
        return bits, node.exact

    def prefixed(self, reader: IndexReader, field: str, char: str) -> int:
        """The documents whose field has a term beginning with `char`: those where the CJK character occurs (a bigram
        after it, a join, or the character alone at the end of a run: search.text.terms). Kept like a common term."""
        key = (field, "\0" + char)
        hit = self.terms.get(key)
        if hit is not None:
            self.terms.move_to_end(key)
            return hit
        if field not in reader.schema:
            return 0
        try:
            terms = _term_table(reader)
            prefix = reader._text_to_bytes(field, char)  # noqa: SLF001
        except AttributeError:  # not a segment reader: the slow, general way
            ids = [d for t in reader.expand_prefix(field, char) for d in reader.postings(field, t).all_ids()]
            return from_ids(ids, self.n)
        fmt = reader.schema[field].format
        ba = bytearray(self.n)
        setter, df = ba.__setitem__, 0
        for (name, tbytes), info in terms.items_from(field, prefix):
            if name != field or not tbytes.startswith(prefix):
                break
            raw = terms._codec.postings_reader(terms._postfile, info, fmt, term=(field, tbytes), scorer=None)  # noqa: SLF001
            while raw.is_active():
                raw._read_ids()  # noqa: SLF001
                ids = raw._ids  # noqa: SLF001
                df += len(ids)
                deque(map(setter, ids, repeat(1)), maxlen=0)
                raw._next_block()  # noqa: SLF001
        bits = int.from_bytes(ba, "little")
        if df >= CACHE_MIN_DF:
            self.terms[key] = bits
            if len(self.terms) > TERM_CACHE:
                self.terms.popitem(last=False)
        return bits

    def frequency(self, reader: IndexReader, field: str, text: str) -> int:
        if (field, text) in self.terms:
            return 0  # read already: free
        try:
            info = self.info(reader, field, text)
        except AttributeError:  # not a segment reader
            return 0
        return info.doc_frequency() if info is not None else 0

    def combine(self, searcher: Searcher, node: Node, exact: dict[Node, int]) -> int:
        """`node` as a set, with the sets of some words given (`exact`, see verify)."""
        if node in exact:
            return exact[node]
        if isinstance(node, All):
            bits = self.ones
            for item in node.items:
                bits &= self.combine(searcher, item, exact)
            return bits
        if isinstance(node, AnyOf):
            bits = 0
            for item in node.items:
                bits |= self.combine(searcher, item, exact)
            return bits
        if isinstance(node, Without):
            return self.combine(searcher, node.keep, exact) & ~self.combine(searcher, node.drop, exact)
        return self.evaluate(searcher, node)[0]

    def text(self, searcher: Searcher, docnum: int, field: str) -> str:
        """A document's stored text of `field`, normalised (kept until the next search)."""
        key = (docnum, field)
        found = self.texts.get(key)
        if found is None:
            stored = self.stored.get(docnum)
            if stored is None:
                stored = self.stored[docnum] = searcher.reader().stored_fields(docnum)
            found = self.texts[key] = normalise(stored.get(field) or "")
        return found

    def forget(self) -> None:
        """Drop what one search kept: evaluated conditions, stored and normalised texts."""
        self.memo.clear()
        self.texts.clear()
        self.stored.clear()

    def weights(self, searcher: Searcher, features: list[tuple[Node, float]]) -> list[tuple[int, float]]:
        """(bits, weight) of each ranking feature the segment has any document of."""
        out: list[tuple[int, float]] = []
        for node, weight in features:
            bits = self.evaluate(searcher, node)[0]
            if bits:
                out.append((bits, weight))
        return out


def verify(searcher: Searcher, data: Segment, node: Node, docnums: list[int]) -> list[int]:
    """The docnums (ascending) that really match `node`: each word that is not one term is looked up once per candidate
    in the document's stored text, normalised (kept for the rest of the search); then the conditions are combined as
    sets, as `evaluate` does, with those words' sets now exact."""
    if not docnums:
        return []
    leaves = {leaf for leaf in _leaves(node) if isinstance(leaf, Sub) and not leaf.exact}
    candidates = from_ids(docnums, data.n)
    exact: dict[Node, int] = {}
    for leaf in leaves:
        maybe = data.evaluate(searcher, leaf)[0] & candidates
        found = [d for d in ids_of(maybe, data.n) if leaf.text in data.text(searcher, d, leaf.field)]
        exact[leaf] = from_ids(found, data.n)
    return ids_of(data.combine(searcher, node, exact) & candidates, data.n)


def _term_table(reader: IndexReader) -> Any:
    """A segment reader's term table: Whoosh's private `SegmentReader._terms` (untyped there), read on purpose (see the
    module docstring); AttributeError for any other reader, which the callers answer the slow, general way."""
    return reader._terms  # type: ignore[attr-defined]  # noqa: SLF001 - only SegmentReader has it


def _leaves(node: Node) -> Iterator[Node]:
    if isinstance(node, (All, AnyOf)):
        for item in node.items:
            yield from _leaves(item)
    elif isinstance(node, Without):
        yield from _leaves(node.keep)
        yield from _leaves(node.drop)
    else:
        yield node
