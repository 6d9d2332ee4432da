"""The index schema, in one function, and the version that forces a rebuild when it changes."""

from __future__ import annotations

from collections.abc import Generator, Mapping
from typing import Any

from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, FieldType, Schema
from whoosh.formats import Existence
from whoosh.system import emptybytes

from search.text import WordsTokenizer, normalise, terms

# Bump on any change to the fields or the analysis: an index of another version is rebuilt, never read.
SCHEMA_VERSION = 10

# Fields a query may name, with their weight in the ranking (search/query.py). A plain word is looked up in every field
# of MATCH_FIELDS, each indexed once.
TEXT_FIELDS = {
    "title": 3.0,
    "parties": 3.0,
    "mediators": 2.0,
    "types": 2.0,
    "orgs": 1.5,
    "labels": 1.0,
}
SHORT_FIELDS = tuple(TEXT_FIELDS)
# Where a plain word is looked up: each is stored too, and a word is looked up in the stored text again when its terms
# alone do not settle it (search/fast.py). Queries read every field as sets of document ids, so no field keeps
# positions: reading positions cost ~0.9 µs per posting against ~0.15 µs without (90 ms for a term in 100,000 cases).
MATCH_FIELDS = ("numtext", *SHORT_FIELDS, "body", "dossier")


def match_text(fields: Mapping[str, Any]) -> str:
    """All the text a plain word is looked up in, from a document's stored fields (one field per line)."""
    return "\n".join(fields.get(name) or "" for name in MATCH_FIELDS)


class Words(FieldType):
    """A text field indexed as `search.text.terms` of its normalised text: document ids only, no positions.

    The terms are computed as one set per value (no token objects), which is most of what indexing costs."""

    def __init__(self, *, stored: bool = False) -> None:
        # whoosh3 annotates `analyzer` as an Analyzer, but a field takes a bare Tokenizer as well (its _check_analyzer)
        super().__init__(format=Existence(), analyzer=WordsTokenizer(), stored=stored)  # type: ignore[arg-type]

    def index(self, value: str, **kwargs: Any) -> Generator[tuple[bytes, int, float, bytes], Any, None]:  # noqa: ARG002
        return ((t.encode("utf-8"), 1, 1.0, emptybytes) for t in terms(normalise(value)))


def schema() -> Schema:
    return Schema(
        cid=ID(stored=True, unique=True, sortable=True),
        version=NUMERIC(stored=True, sortable=True, bits=64),
        number=ID(),  # the normalised number, exactly
        numparts=KEYWORD(lowercase=True),  # its parts and the forms people type (search.writing.number_parts)
        numtext=Words(stored=True),  # the number as written
        idnums=KEYWORD(lowercase=True),  # identity and phone numbers: not stored, matched only for roles that may
        title=Words(stored=True),
        parties=Words(stored=True),
        mediators=Words(stored=True),
        types=Words(stored=True),
        orgs=Words(stored=True),
        labels=Words(stored=True),  # state, channel, outcome, tier, kind of body, flags: as words
        body=Words(stored=True),  # summary, requests, records, letters, uploaded PDFs
        dossier=Words(stored=True),  # the bound dossier's pages
        scope=KEYWORD(commas=True),  # the org's path and every ancestor's
        dtype=ID(stored=True, sortable=True),
        status=ID(stored=True, sortable=True),
        tier=ID(stored=True, sortable=True),
        org=ID(stored=True, sortable=True),
        year=ID(stored=True, sortable=True),
        mediator=ID(stored=True, sortable=True),  # the lead mediator, for the facet
        outcome=ID(stored=True, sortable=True),
        received=NUMERIC(stored=True, sortable=True, bits=32),  # yyyymmdd
        closed=NUMERIC(stored=True, bits=32),
        filed=NUMERIC(stored=True, bits=32),
        extra=STORED,  # small display data
    )
