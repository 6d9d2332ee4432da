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
from itertools import repeat

from whoosh import query as Q
from whoosh.reading import TermNotFound

from search.schema import MATCH_FIELD, SET_FIELDS, match_text
from search.text import normalise

VERIFY_LIMIT = 300  # check phrases in the stored text of every candidate up to this many
TERM_CACHE = 192  # common terms' bitsets kept per segment (one byte per document each)
CACHE_MIN_DF = 512  # rarer terms are cheap to read again
LIST_FACETS_BELOW = 1 / 8  # count facets document by document when fewer than this share of a segment's documents match


def from_ids(ids, n: int) -> int:  # noqa: ANN001
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

    def __init__(self, reader) -> None:  # noqa: ANN001
        self.n = reader.doc_count_all()
        self.ones = int.from_bytes(b"\x01" * self.n, "little") if self.n else 0
        self.terms: OrderedDict[tuple[str, str], int] = OrderedDict()
        self.facets: dict[str, dict[str, int]] = {}
        self.facet_values: dict[str, list[str]] = {}  # facet → each document's value
        self.scopes: dict[tuple, int] = {}
        self.live_key: tuple | None = None
        self.live = self.ones
        self.received: list[int] | None = None
        self.newest: list[int] | None = None

    # -- base sets
    def live_bits(self, reader) -> int:  # noqa: ANN001
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

    def term(self, reader, field: str, text: str) -> int:  # noqa: ANN001
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

    def _read(self, reader, field: str, text) -> tuple[int, int]:  # noqa: ANN001
        if field not in reader.schema:
            return 0, 0
        try:
            btext = reader._text_to_bytes(field, text)  # noqa: SLF001
            terms = reader._terms  # noqa: SLF001
        except AttributeError:  # not a segment reader: the slow, general way
            ids = list(reader.postings(field, text).all_ids()) if (field, text) in reader else []
            return from_ids(ids, self.n), len(ids)
        try:
            raw = terms.matcher(field, btext, reader.schema[field].format, scorer=None)
        except TermNotFound:
            return 0, 0
        ba = bytearray(self.n)
        setter, df = ba.__setitem__, 0
        while raw.is_active():
            raw._read_ids()  # noqa: SLF001 - a whole block of ids at once
            ids = raw._ids  # noqa: SLF001
            df += len(ids)
            deque(map(setter, ids, repeat(1)), maxlen=0)
            raw._next_block()  # noqa: SLF001
        return int.from_bytes(ba, "little"), df

    def facet(self, reader, field: str) -> dict[str, int]:  # noqa: ANN001
        """Value → the set of documents with it."""
        if field not in self.facets:
            values = {}
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

    def facet_counts(self, reader, field: str, bits: int, docs: list[int] | None) -> Counter:  # noqa: ANN001
        """Value → how many documents of `bits` have it: from each document's value when they are listed (`docs`, a few),
        otherwise by intersecting `bits` with each value's set (two operations over the segment per value)."""
        values = self.facet(reader, field)
        if docs is not None:
            return Counter(map(self.facet_values[field].__getitem__, docs))
        return Counter({value: (bits & vbits).bit_count() for value, vbits in values.items()})

    def received_order(self, reader) -> tuple[list[int], list[int]]:  # noqa: ANN001
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

    def best(self, reader, bits: int, n: int, weights: list[tuple[int, float]], want: int) -> dict[int, float]:  # noqa: ANN001
        """The `want` best of the `n` documents in `bits` → score: the sum of the weights of the sets each is in, ties newest first.

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

    # -- a Whoosh query as a set: (bits, exact)
    def evaluate(self, searcher, q: Q.Query) -> tuple[int, bool]:  # noqa: ANN001
        reader = searcher.reader()
        if isinstance(q, (Q.Term, Q.Phrase)):
            field = SET_FIELDS.get(q.fieldname, q.fieldname)  # the same postings without positions
        if isinstance(q, Q.Term):
            return self.term(reader, field, q.text), True
        if isinstance(q, Q.Phrase):
            bits = self.ones
            for word in q.words:
                bits &= self.term(reader, field, word)
                if not bits:
                    break
            return bits, len(q.words) <= 1 or not bits
        if isinstance(q, Q.AndMaybe):
            return self.evaluate(searcher, q.a)
        if isinstance(q, Q.AndNot):
            a, exact_a = self.evaluate(searcher, q.a)
            if not a:
                return 0, True
            b, exact_b = self.evaluate(searcher, q.b)
            return a & ~b, exact_a and exact_b
        if isinstance(q, Q.And):
            bits, exact = self.ones, True
            for sub in q.subqueries:
                b, e = self.evaluate(searcher, sub)
                bits &= b
                exact = exact and e
                if not bits:
                    return 0, True
            return bits, exact
        if isinstance(q, Q.Or):
            bits, exact = 0, True
            for sub in q.subqueries:
                b, e = self.evaluate(searcher, sub)
                bits |= b
                exact = exact and e
            return bits, exact
        if isinstance(q, Q.Every):
            return self.ones, True
        if q is Q.NullQuery or isinstance(q, type(Q.NullQuery)):
            return 0, True
        # Prefix, NumericRange, …: let Whoosh list the documents (no scoring)
        return from_ids(q.docs(searcher), self.n), True

    def weights(self, searcher, q: Q.Query, out: list | None = None) -> list[tuple[int, float]]:  # noqa: ANN001
        """(bits, boost) of every boosted leaf outside an exclusion: a word in a short field, the case number, an ID number."""
        out = [] if out is None else out
        if isinstance(q, Q.AndNot):
            return self.weights(searcher, q.a, out)
        if isinstance(q, Q.AndMaybe):
            self.weights(searcher, q.a, out)
            return self.weights(searcher, q.b, out)
        if isinstance(q, (Q.And, Q.Or)):
            for sub in q.subqueries:
                self.weights(searcher, sub, out)
            return out
        boost = getattr(q, "boost", 1.0)
        if boost != 1.0 or (isinstance(q, Q.Term) and q.fieldname == "chars"):
            bits = self.evaluate(searcher, q)[0]
            if bits:
                out.append((bits, boost if boost != 1.0 else 2.0))
        return out


def strip(q: Q.Query) -> Q.Query:
    """The query without its optional boosts: what a document must match (for the phrase check)."""
    if isinstance(q, Q.AndMaybe):
        return strip(q.a)
    if isinstance(q, Q.AndNot):
        return Q.AndNot(strip(q.a), strip(q.b))
    if isinstance(q, (Q.And, Q.Or)):
        return type(q)([strip(sub) for sub in q.subqueries])
    return q


def verify(searcher, data: Segment, q: Q.Query, docnums: list[int]) -> list[int]:  # noqa: ANN001
    """The docnums (ascending) that really match `q`: a phrase, matched in the sets as the AND of its bigrams, is looked
    up as a substring of the document's stored text, normalised (a phrase is one CJK run, so the substring cannot span
    a gap that the bigram positions would have had); every other condition is exact in the sets already."""
    q = strip(q)
    sets: dict[int, bytes] = {}  # id(leaf) → its set, one byte per document

    def in_set(leaf: Q.Query, d: int) -> bool:
        if id(leaf) not in sets:
            sets[id(leaf)] = data.evaluate(searcher, leaf)[0].to_bytes(data.n, "little")
        return sets[id(leaf)][d] == 1

    def holds(node: Q.Query, d: int, stored: dict, texts: dict[str, str]) -> bool:
        if isinstance(node, Q.Phrase) and len(node.words) > 1:
            if node.fieldname not in texts:
                texts[node.fieldname] = normalise(_stored_text(stored, node.fieldname))
            return node.words[0] + "".join(w[1:] for w in node.words[1:]) in texts[node.fieldname]
        if isinstance(node, Q.AndNot):
            return holds(node.a, d, stored, texts) and not holds(node.b, d, stored, texts)
        if isinstance(node, Q.And):
            return all(holds(sub, d, stored, texts) for sub in node.subqueries)
        if isinstance(node, Q.Or):
            return any(holds(sub, d, stored, texts) for sub in node.subqueries)
        return in_set(node, d)

    return [d for d in docnums if holds(q, d, searcher.stored_fields(d), {})]


def _stored_text(stored: dict, field: str) -> str:
    if field == MATCH_FIELD:
        return match_text(stored)
    if field == "numtext":
        return (stored.get("extra") or {}).get("number") or ""
    return stored.get(field) or ""
